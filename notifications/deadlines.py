"""The deadlines of the terms (SPEC "Deadlines"): N1 notice reminders, the N4 hold clock.

Each sweep selects its candidates with one query per reminder kind (status and date window,
minus the claims that already have that ``Reminder``) and records each reminder under the
unique (claim, kind), in the same transaction as the outbox row of its e-mail. So a sweep can
run twice, late, or after downtime and still sends each reminder once.

Late runs (decided here, tested in tests/notifications/test_deadlines.py):

- A reminder is sent while its window is open, not only on its exact day: the N1 "1 day"
  reminder until the deadline day itself (notice on the deadline is in time), the N4 "7 days"
  one from 7 to 3 days before the end, the "2 days" one from 2 to 1 day before.
- Once the next window has opened, the earlier reminder is skipped rather than sent late: a
  buyer told "2 days left" when one is left, or staff told "7 days" on day 29, is misled.
- What marks an end — the hold's end (N4), a passed notice deadline (N1) — is always recorded,
  however late the sweep runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from claims.holds import HOLD_PENDING, end_hold
from claims.models import Claim, ClaimStatus
from warranty import rules
from warranty.selectors import PolicyTable, seoul_today

from . import outbox
from .models import Reminder, ReminderKind

SEND_REMINDER_EMAIL = "notifications.tasks.send_reminder_email"

# N1 windows, in days left until the notice deadline (inclusive; None: open-ended).
NOTICE_WINDOWS = (
    (ReminderKind.NOTICE_2D, 2, 2),
    (ReminderKind.NOTICE_1D, 0, 1),
    (ReminderKind.NOTICE_PASSED, None, -1),
)
# N4 windows, in days left until the hold ends.
HOLD_WINDOWS = (
    (ReminderKind.HOLD_7D, 3, 7),
    (ReminderKind.HOLD_2D, 1, 2),
    (ReminderKind.HOLD_ENDED, None, 0),
)


def _window(field: str, today: date, low: int | None, high: int | None) -> Q:
    q = Q()
    if low is not None:
        q &= Q(**{f"{field}__gte": today + timedelta(days=low)})
    if high is not None:
        q &= Q(**{f"{field}__lte": today + timedelta(days=high)})
    return q


def _in_window(days_left: int, low: int | None, high: int | None) -> bool:
    return (low is None or days_left >= low) and (high is None or days_left <= high)


def _not_reminded(kind: str) -> Q:
    return ~Exists(Reminder.objects.filter(claim=OuterRef("pk"), kind=kind))


# --- N1: the notice deadline of a draft -------------------------------------------------------


@dataclass(frozen=True)
class NoticeState:
    """Where a draft stands against its N1 deadline (the earliest of its items')."""

    deadline: date | None
    days_left: int | None

    @property
    def passed(self) -> bool:
        """Submitting now gives a late notice: items not covered unless staff except them."""
        return self.days_left is not None and self.days_left < 0

    @property
    def due_soon(self) -> bool:
        return self.days_left is not None and 0 <= self.days_left <= 2


def notice_deadline_of(claim: Claim, policies: PolicyTable | None = None) -> date | None:
    """N1: the earliest notice deadline of the claim's items, each by its unit's policy."""
    policies = policies or PolicyTable.load()
    deadlines = [
        rules.notice_deadline(
            item.defect_date, policies.in_force_on(item.unit.shipment.warranty_start)
        )
        for item in claim.items.all()
    ]
    return min(deadlines, default=None)


def draft_notice_state(claim: Claim, today: date | None = None) -> NoticeState:
    """For the portal's draft page: the N1 deadline, and whether it is near or passed."""
    if claim.status != ClaimStatus.DRAFT:
        return NoticeState(None, None)
    deadline = notice_deadline_of(claim)
    if deadline is None:
        return NoticeState(None, None)
    return NoticeState(deadline, (deadline - (today or seoul_today())).days)


def remind_notice_deadlines(*, today: date | None = None) -> dict[str, int]:
    """N1: remind a draft's author 2 days and 1 day before its notice deadline; record once it
    has passed (the author is told, if the draft was in time when it was saved).

    Returns the number of reminders recorded by kind.
    """
    today = today or seoul_today()
    policies = PolicyTable.load()
    notice_days = [terms.notice_days for terms in policies.terms] or [8]
    shortest, longest = min(notice_days), max(notice_days)
    # The earliest defect date is kept on the claim (claims/first_defect.py) under a partial
    # index on drafts: each query reads the index range of its window, not every draft.
    drafts = Claim.objects.filter(status=ClaimStatus.DRAFT)
    counts = {}
    for kind, low, high in NOTICE_WINDOWS:
        # The deadline lies between the earliest defect date plus the shortest and the longest
        # notice period on record (one and the same with a single policy version): the query
        # narrows to those drafts, the exact deadline is checked per candidate below.
        candidates = (
            drafts.filter(
                _window(
                    "first_defect_date",
                    today,
                    None if low is None else low - longest,
                    None if high is None else high - shortest,
                ),
                _not_reminded(kind),
            )
            .order_by("pk")
            .prefetch_related("items__unit__shipment")
        )
        recorded = 0
        for claim in candidates:
            deadline = notice_deadline_of(claim, policies)
            if deadline is None or not _in_window((deadline - today).days, low, high):
                continue
            # A draft saved after its deadline had passed said so from the start: no e-mail.
            notify = kind != ReminderKind.NOTICE_PASSED or (
                rules.seoul_date(claim.created_at) <= deadline
            )
            recorded += _remind(claim.pk, kind, deadline, today, {ClaimStatus.DRAFT}, notify=notify)
        counts[kind.value] = recorded
    return counts


# --- N4: the hold -----------------------------------------------------------------------------


def sweep_holds(*, today: date | None = None) -> dict[str, int]:
    """N4: remind staff 7 and 2 days before a pending claim's hold ends; when it has ended,
    record it through the claims act ``end_hold`` (which tells the buyer and staff).

    Returns the number of reminders and hold ends recorded by kind.
    """
    today = today or seoul_today()
    pending = Claim.objects.filter(status__in=HOLD_PENDING, hold_until__isnull=False)
    counts = {}
    for kind, low, high in HOLD_WINDOWS:
        due = (
            pending.filter(_window("hold_until", today, low, high), _not_reminded(kind))
            .order_by("pk")
            .values_list("pk", "hold_until")
        )
        recorded = 0
        for claim_id, hold_until in due:
            if kind == ReminderKind.HOLD_ENDED:
                recorded += _end_hold(claim_id, hold_until, today)
            else:
                recorded += _remind(claim_id, kind, hold_until, today, HOLD_PENDING)
        counts[kind.value] = recorded
    return counts


def _end_hold(claim_id: int, hold_until: date, today: date) -> bool:
    """The N4 act, and the sweep's own mark that this claim's hold end is recorded."""
    with transaction.atomic():
        ended = end_hold(claim=claim_id, today=today)
        if ended:
            Reminder.objects.get_or_create(
                claim_id=claim_id,
                kind=ReminderKind.HOLD_ENDED,
                defaults={"deadline": hold_until, "recorded_on": today},
            )
    return ended


def _remind(
    claim_id: int, kind: str, deadline: date, today: date, statuses, *, notify: bool = True
) -> bool:
    """Record one reminder and queue its e-mail, under the claim's lock (status rechecked)."""
    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update()
            .filter(pk=claim_id, status__in=statuses)
            .values_list("pk", flat=True)
            .first()
        )
        if locked is None:
            return False  # moved on since the sweep's query (submitted, decided…)
        # Reminders are written only under their claim's lock (here and ``_end_hold``, through
        # the claims act): a plain check then insert cannot race, where ``get_or_create`` would
        # add a savepoint pair per due claim. The unique (claim, kind) still stands behind it.
        if Reminder.objects.filter(claim_id=claim_id, kind=kind).exists():
            return False
        reminder = Reminder.objects.create(
            claim_id=claim_id, kind=kind, deadline=deadline, recorded_on=today
        )
        if notify:
            outbox.enqueue(
                SEND_REMINDER_EMAIL, args=[reminder.pk], dedupe_key=f"reminder:{reminder.pk}"
            )
        return True
