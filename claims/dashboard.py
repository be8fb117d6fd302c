"""The sales-staff dashboard: where the claims stand, and what they say about the products.

Every figure is aggregated in the database, one GROUP BY per chart (STYLE: no per-row Python
loops over big tables); Python only arranges the few aggregated rows and lays out the bars.
Charts are plain SVG drawn server-side, so the page works offline (no CDN, no JavaScript).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connections
from django.db.models import (
    Count,
    DateField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Greatest, TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _

from warranty.models import ProductModel, UnitCount
from warranty.selectors import seoul_today

from . import queue, workdays
from .holds import HOLD_WARNING_DAYS
from .models import (
    OPEN_STATUSES,
    Claim,
    ClaimItem,
    ClaimStatus,
    Decision,
    DefectReason,
    NoticedMonth,
    Outcome,
)

WINDOW_MONTHS = 12
TOP_MODELS = 8


# --- SVG bar charts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    key: str  # stable identifier (status code, month, model code) for links and tests
    label: str
    value: float
    text: str  # the value as shown
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    text_x: float
    text_y: float
    title: str = ""  # tooltip
    href: str = ""


@dataclass(frozen=True)
class Chart:
    kind: str  # "h" (labels left, bars right) or "v" (months along the bottom)
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    label_width: int = 0
    empty: bool = False


Row = tuple[str, str, float, str, str, str]  # key, label, value, text, title, href


def hbar_chart(rows: Sequence[Row], *, width: int = 520, label_width: int = 190) -> Chart:
    """Horizontal bars, one per row, scaled to the largest value."""
    bar_h, gap, value_w = 18, 6, 70
    top = max((r[2] for r in rows), default=0) or 1
    span = width - label_width - value_w
    bars = []
    for i, (key, label, value, text, title, href) in enumerate(rows):
        y = i * (bar_h + gap)
        length = round(span * value / top, 1)
        bars.append(
            Bar(
                key=key,
                label=label,
                value=value,
                text=text,
                x=label_width,
                y=y,
                width=length,
                height=bar_h,
                label_x=label_width - 6,
                label_y=y + 13,
                text_x=label_width + length + 6,
                text_y=y + 13,
                title=title or f"{label}: {text}",
                href=href,
            )
        )
    height = max(len(rows) * (bar_h + gap), bar_h)
    return Chart("h", width, height, bars, label_width, empty=not any(r[2] for r in rows))


def vbar_chart(
    rows: Sequence[Row], *, width: int = 520, plot_height: int = 120, top: float | None = None
) -> Chart:
    """Vertical bars (e.g. one per month), scaled to ``top`` or the largest value; the value
    above each bar, the label below."""
    pad, label_h, gap = 14, 16, 4
    top = top or max((r[2] for r in rows), default=0) or 1
    slot = width / max(len(rows), 1)
    bars = []
    for i, (key, label, value, text, title, href) in enumerate(rows):
        height = round(plot_height * value / top, 1)
        x = round(i * slot + gap / 2, 1)
        y = round(pad + plot_height - height, 1)
        centre = round(x + (slot - gap) / 2, 1)
        bars.append(
            Bar(
                key=key,
                label=label,
                value=value,
                text=text,
                x=x,
                y=y,
                width=round(slot - gap, 1),
                height=height,
                label_x=centre,
                label_y=pad + plot_height + 12,
                text_x=centre,
                text_y=y - 3,
                title=title or f"{label}: {text}",
                href=href,
            )
        )
    return Chart("v", width, pad + plot_height + label_h, bars, empty=not any(r[2] for r in rows))


# --- Aggregates -----------------------------------------------------------------------------


def months_back(today: date, count: int = WINDOW_MONTHS) -> list[date]:
    """The first days of the last ``count`` months, oldest first, this month last."""
    first = today.replace(day=1)
    months = []
    for _i in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def _changelist(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('admin:claims_claim_changelist')}?{query}"


def status_chart() -> Chart:
    """Claims by status, in lifecycle order (one GROUP BY, from the status index)."""
    counts = dict(Claim.objects.order_by().values_list("status").annotate(n=Count("*")))
    return hbar_chart(
        [
            (s.value, str(s.label), n, f"{n:,}", "", _changelist(status=s.value))
            for s in ClaimStatus
            for n in [counts.get(s.value, 0)]
        ]
    )


def hold_summary(today: date) -> dict[str, int]:
    """N4: open claims whose hold ends within a week, and whose hold has ended (one query)."""
    week_end = today + timedelta(days=HOLD_WARNING_DAYS)
    # Both counts end by the week's end: a range of the open claims' hold index, not all of it.
    return Claim.objects.filter(status__in=OPEN_STATUSES, hold_until__lte=week_end).aggregate(
        week=Count("pk", filter=Q(hold_until__gte=today, hold_until__lte=week_end)),
        past=Count("pk", filter=Q(hold_until__lt=today)),
    )


def hold_chart(summary: dict[str, int]) -> Chart:
    return hbar_chart(
        [
            (
                "week",
                _("Hold ends within 7 days"),
                summary["week"],
                f"{summary['week']:,}",
                "",
                _changelist(hold="week"),
            ),
            (
                "past",
                _("Hold ended, still open"),
                summary["past"],
                f"{summary['past']:,}",
                "",
                _changelist(hold="past"),
            ),
        ]
    )


def holds_ending(today: date, limit: int = 10) -> QuerySet[Claim]:
    """The open claims whose hold ends soonest (ended ones first), on the (status, hold) index."""
    return (
        Claim.objects.filter(
            status__in=OPEN_STATUSES,
            hold_until__lte=today + timedelta(days=HOLD_WARNING_DAYS),
        )
        .select_related("organisation")
        .order_by("hold_until", "pk")[:limit]
    )


@dataclass(frozen=True)
class ModelTrend:
    code: str
    items: int  # claim items noticed in the window
    units: int  # units shipped to date (installed base at the window's end)
    rate: float  # items / units, in %
    chart: Chart


def _items_per_model_month(start: date) -> dict[int, dict[date, int]]:
    """Claim items per product model (CPRO's record of the unit, not the buyer's typing) per
    Seoul month of notice, read from the per-month summary of the noticed items
    (claims/summaries.py: ``NoticedMonth``, one row per model and month, no aggregate here)."""
    rows = NoticedMonth.objects.filter(month__gte=start).values_list(
        "product_model_id", "month", "items"
    )
    found: dict[int, dict[date, int]] = defaultdict(dict)
    for model_id, month, n in rows:
        found[model_id][month] = n
    return found


def _units_per_model_month(start: date, model_ids: Sequence[int]) -> dict[int, dict[date, int]]:
    """Units shipped per model per month; everything before the window in its first month
    (one GROUP BY over the units per shipment and model, warranty/summaries.py), so a running
    sum gives the installed base at each month's end."""
    rows = (
        UnitCount.objects.filter(product_model_id__in=model_ids)
        .annotate(
            month=TruncMonth(
                Greatest("shipment__shipment_date", Value(start, output_field=DateField())),
                output_field=DateField(),
            )
        )
        .order_by()
        .values_list("product_model_id", "month")
        .annotate(n=Sum("units"))
    )
    found: dict[int, dict[date, int]] = defaultdict(dict)
    for model_id, month, n in rows:
        found[model_id][month] = n
    return found


def _pct(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def model_trends(today: date) -> tuple[list[ModelTrend], Chart, Chart]:
    """Per product model: claim items per month against the units shipped of that model.

    The defect rate of a month is the items noticed that month over the units shipped by its
    end; the window's rate is its items over the units shipped to date. Returns the top models
    (most items), the window's rate per model as one chart, and all items per month as another.
    """
    months = months_back(today)
    items = _items_per_model_month(months[0])
    codes = dict(ProductModel.objects.filter(pk__in=list(items)).values_list("pk", "code"))
    top = sorted(items, key=lambda pk: (-sum(items[pk].values()), codes[pk]))[:TOP_MODELS]
    units = _units_per_model_month(months[0], top)
    peak = max((n for pk in top for n in items[pk].values()), default=0) or 1
    trends = []
    for pk in top:
        base = 0
        rows = []
        for month in months:
            base += units[pk].get(month, 0)
            n = items[pk].get(month, 0)
            rate = _pct(n, base)
            rows.append(
                (
                    month.isoformat(),
                    month.strftime("%b"),
                    n,
                    str(n),
                    _("%(month)s: %(n)d items, %(rate).2f%% of %(units)s units shipped")
                    % {
                        "month": month.strftime("%Y-%m"),
                        "n": n,
                        "rate": rate,
                        "units": f"{base:,}",
                    },
                    "",
                )
            )
        total = sum(items[pk].values())
        trends.append(
            ModelTrend(
                code=codes[pk],
                items=total,
                units=base,
                rate=_pct(total, base),
                chart=vbar_chart(rows, width=360, plot_height=60, top=peak),
            )
        )
    rate_chart = hbar_chart(
        [
            (t.code, t.code, t.rate, f"{t.rate:.2f}%", f"{t.items:,} of {t.units:,} units", "")
            for t in trends
        ]
    )
    per_month = defaultdict(int)
    for by_month in items.values():
        for month, n in by_month.items():
            per_month[month] += n
    month_chart = vbar_chart(
        [
            (m.isoformat(), m.strftime("%b %y"), per_month[m], str(per_month[m]), "", "")
            for m in months
        ]
    )
    return trends, rate_chart, month_chart


def reason_chart() -> Chart:
    """Items of every submitted claim, by the buyer's defect reason: every item's count less
    the drafts' (drafts gave no notice yet; they are few, found by claim), two GROUP BYs read
    from the items' (claim, reason) index, then the reasons' names."""

    def by_reason(items: QuerySet[ClaimItem]) -> dict[int | None, int]:
        return dict(items.order_by().values_list("defect_reason").annotate(n=Count("*")))

    in_drafts = by_reason(ClaimItem.objects.filter(claim__status=ClaimStatus.DRAFT))
    counts = {
        pk: left
        for pk, n in by_reason(ClaimItem.objects.all()).items()
        if (left := n - in_drafts.get(pk, 0))
    }
    reasons = {  # the reference list (a few rows), whole: one query, whatever the counts
        pk: (code, name)
        for pk, code, name in DefectReason.objects.values_list("pk", "code", "name_en")
    }
    rows = sorted(
        ((*reasons.get(pk, (None, None)), n) for pk, n in counts.items()),
        key=lambda row: (-row[2], row[0] is None, row[0] or ""),  # ORDER BY -n, code
    )
    return hbar_chart(
        [
            (code or "none", name or _("(no reason given)"), n, f"{n:,}", "", "")
            for code, name, n in rows
        ]
    )


def outcome_chart() -> Chart:
    """Decided items, by outcome: D1 remedies, or not covered (one GROUP BY, on the partial
    index of decided items)."""
    counts = dict(
        ClaimItem.objects.exclude(outcome="")
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("*"))
    )
    return hbar_chart(
        [
            (o.value, str(o.label), n, f"{n:,}", "", "")
            for o in Outcome
            for n in [counts.get(o.value, 0)]
        ]
    )


def _days(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 86400


def _decision_medians_postgresql(start: date) -> tuple[float | None, dict]:
    """One scan of the decisions' (month, wait) index: the median wait per month of decision
    and overall (GROUP BY ROLLUP, which the ORM cannot say; the row whose month is NULL is the
    overall one)."""
    sql = f"""
        SELECT month, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY waited), COUNT(*)
        FROM "{Decision._meta.db_table}" WHERE month >= %s
        GROUP BY ROLLUP (1)
    """
    overall, monthly = None, {}
    with connections[Decision.objects.db].cursor() as cursor:
        cursor.execute(sql, [start])
        for month, median, n in cursor.fetchall():
            if month is None:
                overall = _days(median)
            else:
                monthly[month] = (_days(median), n)
    return overall, monthly


def _decision_medians_python(start: date) -> tuple[float | None, dict]:
    """The embedded SQLite default has no percentile function: fine for a demo's rows."""
    waits: dict[date, list[float]] = defaultdict(list)
    for month, wait in Decision.objects.filter(month__gte=start).values_list("month", "waited"):
        waits[month].append(_days(wait))
    every = [w for ws in waits.values() for w in ws]
    overall = statistics.median(every) if every else None
    return overall, {m: (statistics.median(ws), len(ws)) for m, ws in waits.items()}


def decision_times(months: Sequence[date]) -> tuple[float | None, Chart]:
    """Median days from the notice (N1) to the staff's decision (inspection or rejection),
    overall and per month of decision, for decisions in the window."""
    if connections[Decision.objects.db].vendor == "postgresql":
        overall, monthly = _decision_medians_postgresql(months[0])
    else:
        overall, monthly = _decision_medians_python(months[0])
    rows = []
    for month in months:
        median, n = monthly.get(month, (None, 0))
        text = f"{median:.1f} d" if median is not None else "—"
        rows.append(
            (
                month.isoformat(),
                month.strftime("%b %y"),
                median or 0,
                text,
                _("%(month)s: median %(text)s over %(n)d decisions")
                % {"month": month.strftime("%Y-%m"), "text": text, "n": n},
                "",
            )
        )
    return overall, vbar_chart(rows)


def dashboard(today: date | None = None) -> dict:
    """Everything the dashboard page shows."""
    today = today or seoul_today()
    months = months_back(today)
    start = months[0]
    holds = hold_summary(today)
    trends, rate_chart, month_chart = model_trends(today)
    median, median_chart = decision_times(months)
    waiting = queue.counts(queue.queue(today=today))
    return {
        "today": today,
        "window_start": start,
        "status_chart": status_chart(),
        "holds": holds,
        "hold_chart": hold_chart(holds),
        "holds_ending": list(holds_ending(today)),
        "model_trends": trends,
        "rate_chart": rate_chart,
        "month_chart": month_chart,
        "reason_chart": reason_chart(),
        "outcome_chart": outcome_chart(),
        "median_days": median,
        "median_chart": median_chart,
        # The work queue's reasons with how many wait and how many are past their working-day
        # target (claims/queue.py, claims/workdays.py): one query.
        "queue_targets": [(r, n) for r in queue.REASONS for n in [waiting[r.key]]],
        "first_response_days": workdays.FIRST_RESPONSE_DAYS,
        "inspection_days": workdays.INSPECTION_DAYS,
    }
