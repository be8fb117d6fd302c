"""A refused act shows the service's message plainly and changes nothing (STYLE 2, 5)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from claims.models import Charge, ClaimItem, ClaimStatus, Outcome, ReceiptCondition

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db


def snapshot(claim):
    claim.refresh_from_db()
    items = list(
        ClaimItem.objects.filter(claim=claim)
        .order_by("pk")
        .values("pk", "outcome", "return_authorized", "receipt_condition", "verdict_status")
    )
    return claim.status, claim.event_count, claim.events.count(), claim.updated_at, items


def shown(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_closing_with_unsettled_items_is_refused_and_changes_nothing(clerk_client):
    claim = submitted_claim(items=2, status=ClaimStatus.INSPECTED)
    first, second = claim.items.order_by("position")
    ClaimItem.objects.filter(pk=first.pk).update(outcome=Outcome.REPAIR)
    ClaimItem.objects.filter(pk=second.pk).update(
        outcome=Outcome.NOT_COVERED, return_authorized=True
    )
    Charge.objects.create(item=second, verification="50.00", currency="USD")
    before = snapshot(claim)
    url = reverse("admin:claims_claim_act", args=[claim.pk, "close"])

    page = clerk_client.get(url)
    assert f"{first.serial_number}: repaired unit not shipped yet" in page.text

    response = clerk_client.post(url, {})

    assert response.status_code == 200
    message = (
        f"The claim cannot be closed yet: {first.serial_number}: repaired unit not shipped yet; "
        f"{second.serial_number}: D2 charge neither billed nor waived."
    )
    assert shown(response) == [("error", message)]
    assert message in response.text
    assert snapshot(claim) == before


def test_authorizing_in_the_wrong_status_is_refused_and_changes_nothing(clerk_client):
    claim = submitted_claim(items=2, status=ClaimStatus.RECEIVED)
    ClaimItem.objects.filter(claim=claim).update(
        return_authorized=True, receipt_condition=ReceiptCondition.AS_EXPECTED
    )
    first = claim.items.order_by("position").first()
    before = snapshot(claim)

    response = clerk_client.post(
        reverse("admin:claims_claim_act", args=[claim.pk, "authorize-return"]),
        {"items": [first.pk]},
    )

    assert response.status_code == 200
    assert shown(response) == [("error", "This cannot be done while the claim is received.")]
    assert snapshot(claim) == before


def test_opening_an_act_the_status_does_not_allow_goes_back_with_the_reason(clerk_client):
    claim = submitted_claim(items=1, status=ClaimStatus.CLOSED)

    response = clerk_client.get(
        reverse("admin:claims_claim_act", args=[claim.pk, "reject"]), follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("admin:claims_claim_change", args=[claim.pk])
    assert ("error", "This cannot be done while the claim is closed.") in shown(response)


def test_the_change_form_itself_cannot_be_saved(clerk_client):
    claim = submitted_claim(items=1)
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    page = clerk_client.get(url)
    assert 'name="_save"' not in page.text
    response = clerk_client.post(url, {"status": "closed", "rma_number": "RMA-2025-999999"})

    assert response.status_code == 403
    claim.refresh_from_db()
    assert (claim.status, claim.rma_number) == (ClaimStatus.SUBMITTED, "RMA-2025-000042")


def test_bulk_close_reports_each_refusal(clerk_client):
    settled = submitted_claim(items=1, status=ClaimStatus.INSPECTED, rma="RMA-2025-000001")
    settled.items.update(outcome=Outcome.NOT_COVERED)
    open_claim = submitted_claim(items=1, status=ClaimStatus.SUBMITTED, rma="RMA-2025-000002")

    response = clerk_client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "close_selected", "_selected_action": [settled.pk, open_claim.pk]},
        follow=True,
    )

    assert ("error", "RMA-2025-000002: This cannot be done while the claim is submitted.") in shown(
        response
    )
    assert ("success", "1 claim closed.") in shown(response)
    settled.refresh_from_db()
    open_claim.refresh_from_db()
    assert (settled.status, open_claim.status) == (ClaimStatus.CLOSED, ClaimStatus.SUBMITTED)
