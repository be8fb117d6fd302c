"""Issue 17: the admin's refused acts name findings, outcomes and verdicts by their labels, never
their codes, in English and Korean; and the inspect form reports every error at once, each
beside its item's field (findings, outcome, charge lines), as the other act forms do."""

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from claims import document_service
from claims.admin_claims import ClaimItemInline
from claims.models import Claim, ClaimItem, ClaimStatus, DocumentKind, ReceiptCondition

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


def act(clerk_client, claim, key, data):
    return clerk_client.post(reverse("admin:claims_claim_act", args=[claim.pk, key]), data)


def test_the_outbound_shipment_form_reports_every_missing_field_at_once(clerk_client):
    claim, (first, _second) = received()
    claim.status = ClaimStatus.INSPECTED
    claim.save(update_fields=["status"])
    ClaimItem.objects.filter(pk=first.pk).update(outcome="repair")

    response = act(clerk_client, claim, "ship-outbound", {"item": "", "carrier": ""})

    assert response.status_code == 200
    assert {"item", "carrier", "tracking_number"} <= set(response.context["form"].errors)
    first.refresh_from_db()
    assert first.outbound_shipped_at is None and claim.events.count() == 0


def test_the_void_form_reports_every_missing_field_at_once(clerk_client):
    claim, _items = received()
    document_service.request_document(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)

    response = act(clerk_client, claim, "void-document", {"public_reason": "made-up"})

    assert response.status_code == 200
    assert {"document", "public_reason", "reason"} <= set(response.context["form"].errors)
    assert claim.documents.filter(valid=True).count() == 1


@pytest.mark.parametrize("lang, label", [("en", "PO number"), ("ko", "PO 번호")])
def test_the_item_mismatch_line_names_the_field_by_its_label(clerk, clerk_client, lang, label):
    claim, (item, _second) = received()
    item.mismatches = [{"field": "po_number", "given": "PO-9", "recorded": "PO-1001"}]
    item.save(update_fields=["mismatches"])
    inline = ClaimItemInline(Claim, admin.site)

    with translation.override(lang):
        line = str(inline.mismatches_display(item))

    assert label in line and "po_number" not in line
    assert "PO-9" in line and "PO-1001" in line
