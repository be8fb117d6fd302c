"""Issue 17: the admin's refused acts name findings, outcomes and verdicts by their labels, never
their codes, in English and Korean; and the inspect form reports every error at once, each
beside its item's field (findings, outcome, charge lines)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from claims.models import ClaimItem, ClaimStatus, ReceiptCondition

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db

CODES = ["confirmed_defect", "no_fault_found", "not_covered", "credit_note", "third_party"]


def received(items=2):
    claim = submitted_claim(items=items, status=ClaimStatus.RECEIVED)
    ClaimItem.objects.filter(claim=claim).update(
        return_authorized=True, receipt_condition=ReceiptCondition.AS_EXPECTED
    )
    return claim, list(claim.items.order_by("position"))


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "lang, defect_confirmed, outcomes",
    [
        ("en", "Defect confirmed", "Repair (D1)"),
        ("ko", "하자 확인됨", "수리 (D1)"),
    ],
)
def test_refused_inspections_name_labels_never_codes(
    clerk, clerk_client, lang, defect_confirmed, outcomes
):
    clerk.language = lang
    clerk.save()
    claim, (remedy, unchosen) = received()

    response = clerk_client.post(
        reverse("admin:claims_claim_act", args=[claim.pk, "inspect"]),
        {
            f"findings_{remedy.pk}": "tampered",
            f"outcome_{remedy.pk}": "repair",  # a remedy without "defect confirmed"
            f"findings_{unchosen.pk}": "no_fault_found",
        },
    )

    assert response.status_code == 200
    shown = messages_of(response)
    assert shown, response.text[:2000]
    text = " ".join(shown)
    assert defect_confirmed in text and outcomes in text
    if lang == "ko":
        assert "needs the finding" not in text and "choose an outcome" not in text
    for code in CODES:
        assert code not in text, (code, shown)
    form = response.context["form"]
    shown_beside = " ".join(str(e) for errors in form.errors.values() for e in errors)
    for code in CODES:
        assert code not in shown_beside, (code, shown_beside)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RECEIVED and claim.events.count() == 0


def test_the_inspect_form_reports_every_error_at_once_beside_each_field(clerk_client):
    claim, (first, second) = received()

    response = clerk_client.post(
        reverse("admin:claims_claim_act", args=[claim.pk, "inspect"]),
        {
            # first: no finding, and a remedy without "defect confirmed"
            f"outcome_{first.pk}": "credit_note",
            # second: not covered without a reason, and two bad charge lines
            f"findings_{second.pk}": "tampered",
            f"outcome_{second.pk}": "not_covered",
            f"verification_{second.pk}": "-1",
            f"transport_{second.pk}": "-5",
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert f"findings_{first.pk}" in errors and f"outcome_{first.pk}" in errors
    assert f"reason_{second.pk}" in errors
    assert f"verification_{second.pk}" in errors and f"transport_{second.pk}" in errors
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RECEIVED and claim.events.count() == 0
