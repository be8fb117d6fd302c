"""The deadlines (SPEC "Deadlines"): N1 reminders for drafts, the N4 hold clock.

Time travels by passing ``today``; every sweep runs twice to show nothing is sent twice.
"""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim, ClaimItem
from notifications.deadlines import draft_notice_state, remind_notice_deadlines, sweep_holds
from notifications.models import Reminder
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory

from .conftest import run_outbox

pytestmark = pytest.mark.django_db

DEFECT = datetime.date(2026, 3, 2)  # hidden defect discovered: day 0 of the N1 notice period
NOTICE_DEADLINE = DEFECT + datetime.timedelta(days=8)  # N1: notice on this day is in time
ASSIGNED = datetime.date(2026, 3, 31)  # RMA number assigned: day 0 of the N4 hold
HOLD_UNTIL = ASSIGNED + datetime.timedelta(days=30)


def day(n, start=DEFECT):
    return start + datetime.timedelta(days=n)


def make_draft(defect_date=DEFECT, *, saved_on=None, org=None, author=None):
    org = author.organisation if author else org or OrganisationFactory()
    claim = ClaimFactory(organisation=org, **({"author": author} if author else {}))
    ClaimItemFactory(claim=claim, defect_date=defect_date)
    saved = datetime.datetime.combine(saved_on or defect_date, datetime.time(12), datetime.UTC)
    Claim.objects.filter(pk=claim.pk).update(created_at=saved)
    claim.refresh_from_db()
    return claim


def make_submitted(status="submitted", hold_until=HOLD_UNTIL, n=1):
    return ClaimFactory(
        status=status,
        rma_number=f"RMA-2026-{n:06d}",
        hold_until=hold_until,
        notice_at=datetime.datetime.combine(ASSIGNED, datetime.time(3), datetime.UTC),
    )


def sweep_notice_twice(today):
    first = remind_notice_deadlines(today=today)
    second = remind_notice_deadlines(today=today)
    assert not any(second.values()), "a second run on the same day recorded something"
    run_outbox()
    return {kind for kind, n in first.items() if n}


def sweep_holds_twice(today):
    first = sweep_holds(today=today)
    second = sweep_holds(today=today)
    assert not any(second.values()), "a second run on the same day recorded something"
    run_outbox()
    return {kind for kind, n in first.items() if n}


def kinds(claim):
    return sorted(Reminder.objects.filter(claim=claim).values_list("kind", flat=True))


# --- N1 ---------------------------------------------------------------------------------------


def test_n1_a_draft_is_reminded_2_days_and_1_day_before_and_marked_once_passed():
    draft = make_draft()

    assert sweep_notice_twice(day(5)) == set()
    assert sweep_notice_twice(day(6)) == {"notice_2d"}
    assert sweep_notice_twice(day(7)) == {"notice_1d"}
    assert sweep_notice_twice(day(8)) == set()  # the deadline itself: still in time
    assert sweep_notice_twice(day(9)) == {"notice_passed"}
    assert sweep_notice_twice(day(10)) == set()

    assert kinds(draft) == ["notice_1d", "notice_2d", "notice_passed"]
    assert [m.to for m in mail.outbox] == [[draft.author.email]] * 3
    assert "in 2 days" in mail.outbox[0].body
    assert f"tomorrow, {NOTICE_DEADLINE.isoformat()}" in mail.outbox[1].body
    assert "has passed" in mail.outbox[2].subject


def test_n1_the_draft_says_when_its_notice_deadline_is_near_or_passed():
    draft = make_draft()

    on_day_7 = draft_notice_state(draft, today=day(7))
    on_day_9 = draft_notice_state(draft, today=day(9))

    assert (on_day_7.deadline, on_day_7.days_left) == (NOTICE_DEADLINE, 1)
    assert on_day_7.due_soon and not on_day_7.passed
    assert on_day_9.passed


def test_n1_the_earliest_item_sets_the_drafts_deadline():
    draft = make_draft(DEFECT)
    ClaimItemFactory(claim=draft, defect_date=day(3))

    assert draft_notice_state(draft, today=DEFECT).deadline == NOTICE_DEADLINE


def test_n1_a_run_missed_until_the_deadline_day_sends_only_the_last_reminder():
    draft = make_draft()

    assert sweep_notice_twice(day(8)) == {"notice_1d"}

    assert kinds(draft) == ["notice_1d"]
    assert len(mail.outbox) == 1
    assert f"today, {NOTICE_DEADLINE.isoformat()}" in mail.outbox[0].body


def test_n1_a_run_after_downtime_past_the_deadline_records_only_that_it_passed():
    draft = make_draft()

    assert sweep_notice_twice(day(12)) == {"notice_passed"}

    assert kinds(draft) == ["notice_passed"]
    assert len(mail.outbox) == 1


def test_n1_a_draft_saved_already_late_is_marked_but_not_mailed():
    draft = make_draft(saved_on=day(11))  # the draft page said "late" from the start

    assert sweep_notice_twice(day(12)) == {"notice_passed"}

    assert mail.outbox == []
    assert draft_notice_state(draft, today=day(12)).passed


def test_n1_submitted_claims_get_no_notice_reminders():
    submitted = make_submitted()
    ClaimItemFactory(claim=submitted, defect_date=DEFECT)

    assert sweep_notice_twice(day(6)) == set()
    assert draft_notice_state(submitted, today=day(6)).deadline is None


def test_n1_korean_buyers_are_reminded_in_korean():
    make_draft(org=OrganisationFactory(language="ko"))

    sweep_notice_twice(day(7))

    (message,) = mail.outbox
    assert "제출해 주십시오" in message.subject
    assert f"내일({NOTICE_DEADLINE.isoformat()})" in message.body


def test_n1_the_sweep_selects_its_candidates_in_a_fixed_number_of_queries():
    author = UserFactory()  # one author: hashing a password per draft would be slow
    for _ in range(10):
        make_draft(day(-30), author=author)  # long past, already marked
    remind_notice_deadlines(today=day(0))
    for _ in range(10):
        make_draft(day(-1), author=author)  # not due yet

    with CaptureQueriesContext(connection) as queries:
        remind_notice_deadlines(today=day(0))

    # The policy table, then one query per reminder kind: none of these drafts is a candidate.
    assert len(queries) == 4


# --- N4 ---------------------------------------------------------------------------------------


def test_n4_staff_are_reminded_on_days_23_and_28_and_the_hold_ends_on_day_30(sales_staff):
    claim = make_submitted()

    assert sweep_holds_twice(day(22, ASSIGNED)) == set()
    assert sweep_holds_twice(day(23, ASSIGNED)) == {"hold_7d"}
    assert sweep_holds_twice(day(28, ASSIGNED)) == {"hold_2d"}
    assert sweep_holds_twice(day(30, ASSIGNED)) == {"hold_ended"}
    assert sweep_holds_twice(day(31, ASSIGNED)) == set()

    assert kinds(claim) == ["hold_2d", "hold_7d", "hold_ended"]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (
            ["clerk@cpro.example"],
            f"[{claim.rma_number}] Hold ends in 7 days (2026-04-30), {claim.organisation.name}",
        ),
        (
            ["clerk@cpro.example"],
            f"[{claim.rma_number}] Hold ends in 2 days (2026-04-30), {claim.organisation.name}",
        ),
        ([claim.author.email], f"[{claim.rma_number}] The 30-day hold period has ended"),
        (
            ["clerk@cpro.example"],
            f"[{claim.rma_number}] Hold ended (2026-04-30), {claim.organisation.name}",
        ),
    ]


def test_n4_the_end_of_the_hold_is_an_event_in_the_claims_log(sales_staff):
    claim = make_submitted()

    sweep_holds(today=HOLD_UNTIL)

    event = claim.events.get(kind="hold_ended")
    assert event.actor_label == "system"
    assert event.channel == "system"
    assert event.data["hold_until"] == HOLD_UNTIL.isoformat()
    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert claim.hold_ended_at is not None


def test_n4_a_sweep_on_day_31_after_downtime_still_ends_the_hold_once(sales_staff):
    claim = make_submitted()

    assert sweep_holds_twice(day(31, ASSIGNED)) == {"hold_ended"}
    assert sweep_holds_twice(day(32, ASSIGNED)) == set()

    assert kinds(claim) == ["hold_ended"]  # no stale "7 days" or "2 days" afterwards
    assert claim.events.filter(kind="hold_ended").count() == 1
    assert len(mail.outbox) == 2  # the buyer and staff, once each


def test_n4_a_sweep_on_day_29_sends_the_2_day_reminder_not_the_stale_7_day_one(sales_staff):
    claim = make_submitted()

    assert sweep_holds_twice(day(29, ASSIGNED)) == {"hold_2d"}

    assert kinds(claim) == ["hold_2d"]
    assert "in 1 day" in mail.outbox[0].body


@pytest.mark.parametrize(
    "status", ["submitted", "info_requested", "return_authorized", "shipped", "received"]
)
def test_n4_the_hold_matters_until_the_goods_are_inspected(status, sales_staff):
    claim = make_submitted(status)

    assert sweep_holds_twice(day(23, ASSIGNED)) == {"hold_7d"}
    assert sweep_holds_twice(HOLD_UNTIL) == {"hold_ended"}
    assert claim.events.filter(kind="hold_ended").count() == 1


@pytest.mark.parametrize("status", ["inspected", "closed", "rejected", "cancelled", "refused"])
def test_n4_decided_or_withdrawn_claims_get_no_hold_reminders(status, sales_staff):
    claim = make_submitted(status)

    assert sweep_holds_twice(day(23, ASSIGNED)) == set()
    assert sweep_holds_twice(HOLD_UNTIL) == set()
    assert not claim.events.exists()
    assert mail.outbox == []


def test_n4_each_claim_gets_its_own_reminder(sales_staff):
    first = make_submitted(n=1)
    second = make_submitted(n=2)
    later = make_submitted(n=3, hold_until=HOLD_UNTIL + datetime.timedelta(days=1))

    assert sweep_holds(today=day(23, ASSIGNED)) == {"hold_7d": 2, "hold_2d": 0, "hold_ended": 0}

    assert kinds(first) == kinds(second) == ["hold_7d"]
    assert kinds(later) == []


def test_n4_without_sales_staff_the_hold_end_still_reaches_the_buyer():
    UserFactory()  # nobody in the sales staff group, no staff user
    claim = make_submitted()

    sweep_holds_twice(HOLD_UNTIL)

    assert [m.to for m in mail.outbox] == [[claim.author.email]]


def add_not_due(count, *, author, item):
    """``count`` drafts whose N1 deadline is days away and claims whose hold ends in weeks."""
    drafts = Claim.objects.bulk_create(
        Claim(organisation=author.organisation, author=author, status="draft") for _ in range(count)
    )
    ClaimItem.objects.bulk_create(
        ClaimItem(claim=draft, unit=item.unit, defect_date=day(-1)) for draft in drafts
    )
    Claim.objects.bulk_create(
        Claim(
            organisation=author.organisation,
            status="submitted",
            rma_number=f"RMA-2026-{count:03d}{n:04d}",
            hold_until=day(20),
        )
        for n in range(count)
    )


def test_the_sweeps_query_count_does_not_grow_with_claims_not_due():
    # Issue 19: no query per claim that is not due, for N1 or N4 (one due claim of each).
    author = UserFactory()
    due_draft = make_draft(day(-6), author=author)
    make_submitted(hold_until=day(7), n=999999)
    counts = []
    for count in (10, 1000):
        add_not_due(count, author=author, item=due_draft.items.get())
        Reminder.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            recorded = (remind_notice_deadlines(today=day(0)), sweep_holds(today=day(0)))
        assert [sum(kinds.values()) for kinds in recorded] == [1, 1]
        counts.append(len(queries))

    assert Claim.objects.count() == 2 + 2 * (10 + 1000)
    assert counts[0] == counts[1]
