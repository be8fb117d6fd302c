"""Items of noticed claims, ``NoticedItem``: exact after every act and every bulk write that
changes what the analytics and the dashboard count (issues 15, 19; claims/summaries.py)."""

import pytest
from django.db import connection

from claims import services
from claims.models import Claim, ClaimItem, NoticedItem
from tests.factories import (
    ClaimItemFactory,
    ProductModelFactory,
    ShipmentFactory,
    UnitFactory,
    item_for,
    submitted_claim,
)
from warranty.models import Unit

from .test_inspection import REPAIR, received_claim
from .test_submit import make_unit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now", "policy", "media")]

FIELDS = (
    "organisation_id",
    "notice_at",
    "cancelled",
    "unit_id",
    "shipment_id",
    "product_model_id",
    "defect_date",
    "confirmed",
)


def summary():
    return sorted(NoticedItem.objects.values_list("item_id", *FIELDS))


def truth():
    """The definition, read from the items, their claims and their units."""
    return sorted(
        (
            item.pk,
            item.claim.organisation_id,
            item.claim.notice_at,
            item.claim.status == "cancelled",
            item.unit_id,
            item.unit.shipment_id,
            item.unit.product_model_id,
            item.defect_date,
            "confirmed_defect" in item.findings,
        )
        for item in ClaimItem.objects.filter(claim__notice_at__isnull=False).select_related(
            "claim", "unit"
        )
    )


def test_a_draft_counts_only_once_submitted_and_cancelling_marks_it(buyer, org, model):
    draft = services.create_draft(actor=buyer, items=[item_for(make_unit(org, model, "SN-1"))])
    assert summary() == []  # no notice yet (N1)

    services.submit(actor=buyer, claim=draft)
    (row,) = summary()
    assert row[3] is False and summary() == truth()

    services.cancel(actor=buyer, claim=Claim.objects.get(pk=draft.pk), reason="Found the fault.")

    assert summary()[0][3] is True  # cancelled: kept, marked (the analytics leave it out)
    assert summary() == truth()


def test_inspection_that_confirms_the_defect_marks_the_item(staff):
    claim, (item,) = received_claim(staff)
    assert summary() == truth() and summary()[0][-1] is False

    services.inspect(actor=staff, claim=claim, results={item.pk: REPAIR})

    assert summary()[0][-1] is True
    assert summary() == truth()


def test_bulk_writes_moves_and_deletes_keep_it_exact():
    claim = submitted_claim(items=2)
    draft_item = ClaimItemFactory()  # a draft's item: no notice, not counted
    assert len(summary()) == 2 and summary() == truth()

    other = UnitFactory(
        shipment=ShipmentFactory(buyer=claim.organisation), product_model=ProductModelFactory()
    )
    first, second = claim.items.order_by("pk")
    ClaimItem.objects.filter(pk=first.pk).update(unit=other, findings=["confirmed_defect"])
    Unit.objects.filter(pk=second.unit_id).update(shipment=other.shipment)  # the unit moved
    Claim.objects.filter(pk=draft_item.claim_id).update(notice_at=claim.notice_at)
    assert len(summary()) == 3 and summary() == truth()

    ClaimItem.objects.filter(pk=second.pk).delete()
    Claim.objects.filter(pk=claim.pk).update(organisation=draft_item.claim.organisation)

    assert len(summary()) == 2 and summary() == truth()


def test_truncating_the_items_empties_it():
    submitted_claim(items=1)

    with connection.cursor() as cursor:  # as the benches and Django's flush do
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows above are checked now
        cursor.execute("TRUNCATE claims_claim, claims_claimitem, claims_noticeditem CASCADE")

    assert summary() == []
