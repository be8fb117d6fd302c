"""The staff work queue (issue 16): which claims wait for CPRO, why, and in which order.

Messages and events carry their real creation time; the tests move "today" forward instead, in
working days (claims/workdays.py), so the holidays of the real calendar are respected.
"""

import datetime

import pytest
from django.utils import timezone

from claims import queue
from claims.events import append_event
from claims.models import ClaimStatus, Message
from claims.workdays import add_working_days
from tests.factories import submitted_claim
from warranty.selectors import seoul_today

pytestmark = pytest.mark.django_db

FAR_HOLD = datetime.date(2099, 1, 1)  # a hold that is nowhere near its end


def message(claim, *, from_staff, internal=False):
    return Message.objects.create(
        claim=claim,
        author_label="staff" if from_staff else "buyer",
        from_staff=from_staff,
        internal=internal,
        channel="admin" if from_staff else "portal",
        body="…",
    )


def answered(claim):
    message(claim, from_staff=False)
    append_event(claim, kind="answer_info", actor_label="buyer", channel="portal")


def queued(today):
    return [(str(c), queue.BY_RANK[c.queue_rank].key) for c in queue.queue(today=today)]


def later(days):
    return add_working_days(seoul_today(), days)


def test_a_hold_ending_within_a_week_is_first_and_the_nearest_end_leads():
    today = seoul_today()
    later_end = submitted_claim(hold_until=today + datetime.timedelta(days=6))
    sooner_end = submitted_claim(hold_until=today + datetime.timedelta(days=2))
    ended = submitted_claim(hold_until=today - datetime.timedelta(days=1))
    submitted_claim(hold_until=today + datetime.timedelta(days=8))  # not yet
    submitted_claim(status=ClaimStatus.INSPECTED, hold_until=today)  # products no longer held
    assert queued(today) == [
        (str(ended), "hold"),
        (str(sooner_end), "hold"),
        (str(later_end), "hold"),
    ]


def test_an_answered_information_request_waits_for_cpro_at_once():
    first = submitted_claim(hold_until=FAR_HOLD)
    second = submitted_claim(hold_until=FAR_HOLD)
    answered(first)
    answered(second)
    assert queued(seoul_today()) == [(str(first), "answered"), (str(second), "answered")]


def test_an_answer_that_cpro_replied_to_leaves_the_queue():
    claim = submitted_claim(hold_until=FAR_HOLD)
    answered(claim)
    message(claim, from_staff=True)
    assert queued(later(5)) == []


def test_an_answer_still_pending_as_info_requested_is_not_answered():
    claim = submitted_claim(status=ClaimStatus.INFO_REQUESTED, hold_until=FAR_HOLD)
    answered(claim)  # a later request put the claim back to info_requested
    assert queued(seoul_today()) == []


def test_a_buyer_message_waits_more_than_one_working_day_before_it_is_queued():
    claim = submitted_claim(status=ClaimStatus.RETURN_AUTHORIZED, hold_until=FAR_HOLD)
    message(claim, from_staff=False)
    assert queued(later(1)) == []  # due today: not late yet
    assert queued(later(2)) == [(str(claim), "message")]


def test_buyer_messages_oldest_first_and_replies_or_notes_decide():
    older = submitted_claim(status=ClaimStatus.SHIPPED, hold_until=FAR_HOLD)
    message(older, from_staff=False)
    newer = submitted_claim(status=ClaimStatus.SHIPPED, hold_until=FAR_HOLD)
    message(newer, from_staff=False)
    replied = submitted_claim(status=ClaimStatus.SHIPPED, hold_until=FAR_HOLD)
    message(replied, from_staff=False)
    message(replied, from_staff=True)
    noted = submitted_claim(status=ClaimStatus.SHIPPED, hold_until=FAR_HOLD)
    message(noted, from_staff=False)
    message(noted, from_staff=True, internal=True)  # an internal note is no reply
    assert queued(later(3)) == [
        (str(older), "message"),
        (str(newer), "message"),
        (str(noted), "message"),
    ]


def test_received_and_not_inspected_longest_first():
    now = timezone.now()
    recent = submitted_claim(status=ClaimStatus.RECEIVED, hold_until=FAR_HOLD, received_at=now)
    old = submitted_claim(
        status=ClaimStatus.RECEIVED,
        hold_until=FAR_HOLD,
        received_at=now - datetime.timedelta(days=10),
    )
    submitted_claim(status=ClaimStatus.INSPECTED, hold_until=FAR_HOLD, received_at=now)
    assert queued(seoul_today()) == [(str(old), "received"), (str(recent), "received")]


def test_reasons_in_order_of_urgency_and_each_claim_once_for_its_most_urgent_reason():
    today = later(3)
    received = submitted_claim(
        status=ClaimStatus.RECEIVED, hold_until=FAR_HOLD, received_at=timezone.now()
    )
    msg = submitted_claim(status=ClaimStatus.SHIPPED, hold_until=FAR_HOLD)
    message(msg, from_staff=False)
    ans = submitted_claim(hold_until=FAR_HOLD)
    answered(ans)
    hold = submitted_claim(hold_until=today + datetime.timedelta(days=1))
    answered(hold)  # also answered, but the hold is more urgent
    assert queued(today) == [
        (str(hold), "hold"),
        (str(ans), "answered"),
        (str(msg), "message"),
        (str(received), "received"),
    ]
    counts = queue.counts(queue.queue(today=today))
    assert {k: v["all"] for k, v in counts.items()} == {
        "hold": 1,
        "answered": 1,
        "message": 1,
        "received": 1,
    }


def test_late_against_the_working_day_targets():
    received = submitted_claim(
        status=ClaimStatus.RECEIVED, hold_until=FAR_HOLD, received_at=timezone.now()
    )
    on_time = queue.rows(queue.queue(today=later(3)), later(3))
    assert [(r.claim.pk, r.late, r.waited_days) for r in on_time] == [(received.pk, False, 3)]
    assert on_time[0].due == later(3)
    overdue = queue.rows(queue.queue(today=later(4)), later(4))
    assert [(r.claim.pk, r.late) for r in overdue] == [(received.pk, True)]
    assert [c.pk for c in queue.late(today=later(4))] == [received.pk]
    assert list(queue.late(today=later(3))) == []
