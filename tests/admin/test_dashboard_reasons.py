"""The dashboard's reason chart counts the items of claims that gave notice: a draft's items
are left out, and a reason only drafts gave does not show (issue 19: counted as every item
less the drafts')."""

import pytest

from claims.dashboard import reason_chart
from claims.models import ClaimStatus, DefectReason
from tests.factories import ClaimFactory, ClaimItemFactory

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db


def test_drafts_items_are_left_out_of_the_reason_chart():
    no_image = DefectReason.objects.get(code="no_image")
    power = DefectReason.objects.get(code="power")
    noticed = submitted_claim(items=0, rma="RMA-2026-000101")
    for reason in (no_image, no_image, None):
        ClaimItemFactory(claim=noticed, defect_reason=reason)
    draft = ClaimFactory(status=ClaimStatus.DRAFT)
    for reason in (no_image, power, None):
        ClaimItemFactory(claim=draft, defect_reason=reason)

    bars = [(bar.key, bar.value) for bar in reason_chart().bars]

    assert bars == [("no_image", 2), ("none", 1)]  # most first; no "power": only a draft's
