"""E-mails about claims: RMA number in every subject (N2), the organisation's language,
the right recipients, internal notes never to buyers, each e-mail sent once."""

import datetime

import pytest
from django.core import mail

from accounts.models import User
from claims import services
from claims.actors import Actor
from claims.effects import SEND_CLAIM_EMAIL
from claims.models import ClaimEvent
from claims.workflow import act
from notifications import emails
from notifications.models import OutboxMessage, SentEmail
from notifications.tasks import send_claim_email
from tests.factories import (
    ClaimFactory,
    ClaimItemFactory,
    OrganisationFactory,
    UserFactory,
)

from .conftest import run_outbox, submitted_claim

pytestmark = pytest.mark.django_db

EVENT_TEMPLATES = sorted(
    (emails.BUYER_KINDS | emails.STAFF_KINDS) - set(emails.REMINDER_TEMPLATES.values())
)


@pytest.fixture
def staff():
    return Actor.staff(User.objects.create(username="staff-1", is_staff=True))


def test_the_acknowledgement_carries_the_rma_number_hold_verdicts_and_n5():
    org = OrganisationFactory(language="en")
    claim = submitted_claim(org)

    run_outbox()

    (message,) = mail.outbox
    assert message.subject == f"[{claim.rma_number}] Claim received: your RMA number"
    assert claim.hold_until.isoformat() in message.body
    assert "covered (preliminary)" in message.body
    assert "not an acknowledgement of the claimed defect" in message.body  # N5
    assert "burden of proof" in message.body
    assert message.extra_headers["X-RMA-Number"] == claim.rma_number


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("template", EVENT_TEMPLATES)
def test_every_claim_email_subject_carries_the_rma_number_n2(template, language, sales_staff):
    sales_staff.language = language
    sales_staff.save()
    claim = ClaimFactory(
        organisation=OrganisationFactory(language=language),
        status="submitted",
        rma_number="RMA-2026-000777",
        hold_until=datetime.date(2026, 12, 20),
    )
    ClaimItemFactory(claim=claim)
    with act(claim, "post_message", Actor.staff(sales_staff), body="Hello") as step:
        step.public = False  # only a vehicle for building every template here
    event = claim.events.get()

    (email,) = emails.build_event_emails(event, template)

    assert email.subject.startswith("[RMA-2026-000777] ")
    assert email.language == language
    assert "{" not in email.body and "}" not in email.body  # no template syntax leaked


def test_korean_organisations_get_korean_emails():
    claim = submitted_claim(OrganisationFactory(language="ko"))

    run_outbox()

    (message,) = mail.outbox
    assert message.subject == f"[{claim.rma_number}] 클레임 접수 및 RMA 번호 안내"
    assert "입증 책임은 항상 구매자에게 있습니다(N5)" in message.body
    assert "예비 판정" in message.body
    assert "Dear" not in message.body


def test_recipients_are_the_author_and_the_organisations_users_once_each():
    org = OrganisationFactory()
    author = UserFactory(organisation=org, email="Author@example.com")
    UserFactory(organisation=org, email="colleague@example.com")
    UserFactory(organisation=org, email="author@example.com")  # same address, other case
    UserFactory(organisation=org, email="")
    UserFactory(organisation=org, email="gone@example.com", is_active=False)
    UserFactory(email="stranger@example.com")  # another organisation
    claim = ClaimFactory(organisation=org, author=author)

    assert emails.buyer_recipients(claim) == ["Author@example.com", "colleague@example.com"]


def test_internal_notes_are_never_emailed_to_buyers(staff):
    claim = submitted_claim(OrganisationFactory())
    run_outbox()
    mail.outbox.clear()

    services.add_internal_note(actor=staff, claim=claim, body="Buyer seems to have dropped it.")

    assert run_outbox() == 0
    assert mail.outbox == []
    assert not OutboxMessage.objects.filter(
        args__0=claim.events.get(kind="internal_note").pk
    ).exists()


def test_staff_messages_are_emailed_to_the_buyer_and_the_buyers_own_are_not(staff):
    claim = submitted_claim(OrganisationFactory())
    run_outbox()
    mail.outbox.clear()

    services.post_message(actor=Actor.buyer(claim.author), claim=claim, body="Any news?")
    services.post_message(actor=staff, claim=claim, body="We are looking into it.")
    run_outbox()

    (message,) = mail.outbox
    assert message.subject == f"[{claim.rma_number}] New message from CPRO"
    assert "We are looking into it." in message.body
    assert "Any news?" not in message.body
    assert f"http://127.0.0.1:8000/claims/{claim.pk}/" in message.body  # reply where it is


def test_a_checklist_failure_on_arrival_is_told_as_a_refusal(staff):
    claim = submitted_claim(OrganisationFactory())
    services.authorize_return(actor=staff, claim=claim)
    run_outbox()
    mail.outbox.clear()

    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=False,
        bills_of_purchase=True,
        rma_on_documents=True,
    )
    run_outbox()

    (message,) = mail.outbox
    assert message.subject == f"[{claim.rma_number}] Return refused"
    assert "original packaging" in message.body


def test_return_authorization_queues_the_email_and_the_document(staff):
    claim = submitted_claim(OrganisationFactory())

    services.authorize_return(actor=staff, claim=claim)

    event = claim.events.get(kind="authorize_return")
    document = claim.documents.get(kind="return_authorization")
    emails = OutboxMessage.objects.filter(dedupe_key__startswith=f"event:{event.pk}:")
    renders = OutboxMessage.objects.filter(dedupe_key__startswith=f"document:{document.pk}:")
    assert list(emails.values_list("task_name", flat=True)) == [SEND_CLAIM_EMAIL]
    assert list(renders.values_list("task_name", flat=True)) == ["claims.tasks.render_document"]


def test_cancelling_a_draft_sends_nothing():
    org = OrganisationFactory()
    claim = ClaimFactory(organisation=org)
    ClaimItemFactory(claim=claim)

    services.cancel(actor=Actor.buyer(claim.author), claim=claim)

    assert not OutboxMessage.objects.exists()


def test_a_replayed_email_task_sends_once():
    claim = submitted_claim(OrganisationFactory())
    event = claim.events.get(kind="submit")

    send_claim_email.apply(args=[event.pk, "submitted"], throw=True)
    send_claim_email.apply(args=[event.pk, "submitted"], throw=True)

    assert len(mail.outbox) == 1
    assert SentEmail.objects.filter(claim=claim).count() == 1


def test_a_failed_send_is_not_recorded_so_the_retry_sends(settings):
    claim = submitted_claim(OrganisationFactory())
    event = claim.events.get(kind="submit")
    # A real SMTP backend and a port where no server listens: the send fails for real.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 5},
        }
    }
    with pytest.raises(OSError):
        emails.send_event_email(event_id=event.pk, kind="submitted")
    assert not SentEmail.objects.exists()

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert emails.send_event_email(event_id=event.pk, kind="submitted") == 1
    assert len(mail.outbox) == 1


def test_the_hold_end_tells_staff_each_in_their_language(sales_staff):
    from django.contrib.auth.models import Group

    korean = User.objects.create(
        username="clerk-ko", email="clerk-ko@cpro.example", is_staff=True, language="ko"
    )
    korean.groups.add(Group.objects.get(name="Sales staff"))
    claim = ClaimFactory(
        status="submitted", rma_number="RMA-2026-000901", hold_until=datetime.date(2026, 12, 1)
    )
    with act(claim, "hold_ended", Actor.system()):
        pass
    event = claim.events.get()

    built = emails.build_event_emails(event, "hold_ended_staff")

    assert [(e.language, e.to) for e in built] == [
        ("en", ["clerk@cpro.example"]),
        ("ko", ["clerk-ko@cpro.example"]),
    ]
    assert built[1].subject.startswith("[RMA-2026-000901] 보관 기간 종료")


def test_every_event_kind_with_an_email_has_both_language_templates():
    from django.template.loader import get_template

    for template in emails.BUYER_KINDS | emails.STAFF_KINDS:
        get_template(f"emails/{template}.txt")
        get_template(f"emails/ko/{template}.txt")


def test_the_event_that_triggered_an_email_is_the_one_it_describes():
    claim = submitted_claim(OrganisationFactory())
    event = ClaimEvent.objects.get(claim=claim, kind="submit")

    queued = OutboxMessage.objects.filter(task_name=SEND_CLAIM_EMAIL)
    assert [message.args for message in queued] == [[event.pk, "submitted"]]
