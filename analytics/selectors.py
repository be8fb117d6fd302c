"""Reads of warranty quality analytics: every table is one or two GROUP BYs in the database.

Python only arranges the aggregated rows (one per model, batch, month…), never loops over units
or claims (STYLE: no per-row loops over big tables). The counts read two summaries that database
triggers keep exact in the same transaction as every write (issue 15): units per (shipment,
model), ``warranty.UnitCount`` (warranty/summaries.py), and the items of noticed claims with
their unit's shipment and model, ``claims.NoticedItem`` (claims/summaries.py); so a page never
scans the million units nor joins the items to them.

Definitions used throughout (and on the pages):

- **units shipped**: units on CPRO's shipment records (the population).
- **units claimed**: units in a claim that gave notice (N1: submitted; drafts and cancelled
  claims do not count), counted once however many claims name them.
- **confirmed defect**: inspection found ``confirmed_defect`` (N5: the final verdict).
- **warranty start**: the delivery date, else the shipment date (W1); **months in service** are
  whole calendar months from it to the defect date.
- A **batch** is the units of one model in one shipment (PI number, N3).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import (
    Cast,
    Coalesce,
    ExtractDay,
    ExtractMonth,
    ExtractYear,
    Greatest,
    TruncMonth,
)
from django.db.models.lookups import LessThan

from accounts.models import Organisation
from claims.models import Charge as D2Charge
from claims.models import ClaimItem, CreditNote, DefectReason, NoticedItem, Outcome
from warranty.models import ComponentKind, ProductModel, Shipment, UnitCount
from warranty.rules import SEOUL, Finding

from .stats import Interval, wilson_interval

PER = 1000  # rates per 1,000 units
_ONE_DAY = timedelta(days=1)
W5_FINDINGS = (Finding.TAMPERED, Finding.THIRD_PARTY_REPAIR, Finding.NON_CONFORMING_USE)


@dataclass(frozen=True)
class Filters:
    """The pages' filters. The date range bounds the shipment date for the population tables
    and the Nevada table, the notice date for the breakdowns, the issue date for the costs."""

    date_from: date | None = None
    date_to: date | None = None
    model_id: int | None = None
    organisation_id: int | None = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SEOUL)


def _shipment_filter(filters: Filters, prefix: str = "") -> Q:
    q = Q()
    if filters.date_from:
        q &= Q(**{f"{prefix}shipment_date__gte": filters.date_from})
    if filters.date_to:
        q &= Q(**{f"{prefix}shipment_date__lte": filters.date_to})
    if filters.organisation_id:
        q &= Q(**{f"{prefix}buyer_id": filters.organisation_id})
    return q


@dataclass(frozen=True)
class ShipmentFacts:
    pi_number: str
    shipment_date: date
    start: date  # W1: delivery date, else shipment date
    buyer_id: int


def shipments(filters: Filters = Filters()) -> dict[int, ShipmentFacts]:
    """The shipments in the filters (one small query: thousands of rows, not millions)."""
    rows = Shipment.objects.filter(_shipment_filter(filters)).values_list(
        "pk", "pi_number", "shipment_date", "delivery_date", "buyer_id"
    )
    return {
        pk: ShipmentFacts(pi, shipped, delivered or shipped, buyer)
        for pk, pi, shipped, delivered, buyer in rows
    }


def model_codes() -> dict[int, str]:
    return dict(ProductModel.objects.values_list("pk", "code"))


def unit_counts(filters: Filters = Filters()) -> dict[tuple[int, int], int]:
    """Units shipped per (shipment, model), read from their summary (thousands of rows, kept
    by triggers on the units); everything else is arranged from these rows."""
    counts = UnitCount.objects.all()
    shipment_filter = _shipment_filter(filters, "shipment__")
    if shipment_filter:
        counts = counts.filter(shipment_filter)
    if filters.model_id:
        counts = counts.filter(product_model_id=filters.model_id)
    return {
        (shipment, model): n
        for shipment, model, n in counts.values_list("shipment_id", "product_model_id", "units")
    }


def claimed() -> QuerySet[NoticedItem]:
    """Items of claims that gave notice (N1), cancelled ones left out, as their summary rows
    (the unit's shipment and model, the claim's organisation and notice time at hand)."""
    return NoticedItem.objects.filter(cancelled=False)


def claimed_items() -> QuerySet[ClaimItem]:
    """The same items as ``claimed``, as items (for what only the item knows)."""
    return ClaimItem.objects.filter(noticed__cancelled=False)


def _population_items(filters: Filters) -> QuerySet[NoticedItem]:
    """Claimed items of the units ``unit_counts(filters)`` counts (same filters, via the unit)."""
    items = claimed()
    shipment_filter = _shipment_filter(filters, "shipment__")
    if shipment_filter:
        items = items.filter(shipment_filter)
    if filters.model_id:
        items = items.filter(product_model_id=filters.model_id)
    return items


def _noticed_items(filters: Filters) -> QuerySet[ClaimItem]:
    """Claimed items noticed in the date range, of the model and the claim's organisation."""
    items = claimed_items()
    if filters.date_from:
        items = items.filter(noticed__notice_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        items = items.filter(noticed__notice_at__lt=_start_of(filters.date_to) + _ONE_DAY)
    if filters.model_id:
        items = items.filter(noticed__product_model_id=filters.model_id)
    if filters.organisation_id:
        items = items.filter(noticed__organisation_id=filters.organisation_id)
    return items


NO_FAULT_FOUND = Q(findings__icontains=f'"{Finding.NO_FAULT_FOUND}"')
INSPECTED = ~Q(findings=[])


# --- Population and failures ----------------------------------------------------------------


@dataclass
class RateRow:
    key: tuple
    label: str
    units: int
    claimed: int
    confirmed: int

    # Computed when first read: of 10,000 batches a page shows 40 (the CSV reads them all).
    @cached_property
    def claimed_rate(self) -> Interval | None:
        """Units claimed per 1,000 units, Wilson 95 %."""
        return _per_thousand(self.claimed, self.units)

    @cached_property
    def confirmed_rate(self) -> Interval | None:
        return _per_thousand(self.confirmed, self.units)


def rate_tables(filters: Filters = Filters()) -> dict[str, list[RateRow]]:
    """Units shipped, claimed and confirmed defective per model, per batch (a model in one
    shipment) and per ship month, with rates per 1,000 units and their Wilson 95 % intervals.

    Two GROUP BYs per (shipment, model) — units, and claimed items — feed all three tables."""
    facts = shipments(filters)
    codes = model_codes()
    failed = {
        (shipment, model): (claimed, confirmed)
        for shipment, model, claimed, confirmed in _population_items(filters)
        .order_by()
        .values_list("shipment_id", "product_model_id")
        .annotate(
            claimed=Count("unit", distinct=True),
            confirmed=Count("unit", distinct=True, filter=Q(confirmed=True)),
        )
    }
    sums: dict[str, dict[tuple, list[int]]] = {"model": {}, "batch": {}, "month": {}}
    for (shipment, model), n in unit_counts(filters).items():
        fact = facts.get(shipment)
        if fact is None:
            continue
        claimed, confirmed = failed.get((shipment, model), (0, 0))
        keys = {
            "model": (codes[model],),
            "batch": (fact.pi_number, codes[model], fact.shipment_date),
            "month": (fact.shipment_date.replace(day=1),),
        }
        for by, key in keys.items():
            total = sums[by].setdefault(key, [0, 0, 0])
            total[0] += n
            total[1] += claimed
            total[2] += confirmed
    tables = {}
    for by, found in sums.items():
        rows = [
            RateRow(
                key=key,
                label=_label(by, key),
                units=n,
                claimed=claimed,
                confirmed=confirmed,
            )
            for key, (n, claimed, confirmed) in found.items()
        ]
        if by == "batch":
            # Worst first: the estimate is the proportion (min as in _per_thousand).
            rows.sort(key=lambda r: (-(min(r.claimed, r.units) / r.units if r.units else 0), r.key))
        else:
            rows.sort(key=lambda r: r.key)
        tables[by] = rows
    return tables


def failure_rates(by: str, filters: Filters = Filters()) -> list[RateRow]:
    """One of ``rate_tables``: ``by`` is "model", "batch" or "month"."""
    return rate_tables(filters)[by]


def _label(by: str, key: tuple) -> str:
    if by == "month":
        return key[0].strftime("%Y-%m")
    if by == "batch":
        return f"{key[0]} · {key[1]}"
    return key[0]


def _per_thousand(part: int, whole: int) -> Interval | None:
    interval = wilson_interval(min(part, whole), whole)
    return interval.scaled(PER) if interval else None


# --- Nevada table ---------------------------------------------------------------------------


def warranty_start(prefix: str = "") -> Coalesce:
    """W1: delivery date, else shipment date, of the unit at ``prefix``."""
    return Coalesce(
        f"{prefix}shipment__delivery_date",
        f"{prefix}shipment__shipment_date",
        output_field=DateField(),
    )


def months_in_service(start, end) -> ExpressionWrapper:
    """Whole calendar months from ``start`` to ``end`` (portable: no PostgreSQL ``age``)."""
    months = (ExtractYear(end) - ExtractYear(start)) * 12 + ExtractMonth(end) - ExtractMonth(start)
    # The end's day of month before the start's: that last month is not whole yet.
    short = Case(
        When(LessThan(ExtractDay(end), ExtractDay(start)), then=Value(1)), default=Value(0)
    )
    return ExpressionWrapper(Greatest(months - short, Value(0)), output_field=IntegerField())


@dataclass(frozen=True)
class Nevada:
    ship_months: list[date]
    ages: list[int]  # months in service, 0…max seen
    units: dict[date, int]  # units shipped per ship month
    counts: dict[tuple[date, int], int]  # claimed units per (ship month, months in service)
    total: int

    def row(self, month: date) -> list[int]:
        return [self.counts.get((month, age), 0) for age in self.ages]

    def rate(self, month: date, age: int) -> float:
        n = self.units.get(month, 0)
        return PER * self.counts.get((month, age), 0) / n if n else 0.0


def nevada(filters: Filters = Filters()) -> Nevada:
    """Claimed items per ship month × months in service (defect date − warranty start), beside
    the units shipped per month: Weibull++'s "Nevada chart" (two GROUP BYs)."""
    facts = shipments(filters)
    units: dict[date, int] = defaultdict(int)
    for (shipment, _model), n in unit_counts(filters).items():
        if shipment in facts:
            units[facts[shipment].shipment_date.replace(day=1)] += n
    rows = (
        _population_items(filters)
        .annotate(
            month=TruncMonth("shipment__shipment_date", output_field=DateField()),
            age=months_in_service(warranty_start(), F("defect_date")),
        )
        .order_by()
        .values_list("month", "age")
        .annotate(n=Count("pk"))
    )
    counts = {(month, age): n for month, age, n in rows}
    top = max((age for _m, age in counts), default=0)
    months = sorted(set(units) | {m for m, _a in counts})
    return Nevada(months, list(range(top + 1)), dict(units), dict(counts), sum(counts.values()))


# --- Breakdowns -----------------------------------------------------------------------------


def _out_of_period() -> Q:
    # The verdict's own dates (warranty/rules.py): its defect date after its end date.
    return Q(defect_date__gt=Cast(KT("verdict__en__end_date"), DateField()))


@dataclass(frozen=True)
class Breakdowns:
    reasons: list[tuple[str, str, str, str, int]]  # model, code, English, Korean, items
    components: dict[str, dict[str, int]]  # model → component kind → items
    not_covered: list[dict]  # per model: items, not_covered, period, n1, w2, w5
    nff_by_model: list[dict]  # key, inspected, nff, share (Wilson)
    nff_by_organisation: list[dict]


def breakdowns(filters: Filters = Filters()) -> Breakdowns:
    """Every breakdown table from one GROUP BY over the claimed items (by model, organisation,
    defect reason and failed component's kind), rolled up here.

    - failed component kind: camera module (W3), mechanical (W4), third-party (W2), standard,
      or unknown;
    - not covered by cause: period ended (W1/W3/W4), N1 late without an exception, W2, W5; an
      item may have several;
    - no fault found (D2): inspected items where inspection found no fault."""
    not_covered = Q(verdict_status="not_covered")
    w5 = Q()
    for finding in W5_FINDINGS:
        w5 |= Q(findings__icontains=f'"{finding}"')
    w2 = Q(component__kind=ComponentKind.THIRD_PARTY) | Q(
        findings__icontains=f'"{Finding.THIRD_PARTY_COMPONENT}"'
    )
    rows = (
        _noticed_items(filters)
        .annotate(kind=Coalesce("component__kind", Value("unknown"), output_field=CharField()))
        .order_by()
        .values_list(
            "noticed__product_model_id", "noticed__organisation_id", "defect_reason_id", "kind"
        )
        .annotate(
            items=Count("pk"),
            not_covered=Count("pk", filter=not_covered),
            period=Count("pk", filter=not_covered & _out_of_period()),
            n1=Count("pk", filter=not_covered & Q(notice_late=True, notice_exception="")),
            w2=Count("pk", filter=not_covered & w2),
            w5=Count("pk", filter=not_covered & w5),
            inspected=Count("pk", filter=INSPECTED),
            nff=Count("pk", filter=INSPECTED & NO_FAULT_FOUND),
        )
    )
    codes = model_codes()
    organisations = dict(Organisation.objects.values_list("pk", "code"))
    reasons = {
        pk: (code, en, ko)
        for pk, code, en, ko in DefectReason.objects.values_list("pk", "code", "name_en", "name_ko")
    }
    by_reason: dict[tuple, int] = defaultdict(int)
    components: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    causes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    nff: dict[str, dict[str, list[int]]] = {"model": {}, "organisation": {}}
    for model_id, organisation_id, reason_id, kind, *counts in rows:
        model = codes[model_id]
        items, nc, period, n1, w2_n, w5_n, inspected, no_fault = counts
        by_reason[(model, *reasons.get(reason_id, ("", "", "")))] += items
        components[model][kind] += items
        for name, n in zip(
            ("items", "not_covered", "period", "n1", "w2", "w5"),
            (items, nc, period, n1, w2_n, w5_n),
            strict=True,
        ):
            causes[model][name] += n
        for by, key in (("model", model), ("organisation", organisations[organisation_id])):
            found = nff[by].setdefault(key, [0, 0])
            found[0] += inspected
            found[1] += no_fault
    return Breakdowns(
        reasons=[
            (*key, n)
            for key, n in sorted(by_reason.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
        ],
        components={m: dict(k) for m, k in sorted(components.items())},
        not_covered=[{"model": m, **c} for m, c in sorted(causes.items())],
        nff_by_model=_nff_rows(nff["model"]),
        nff_by_organisation=_nff_rows(nff["organisation"]),
    )


def _nff_rows(found: dict[str, list[int]]) -> list[dict]:
    return [
        {"key": key, "inspected": n, "nff": k, "share": wilson_interval(k, n)}
        for key, (n, k) in sorted(found.items())
        if n
    ]


# --- Warranty cost --------------------------------------------------------------------------

MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass
class CostRow:
    model: str
    month: date
    currency: str
    credit_notes: Decimal = Decimal("0.00")
    replacements: Decimal = Decimal("0.00")
    recovered: Decimal = Decimal("0.00")  # D2 charges billed on debit notes

    @property
    def net(self) -> Decimal:
        return self.credit_notes + self.replacements - self.recovered


def _dated(qs: QuerySet, field: str, filters: Filters) -> QuerySet:
    if filters.date_from:
        qs = qs.filter(**{f"{field}__gte": _start_of(filters.date_from)})
    if filters.date_to:
        qs = qs.filter(**{f"{field}__lt": _start_of(filters.date_to) + _ONE_DAY})
    return qs


def warranty_costs(filters: Filters = Filters()) -> list[CostRow]:
    """Per model, month and currency (never converted): credit notes issued (D1), replacements
    at the replaced unit's invoiced price (D1), D2 charges billed on debit notes (three GROUP
    BYs, months in Seoul)."""

    def scoped(qs: QuerySet, model: str, organisation: str) -> QuerySet:
        if filters.model_id:
            qs = qs.filter(**{model: filters.model_id})
        if filters.organisation_id:
            qs = qs.filter(**{organisation: filters.organisation_id})
        return qs

    def month(field: str) -> TruncMonth:
        return TruncMonth(field, tzinfo=SEOUL, output_field=DateField())

    credit = (
        _dated(
            scoped(
                CreditNote.objects.all(), "item__unit__product_model_id", "claim__organisation_id"
            ),
            "issued_at",
            filters,
        )
        .annotate(month=month("issued_at"))
        .order_by()
        .values_list("item__unit__product_model__code", "month", "currency")
        .annotate(total=Sum("amount"))
    )
    replaced = (
        _dated(
            scoped(
                claimed_items().filter(outcome=Outcome.REPLACE),
                "noticed__product_model_id",
                "noticed__organisation_id",
            ),
            "claim__decided_at",
            filters,
        )
        .annotate(month=month("claim__decided_at"))
        .order_by()
        # The unit's model, price and currency as the noticed item's summary row holds them.
        .values_list("noticed__product_model__code", "month", "noticed__currency")
        .annotate(total=Sum("noticed__unit_price"))
    )
    recovered = (
        _dated(
            scoped(
                D2Charge.objects.filter(waived=False, debit_note__isnull=False),
                "item__unit__product_model_id",
                "item__claim__organisation_id",
            ),
            "debit_note__issued_at",
            filters,
        )
        .annotate(month=month("debit_note__issued_at"))
        .order_by()
        .values_list("item__unit__product_model__code", "month", "currency")
        .annotate(
            total=Sum(
                ExpressionWrapper(
                    F("verification") + F("transport") + F("shipment"), output_field=MONEY
                )
            )
        )
    )
    rows: dict[tuple, CostRow] = {}
    parts = (("credit_notes", credit), ("replacements", replaced), ("recovered", recovered))
    for attribute, qs in parts:
        for model, when, currency, total in qs:
            row = rows.setdefault((model, when, currency), CostRow(model, when, currency))
            setattr(row, attribute, getattr(row, attribute) + (total or Decimal("0")))
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0], k[1], k[2]))]


def currency_totals(rows: list[CostRow]) -> list[CostRow]:
    """The cost table's totals, one per currency (amounts are never added across currencies)."""
    totals: dict[str, CostRow] = {}
    for row in rows:
        total = totals.setdefault(row.currency, CostRow("", None, row.currency))
        total.credit_notes += row.credit_notes
        total.replacements += row.replacements
        total.recovered += row.recovered
    return [totals[c] for c in sorted(totals)]
