"""Information requested and answered, the hold's end (N4), and the organisation's notification
address: each buyer e-mail sent once, in the organisation's language, with the RMA number (N2),
even when its task runs twice."""

import datetime

import pytest
from celery import current_app
from django.core import mail
from rest_framework.test import APIClient

from accounts.services import create_api_key
from claims import holds, services
from claims.actors import Actor
from notifications.models import OutboxMessage, SentEmail
from tests.factories import OrganisationFactory, UserFactory

from .conftest import run_outbox, submitted_claim

pytestmark = pytest.mark.django_db

QUESTION = "Which firmware version was installed?"
ANSWER = "Firmware v2.3.1, label photo attached."


def run_email_tasks_twice() -> None:
    """The worker's run, then every e-mail task again (a redelivery): SentEmail keeps it once."""
    run_outbox()
    for message in OutboxMessage.objects.filter(task_name__startswith="notifications.").order_by(
        "pk"
    ):
        current_app.tasks[message.task_name].apply(args=message.args, throw=True)


def answer_from_portal(claim, author):
    from django.test import Client

    client = Client()
    client.force_login(author)
    response = client.post(f"/claims/{claim.pk}/message/", {"body": ANSWER})
    assert response.status_code == 302, response.content


def answer_from_api(claim, author):
    _key, raw = create_api_key(organisation=claim.organisation)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = api.post(f"/api/v1/claims/{claim.pk}/messages/", {"body": ANSWER}, format="json")
    assert response.status_code == 201, response.content


SUBJECTS = {
    "en": {
        "info_requested": "CPRO needs more information about your claim",
        "info_answered": "Your answer has reached CPRO",
        "hold_ended": "hold",
    },
    "ko": {
        "info_requested": "클레임 관련 추가 정보 요청",
        "info_answered": "추가 정보 답변 접수 안내",
        "hold_ended": "보관",
    },
}


@pytest.mark.parametrize("answer", [answer_from_portal, answer_from_api], ids=["portal", "api"])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_information_requested_and_answered_are_each_e_mailed_once(
    lang, answer, sales_staff, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org = OrganisationFactory(language=lang)
    author = UserFactory(organisation=org, email="buyer@example.com")
    claim = submitted_claim(org, author=author)
    run_outbox()
    mail.outbox.clear()

    services.request_info(actor=Actor.staff(sales_staff), claim=claim, question=QUESTION)
    answer(claim, author)
    run_email_tasks_twice()

    claim.refresh_from_db()
    assert claim.status == "submitted"
    requested, answered = mail.outbox  # each once, nothing else
    for message, kind in ((requested, "info_requested"), (answered, "info_answered")):
        assert message.to == ["buyer@example.com"]
        assert message.subject == f"[{claim.rma_number}] {SUBJECTS[lang][kind]}"
        assert claim.rma_number in message.body
    assert QUESTION in requested.body
    assert ANSWER in answered.body
    sent = SentEmail.objects.filter(claim=claim, kind__in=["info_requested", "info_answered"])
    assert sorted(sent.values_list("kind", "language")) == [
        ("info_answered", lang),
        ("info_requested", lang),
    ]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_hold_end_is_e_mailed_to_the_buyer_once_in_their_language(lang, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org = OrganisationFactory(language=lang)
    claim = submitted_claim(org, author=UserFactory(organisation=org, email="b@example.com"))
    run_outbox()
    mail.outbox.clear()

    assert holds.end_hold(claim=claim, today=claim.hold_until + datetime.timedelta(days=1))
    run_email_tasks_twice()

    (ended,) = [m for m in mail.outbox if m.to == ["b@example.com"]]
    assert ended.subject.startswith(f"[{claim.rma_number}] ")
    assert SUBJECTS[lang]["hold_ended"] in ended.subject
    assert claim.hold_until.isoformat() in ended.body
    assert SentEmail.objects.get(claim=claim, kind="hold_ended", recipients=["b@example.com"])


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_buyer_e_mail_is_copied_once_to_the_organisations_address(
    lang, sales_staff, settings, admin_client
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org = OrganisationFactory(language=lang, notification_email="rma-desk@buyer.example")
    author = UserFactory(organisation=org, email="buyer@example.com")
    claim = submitted_claim(org, author=author)
    services.request_info(actor=Actor.staff(sales_staff), claim=claim, question=QUESTION)
    services.post_buyer_message(actor=Actor.buyer(author), claim=claim, body=ANSWER)
    services.authorize_return(actor=Actor.staff(sales_staff), claim=claim)
    mail.outbox.clear()

    run_email_tasks_twice()

    kinds = ["submitted", "info_requested", "info_answered", "return_authorized"]
    to_buyer = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    copies = [m for m in mail.outbox if m.to == ["rma-desk@buyer.example"]]
    assert len(to_buyer) == len(copies) == len(kinds)
    assert len(mail.outbox) == 2 * len(kinds)  # nothing else, nothing twice
    # The copy is the same e-mail, in the organisation's language.
    assert [(m.subject, m.body) for m in copies] == [(m.subject, m.body) for m in to_buyer]
    recorded = SentEmail.objects.filter(claim=claim, recipients=["rma-desk@buyer.example"])
    assert sorted(recorded.values_list("kind", flat=True)) == sorted(kinds)
    assert set(recorded.values_list("language", flat=True)) == {lang}

    # Staff see the copies in the admin's "Sent e-mails".
    page = admin_client.get("/admin/notifications/sentemail/", {"q": claim.rma_number}).text
    assert page.count("rma-desk@buyer.example") == len(kinds)


def test_the_copy_is_not_sent_twice_to_an_address_that_already_gets_it(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org = OrganisationFactory(notification_email="Buyer@Example.com")
    claim = submitted_claim(org, author=UserFactory(organisation=org, email="buyer@example.com"))

    run_email_tasks_twice()

    (acknowledgement,) = mail.outbox
    assert acknowledgement.to == ["buyer@example.com"]
    assert SentEmail.objects.filter(claim=claim).count() == 1


def test_staff_edit_the_notification_address_in_the_admin(admin_client):
    org = OrganisationFactory(code="acme", name="ACME")

    page = admin_client.get(f"/admin/accounts/organisation/{org.pk}/change/").text

    assert 'name="notification_email"' in page
