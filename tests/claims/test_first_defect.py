"""A claim's earliest defect date, ``Claim.first_defect_date``: exact after every act and every
bulk write of items, and never overwritten by a stale claim (issue 19; claims/first_defect.py)."""

import datetime

import pytest
from django.db import connection
from django.db.models import Min

from claims import services
from claims.models import Claim, ClaimItem
from tests.factories import ClaimFactory, ClaimItemFactory, UnitFactory, item_for

from .test_submit import make_unit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now", "policy", "media")]


def stored():
    return dict(Claim.objects.values_list("pk", "first_defect_date"))


def truth():
    """The definition, read from the items."""
    return dict(Claim.objects.annotate(first=Min("items__defect_date")).values_list("pk", "first"))


def test_the_draft_services_keep_the_earliest_defect_date(buyer, org, model):
    one, two = make_unit(org, model, "SN-1"), make_unit(org, model, "SN-2")
    draft = services.create_draft(
        actor=buyer,
        items=[item_for(one, defect_date="2026-11-22"), item_for(two, defect_date="2026-11-20")],
    )
    draft.refresh_from_db()
    assert draft.first_defect_date == datetime.date(2026, 11, 20)

    services.update_draft(actor=buyer, claim=draft, items=[item_for(one, defect_date="2026-11-21")])

    draft.refresh_from_db()
    assert draft.first_defect_date == datetime.date(2026, 11, 21)
    assert stored() == truth()


def test_bulk_writes_moves_and_deletes_keep_it_exact():
    first, second = ClaimFactory(), ClaimFactory()
    empty = ClaimFactory()
    ClaimItemFactory(claim=first, defect_date=datetime.date(2026, 11, 10))
    late = ClaimItemFactory(claim=first, defect_date=datetime.date(2026, 11, 12))
    ClaimItem.objects.bulk_create(
        ClaimItem(claim=second, unit=UnitFactory(), defect_date=datetime.date(2026, 11, day))
        for day in (5, 7)
    )
    assert stored() == truth()
    assert stored()[empty.pk] is None

    ClaimItem.objects.filter(claim=first).update(defect_date=datetime.date(2026, 11, 3))
    assert stored()[first.pk] == datetime.date(2026, 11, 3)
    ClaimItem.objects.filter(pk=late.pk).update(claim=empty)  # an item moved to another claim
    ClaimItem.objects.filter(claim=second, defect_date=datetime.date(2026, 11, 5)).delete()

    assert stored() == truth()
    assert stored()[empty.pk] == datetime.date(2026, 11, 3)
    assert stored()[second.pk] == datetime.date(2026, 11, 7)


def test_a_claim_saved_from_memory_does_not_overwrite_it():
    claim = ClaimFactory()  # loaded before its item is written: its field says None
    ClaimItemFactory(claim=claim, defect_date=datetime.date(2026, 11, 10))

    claim.buyer_reference = "PO-7"
    claim.save()  # writes every column, the stale one too

    claim.refresh_from_db()
    assert claim.first_defect_date == datetime.date(2026, 11, 10)


def test_truncating_the_items_clears_it():
    ClaimItemFactory(defect_date=datetime.date(2026, 11, 10))

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE claims_claimitem CASCADE")

    assert list(stored().values()) == [None]
