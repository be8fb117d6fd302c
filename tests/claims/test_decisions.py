"""The staff's decisions with their waits, ``Decision``: written as inspect and reject events
are appended, recomputed when a notice changes (issue 19: the dashboard's medians)."""

import datetime

import pytest
from django.db import connection

from claims.events import append_event
from claims.models import Claim, ClaimEvent, Decision
from claims.summaries import rebuild_decisions
from tests.factories import submitted_claim
from warranty.rules import SEOUL

pytestmark = pytest.mark.django_db


def summary():
    return sorted(Decision.objects.values_list("event_id", "claim_id", "month", "waited"))


def truth():
    """The definition: every inspect or reject event of a claim that gave notice."""
    return sorted(
        (
            event.pk,
            event.claim_id,
            event.created_at.astimezone(SEOUL).date().replace(day=1),
            event.created_at - event.claim.notice_at,
        )
        for event in ClaimEvent.objects.filter(
            kind__in=["inspect", "reject"], claim__notice_at__isnull=False
        ).select_related("claim")
    )


def decide(claim, kind):
    return append_event(claim, kind=kind, actor_label="clerk", channel="admin")


def test_inspections_and_rejections_are_written_with_their_wait_and_nothing_else():
    inspected = submitted_claim(notice_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC))
    rejected = submitted_claim()
    decide(inspected, "post_message")
    event = decide(inspected, "inspect")
    decide(rejected, "reject")

    assert len(summary()) == 2 and summary() == truth()
    row = Decision.objects.get(event=event)
    assert row.waited == event.created_at - inspected.notice_at


def test_a_corrected_notice_recomputes_the_wait():
    claim = submitted_claim()
    decide(claim, "inspect")

    Claim.objects.filter(pk=claim.pk).update(notice_at=claim.notice_at - datetime.timedelta(days=3))

    assert summary() == truth()


def test_truncating_the_events_empties_it_and_the_rebuild_writes_what_the_triggers_kept():
    decide(submitted_claim(), "inspect")
    decide(submitted_claim(), "reject")
    kept = summary()
    rebuild_decisions(connection)
    assert summary() == kept == truth()

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE claims_claim, claims_claimevent CASCADE")

    assert summary() == []
