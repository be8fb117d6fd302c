"""The analytics pages' tables and charts, built from the selectors' aggregated rows.

One ``Table`` feeds both the HTML page and its CSV download, so the two never disagree.
Charts reuse the dashboard's SVG bar layout (claims/dashboard.py); the Nevada heat map is laid
out here. No business rule lives here: only arranging and formatting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from claims.dashboard import Chart, hbar_chart, vbar_chart
from warranty.models import ComponentKind

from . import selectors
from .early_warning import Report
from .stats import Interval

BATCHES_SHOWN = 40


@dataclass
class Table:
    key: str  # the ?csv= name
    title: str
    headers: list[str]
    rows: Sequence[list] = field(default_factory=list)
    note: str = ""
    shown: int | None = None  # rows on the page (all of them in the CSV)

    @property
    def page_rows(self) -> list[list]:
        return self.rows if self.shown is None else self.rows[: self.shown]


class FormattedRows(Sequence):
    """A table's rows formatted when read: the page reads the rows it shows, the CSV all."""

    def __init__(self, source: Sequence, format_row: Callable[[object], list]):
        self.source, self.format_row = source, format_row

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.format_row(row) for row in self.source[index]]
        return self.format_row(self.source[index])

    def __iter__(self) -> Iterator[list]:
        return map(self.format_row, self.source)


def _num(value: float | None, places: int = 1) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "∞"
    return f"{value:,.{places}f}"


def _interval(interval: Interval | None) -> list[str]:
    if interval is None:
        return ["—", "—", "—"]
    return [_num(interval.estimate), _num(interval.low), _num(interval.high)]


def _share(interval: Interval | None) -> list[str]:
    if interval is None:
        return ["—", "—", "—"]
    return [_num(100 * interval.estimate), _num(100 * interval.low), _num(100 * interval.high)]


# --- Rates ----------------------------------------------------------------------------------


def rate_table(by: str, rows: list[selectors.RateRow]) -> Table:
    first = {
        "model": [_("Model")],
        "batch": [_("PI number"), _("Model"), _("Shipment date")],
        "month": [_("Ship month")],
    }[by]
    title = {
        "model": _("Failure rates by product model"),
        "batch": _("Failure rates by shipment batch (PI number)"),
        "month": _("Failure rates by ship month"),
    }[by]
    table = Table(
        f"rates-{by}",
        title,
        [
            *first,
            _("Units shipped"),
            _("Units claimed"),
            _("Claimed per 1,000"),
            _("Low (95%)"),
            _("High (95%)"),
            _("Confirmed defects"),
            _("Confirmed per 1,000"),
            _("Low (95%)"),
            _("High (95%)"),
        ],
        shown=BATCHES_SHOWN if by == "batch" else None,
    )

    def format_row(row: selectors.RateRow) -> list:
        key = [k.strftime("%Y-%m") if by == "month" else k for k in row.key]
        if by == "batch":
            key[2] = row.key[2].isoformat()
        return [
            *key,
            row.units,
            row.claimed,
            *_interval(row.claimed_rate),
            row.confirmed,
            *_interval(row.confirmed_rate),
        ]

    table.rows = FormattedRows(rows, format_row)
    return table


def rate_chart(rows: list[selectors.RateRow]) -> Chart:
    return hbar_chart(
        [
            (
                r.label,
                r.label,
                r.claimed_rate.estimate if r.claimed_rate else 0,
                _num(r.claimed_rate.estimate if r.claimed_rate else None),
                _("%(label)s: %(rate)s per 1,000 (95%% %(low)s–%(high)s), %(n)s units")
                % {
                    "label": r.label,
                    "rate": _num(r.claimed_rate.estimate),
                    "low": _num(r.claimed_rate.low),
                    "high": _num(r.claimed_rate.high),
                    "n": f"{r.units:,}",
                },
                "",
            )
            for r in rows
            if r.claimed_rate
        ]
    )


def month_chart(rows: list[selectors.RateRow]) -> Chart:
    return vbar_chart(
        [
            (
                r.label,
                r.label[2:],
                r.claimed_rate.estimate if r.claimed_rate else 0,
                _num(r.claimed_rate.estimate if r.claimed_rate else None, 0),
                "",
                "",
            )
            for r in rows
        ],
        width=760,
    )


# --- Nevada ---------------------------------------------------------------------------------


def nevada_table(data: selectors.Nevada) -> Table:
    table = Table(
        "nevada",
        _("Nevada table: units claimed by ship month and months in service"),
        [_("Ship month"), _("Units shipped"), *[str(a) for a in data.ages], _("Total")],
    )
    for month in data.ship_months:
        cells = data.row(month)
        table.rows.append([month.strftime("%Y-%m"), data.units.get(month, 0), *cells, sum(cells)])
    totals = [sum(data.counts.get((m, a), 0) for m in data.ship_months) for a in data.ages]
    table.rows.append([_("Total"), sum(data.units.values()), *totals, data.total])
    return table


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    fill: str
    title: str


@dataclass(frozen=True)
class HeatMap:
    width: int
    height: int
    cell: int
    left: int
    top: int
    cells: list[Cell]
    row_labels: list[tuple[int, str]]
    col_labels: list[tuple[int, str]]
    empty: bool


def nevada_chart(data: selectors.Nevada) -> HeatMap:
    """The Nevada table as a heat map: darker is more claims per 1,000 units of that month."""
    size, left, top = 16, 64, 28
    peak = max((data.rate(m, a) for m in data.ship_months for a in data.ages), default=0) or 1
    cells = []
    for row, month in enumerate(data.ship_months):
        for col, age in enumerate(data.ages):
            rate = data.rate(month, age)
            n = data.counts.get((month, age), 0)
            if not n:
                continue
            shade = 0.12 + 0.88 * rate / peak
            cells.append(
                Cell(
                    left + col * size,
                    top + row * size,
                    f"rgba(186,33,33,{shade:.2f})",
                    _("%(month)s, month %(age)d in service: %(n)d claimed, %(rate)s per 1,000")
                    % {"month": month.strftime("%Y-%m"), "age": age, "n": n, "rate": _num(rate)},
                )
            )
    return HeatMap(
        width=left + len(data.ages) * size + 8,
        height=top + len(data.ship_months) * size + 8,
        cell=size - 2,
        left=left,
        top=top,
        cells=cells,
        row_labels=[
            (top + i * size + 12, m.strftime("%Y-%m")) for i, m in enumerate(data.ship_months)
        ],
        col_labels=[(left + i * size + 7, str(a)) for i, a in enumerate(data.ages) if a % 3 == 0],
        empty=not cells,
    )


# --- Breakdowns -----------------------------------------------------------------------------


def reason_table(rows) -> Table:
    table = Table(
        "reasons", _("Defect reasons per model"), [_("Model"), _("Defect reason"), _("Items")]
    )
    korean = (get_language() or "").startswith("ko")
    for model, _code, name_en, name_ko, n in rows:
        name = name_ko if korean else name_en
        table.rows.append([model, name or _("(no reason given)"), n])
    return table


COMPONENT_KINDS = [*ComponentKind.values, "unknown"]


def component_table(found: dict[str, dict[str, int]]) -> Table:
    labels = {**dict(ComponentKind.choices), "unknown": _("Unknown")}
    table = Table(
        "components",
        _("Failed components per model (W2, W3, W4)"),
        [_("Model"), *[str(labels[k]) for k in COMPONENT_KINDS], _("Total")],
    )
    for model, kinds in found.items():
        counts = [kinds.get(k, 0) for k in COMPONENT_KINDS]
        table.rows.append([model, *counts, sum(counts)])
    return table


def not_covered_table(rows: list[dict]) -> Table:
    table = Table(
        "not-covered",
        _("Claims not covered, by cause"),
        [
            _("Model"),
            _("Items"),
            _("Not covered"),
            _("Share %"),
            _("Period ended (W1, W3, W4)"),
            _("Late notice (N1)"),
            _("Third-party part (W2)"),
            _("Void: tampering, repair, use (W5)"),
        ],
        note=_("An item may have several causes; the shares are of all the model's items."),
    )
    for r in rows:
        share = 100 * r["not_covered"] / r["items"] if r["items"] else None
        table.rows.append(
            [
                r["model"],
                r["items"],
                r["not_covered"],
                _num(share),
                r["period"],
                r["n1"],
                r["w2"],
                r["w5"],
            ]
        )
    return table


def nff_table(by: str, rows: list[dict]) -> Table:
    table = Table(
        f"nff-{by}",
        _("No fault found (D2) per model")
        if by == "model"
        else _("No fault found (D2) per organisation"),
        [
            _("Model") if by == "model" else _("Organisation"),
            _("Inspected items"),
            _("No fault found"),
            _("Share %"),
            _("Low (95%)"),
            _("High (95%)"),
        ],
    )
    for r in rows:
        table.rows.append([r["key"], r["inspected"], r["nff"], *_share(r["share"])])
    return table


# --- Costs ----------------------------------------------------------------------------------


def cost_table(rows: list[selectors.CostRow]) -> Table:
    table = Table(
        "costs",
        _("Warranty cost per model and month, in each currency"),
        [
            _("Model"),
            _("Month"),
            _("Currency"),
            _("Credit notes (D1)"),
            _("Replacements at unit price (D1)"),
            _("D2 charges recovered"),
            _("Net cost"),
        ],
        note=_(
            "Amounts stay in their own currency: nothing is converted or added across currencies."
        ),
    )
    for r in rows:
        table.rows.append(
            [
                r.model or _("Total"),
                r.month.strftime("%Y-%m") if r.month else "",
                r.currency,
                r.credit_notes,
                r.replacements,
                r.recovered,
                r.net,
            ]
        )
    return table


# --- Early warning --------------------------------------------------------------------------


def warning_table(report: Report) -> Table:
    table = Table(
        "early-warning",
        _("Flagged models and batches"),
        [
            _("Kind"),
            _("Model"),
            _("PI number"),
            _("Units"),
            _("Recent failures"),
            _("Recent per 1,000 unit-months"),
            _("Compared with"),
            _("Reference failures"),
            _("Reference per 1,000 unit-months"),
            _("Rate ratio"),
            _("p-value"),
            _("Needed below"),
            _("Also above"),
        ],
    )
    for s in report.signals:
        table.rows.append(
            [
                _("Batch") if s.kind == "batch" else _("Model"),
                s.model,
                s.pi_number,
                s.units,
                s.test.recent,
                _num(s.recent_rate, 2),
                s.reference_label,
                s.test.reference,
                _num(s.reference_rate, 2),
                _num(s.test.ratio, 2),
                f"{s.test.p_value:.2e}",
                f"{s.threshold:.2e}",
                s.references_label,
            ]
        )
    return table
