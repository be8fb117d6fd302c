"""The staff work queue: the open claims waiting for CPRO, most urgent first (issue 16).

A claim is in the queue for its most urgent reason, in this order:

1. ``hold`` — the N4 hold ends within a week (or has ended) and the products are still pending
   (not yet inspected): decide or inspect before the buyer may dispose of them;
2. ``answered`` — the buyer answered CPRO's request for information and CPRO has not replied;
3. ``message`` — a buyer's message unanswered for more than ``FIRST_RESPONSE_DAYS`` working day;
4. ``received`` — the return arrived (R2) and is not inspected yet.

Within a reason the longest waiting comes first (for the hold: the nearest end). Everything is
one query over the open claims' own columns (the thread's last public message of each side and
the last answer to a request for information are kept on the claim: ``Message.save``,
``claims.events.append_event``) plus one for the counts, whatever the number of claims
(STYLE 6). Working days are Seoul's (claims/workdays.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from warranty.rules import SEOUL, seoul_date
from warranty.selectors import seoul_today

from . import workdays
from .holds import HOLD_PENDING, HOLD_WARNING_DAYS
from .models import OPEN_STATUSES, Claim, ClaimStatus


@dataclass(frozen=True)
class Reason:
    rank: int
    key: str
    label: str
    target_days: int | None  # working days CPRO aims to act within, None: the hold's date


HOLD = Reason(1, "hold", _("Hold ending (N4)"), None)
ANSWERED = Reason(2, "answered", _("Information answered"), workdays.FIRST_RESPONSE_DAYS)
MESSAGE = Reason(3, "message", _("Buyer's message unanswered"), workdays.FIRST_RESPONSE_DAYS)
RECEIVED = Reason(4, "received", _("Received, not inspected (R2)"), workdays.INSPECTION_DAYS)
REASONS = (HOLD, ANSWERED, MESSAGE, RECEIVED)
BY_RANK = {reason.rank: reason for reason in REASONS}
BY_KEY = {reason.key: reason for reason in REASONS}


def _seoul_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SEOUL)


def queue(*, today: date | None = None) -> QuerySet[Claim]:
    """The queue's claims, each annotated with ``queue_rank`` and ``waiting_since``, in order."""
    today = today or seoul_today()
    message_cutoff = _seoul_midnight(
        workdays.latest_late_start(today, workdays.FIRST_RESPONSE_DAYS) + timedelta(days=1)
    )
    # The thread's times are on the claim (kept where messages and events are written), so
    # every claim is read once, with no subquery per claim (issue 19).
    claims = Claim.objects.filter(status__in=OPEN_STATUSES).annotate(
        last_buyer_at=F("last_buyer_message_at"),
        last_staff_at=F("last_staff_message_at"),
        answered_at=F("info_answered_at"),
    )
    buyer_waiting = Q(last_buyer_at__isnull=False) & (
        Q(last_staff_at__isnull=True) | Q(last_staff_at__lt=F("last_buyer_at"))
    )
    hold = Q(
        status__in=HOLD_PENDING,
        hold_until__isnull=False,
        hold_until__lte=today + timedelta(days=HOLD_WARNING_DAYS),
    )
    answered = Q(status=ClaimStatus.SUBMITTED, answered_at__isnull=False) & (
        Q(last_staff_at__isnull=True) | Q(last_staff_at__lt=F("answered_at"))
    )
    message = buyer_waiting & Q(last_buyer_at__lt=message_cutoff)
    received = Q(status=ClaimStatus.RECEIVED)
    inspection_cutoff = _seoul_midnight(
        workdays.latest_late_start(today, workdays.INSPECTION_DAYS) + timedelta(days=1)
    )
    return (
        claims.annotate(
            queue_rank=Case(
                When(hold, then=Value(HOLD.rank)),
                When(answered, then=Value(ANSWERED.rank)),
                When(message, then=Value(MESSAGE.rank)),
                When(received, then=Value(RECEIVED.rank)),
                default=None,
                output_field=IntegerField(),
            ),
            waiting_since=Case(
                When(hold, then=F("notice_at")),
                When(answered, then=F("answered_at")),
                When(message, then=F("last_buyer_at")),
                When(received, then=F("received_at")),
                default=None,
                output_field=DateTimeField(),
            ),
            # Past the target: the hold has ended, or the working days allowed have passed.
            queue_late=Case(
                When(hold, then=Q(hold_until__lt=today)),
                When(answered, then=Q(answered_at__lt=message_cutoff)),
                When(message, then=Value(True)),
                When(received, then=Q(received_at__lt=inspection_cutoff)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .filter(queue_rank__isnull=False)
        .select_related("organisation", "assigned_to")
        .order_by(
            "queue_rank",
            Case(When(hold, then=F("hold_until")), default=None).asc(nulls_last=True),
            F("waiting_since").asc(nulls_last=True),
            "pk",
        )
    )


def for_assignee(claims: QuerySet[Claim], who: str, user) -> QuerySet[Claim]:
    """``mine``: the user's claims; ``unassigned``: nobody's; anything else: all."""
    if who == "mine":
        return claims.filter(assigned_to=user)
    if who == "unassigned":
        return claims.filter(assigned_to__isnull=True)
    return claims


def counts(claims: QuerySet[Claim]) -> dict[str, dict[str, int]]:
    """Per reason, how many claims of the queue wait and how many are past the target
    (one query, grouped by rank and lateness: each claim's rank is worked out once, not once
    per count as in eight ``COUNT … FILTER``s, which took seconds at 100,000 claims)."""
    found = {(r.key, late): 0 for r in REASONS for late in (False, True)}
    by_rank = {r.rank: r.key for r in REASONS}
    rows = claims.order_by().values_list("queue_rank", "queue_late").annotate(n=Count("pk"))
    for rank, late, n in rows:
        found[(by_rank[rank], bool(late))] += n
    return {
        r.key: {"all": found[(r.key, False)] + found[(r.key, True)], "late": found[(r.key, True)]}
        for r in REASONS
    }


@dataclass(frozen=True)
class Row:
    """One line of the queue, as the page and the digest show it."""

    claim: Claim
    reason: Reason
    since: date | None  # Seoul date the claim started waiting for this reason
    waited_days: int  # working days waited so far
    due: date | None  # the target date (hold: the hold's end)
    late: bool


def row(claim: Claim, today: date) -> Row:
    reason = BY_RANK[claim.queue_rank]
    since = seoul_date(claim.waiting_since) if claim.waiting_since else None
    waited = workdays.working_days_between(since, today) if since else 0
    if reason is HOLD:
        due = claim.hold_until
    else:
        due = workdays.due_date(since, reason.target_days) if since else None
    return Row(claim, reason, since, waited, due, bool(claim.queue_late))


def rows(claims, today: date | None = None) -> list[Row]:
    today = today or seoul_today()
    return [row(claim, today) for claim in claims]


def late(today: date | None = None) -> QuerySet[Claim]:
    """The queue's claims past their target (the weekly digest)."""
    return queue(today=today).filter(queue_late=True)
