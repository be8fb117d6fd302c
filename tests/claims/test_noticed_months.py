"""Noticed items per model and Seoul month, ``NoticedMonth``: exact after every write on the
noticed items, whatever wrote them (issue 19: the dashboard's monthly counts)."""

import datetime
from collections import Counter

import pytest
from django.db import connection

from claims.models import Claim, ClaimItem, NoticedItem, NoticedMonth
from claims.summaries import rebuild_noticed_months
from tests.factories import ClaimItemFactory, ProductModelFactory, UnitFactory, submitted_claim
from warranty.models import Unit
from warranty.rules import SEOUL

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def summary():
    return {
        (model, month): n
        for model, month, n in NoticedMonth.objects.values_list(
            "product_model_id", "month", "items"
        )
    }


def truth():
    """The definition: the noticed items counted by model and Seoul month of notice."""
    return dict(
        Counter(
            (model, notice_at.astimezone(SEOUL).date().replace(day=1))
            for model, notice_at in NoticedItem.objects.values_list("product_model_id", "notice_at")
        )
    )


def test_the_month_is_seouls():
    # 16:00 UTC on 31 October is 01:00 on 1 November in Seoul.
    claim = submitted_claim(items=2, notice_at=datetime.datetime(2026, 10, 31, 16, tzinfo=UTC))
    model = claim.items.first().unit.product_model_id

    assert NoticedMonth.objects.get(product_model_id=model).month == datetime.date(2026, 11, 1)
    assert summary() == truth()


def test_notices_edits_moves_and_deletes_keep_it_exact():
    october = datetime.datetime(2026, 10, 10, 3, tzinfo=UTC)
    claim = submitted_claim(items=3, notice_at=october)
    other = submitted_claim(items=1, notice_at=datetime.datetime(2026, 11, 2, 3, tzinfo=UTC))
    draft_item = ClaimItemFactory()  # a draft's: no notice, not counted
    assert sum(summary().values()) == 4 and summary() == truth()

    first, second, third = claim.items.order_by("pk")
    Unit.objects.filter(pk=first.unit_id).update(product_model=ProductModelFactory())
    ClaimItem.objects.filter(pk=second.pk).update(unit=UnitFactory())
    Claim.objects.filter(pk=draft_item.claim_id).update(notice_at=october)  # gave notice
    Claim.objects.filter(pk=other.pk).update(notice_at=october)  # the notice corrected
    assert sum(summary().values()) == 5 and summary() == truth()

    ClaimItem.objects.filter(pk=third.pk).delete()
    ClaimItem.objects.filter(claim=other).delete()

    assert sum(summary().values()) == 3 and summary() == truth()
    assert 0 not in summary().values()  # a month left empty is gone, not zero


def test_truncating_the_noticed_items_empties_it():
    submitted_claim(items=2)

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE claims_claim, claims_claimitem, claims_noticeditem CASCADE")

    assert summary() == {}


def test_the_rebuild_writes_what_the_triggers_kept():
    submitted_claim(items=2, notice_at=datetime.datetime(2026, 9, 30, 20, tzinfo=UTC))
    submitted_claim(items=1)
    kept = summary()

    rebuild_noticed_months(connection)

    assert summary() == kept == truth()
