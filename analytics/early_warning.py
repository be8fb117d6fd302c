"""Early warning: models and batches failing faster in the recent window than they should.

The test (documented here, on the page and in the README):

1. **Failures** are claimed units (selectors.claimed) by defect date; **exposure** is
   unit-days in service, from the warranty start (W1) up to 24 months (the longest period, W1:
   later failures are not claimed and would only dilute the rate). Both are split at the start
   of the recent window (``window_days``, 90 by default): recent, and history before it.
2. Each **batch** (one model in one shipment) is compared twice: its recent rate against its
   own history, and against the other batches of its model in the same window.
3. Each **model** is compared with its own history, leaving out its flagged batches, so that
   a bad batch is named once, as a batch, and its model only when the rest of it got worse.
4. Each comparison is the conditional Poisson rate-ratio test (analytics/stats.py) of
   H0 "recent rate ≤ ``rate_ratio`` × reference rate"; it flags when the recent failures are at
   least ``min_failures`` and the p-value is below ``significance`` divided by the number of
   comparisons made (Bonferroni), so that an unchanged population stays quiet.

Reads are two GROUP BYs (units per shipment and model, failures per shipment and model);
the rest works on those aggregated rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Value
from django.utils.translation import gettext_lazy as _

from .models import EarlyWarningSettings
from .selectors import claimed, model_codes, shipments, unit_counts, warranty_start
from .stats import RateRatioTest, comparable, rate_ratio_test

SERVICE_DAYS = 731  # 24 months (W1), the longest warranty period
UNIT_MONTH_DAYS = 30.4375  # rates are shown per 1,000 unit-months

OWN_HISTORY = "history"
MODEL_BATCHES = "model"
REFERENCES = {
    OWN_HISTORY: _("its own history"),
    MODEL_BATCHES: _("the other batches of its model"),
}


@dataclass
class Group:
    """Failures and exposure (unit-days) of one batch, or summed for a model."""

    units: int = 0
    recent: int = 0
    history: int = 0
    recent_days: float = 0.0
    history_days: float = 0.0

    def add(self, other: Group) -> None:
        self.units += other.units
        self.recent += other.recent
        self.history += other.history
        self.recent_days += other.recent_days
        self.history_days += other.history_days


@dataclass(frozen=True)
class Signal:
    """One flagged model or batch, with its strongest evidence (the lowest p-value) and every
    reference it stood out against."""

    kind: str  # "batch" or "model"
    model: str
    pi_number: str  # "" for a model
    reference: str  # OWN_HISTORY or MODEL_BATCHES: the strongest evidence
    units: int
    test: RateRatioTest
    threshold: float  # the p-value it had to beat (significance / comparisons)
    references: tuple[str, ...] = ()

    @property
    def recent_rate(self) -> float:
        """Failures per 1,000 unit-months in the recent window."""
        return _per_thousand_unit_months(self.test.recent, self.test.recent_exposure)

    @property
    def reference_rate(self) -> float:
        return _per_thousand_unit_months(self.test.reference, self.test.reference_exposure)

    @property
    def reference_label(self) -> str:
        return str(REFERENCES[self.reference])

    @property
    def references_label(self) -> str:
        return "; ".join(str(REFERENCES[r]) for r in self.references)


@dataclass(frozen=True)
class Report:
    today: date
    window_start: date
    settings: EarlyWarningSettings
    comparisons: int
    signals: list[Signal]


def _per_thousand_unit_months(count: int, days: float) -> float:
    return 1000 * count * UNIT_MONTH_DAYS / days if days else 0.0


def _overlap(start: date, end: date, low: date, high: date) -> int:
    """Days of [start, end) inside [low, high)."""
    return max(0, (min(end, high) - max(start, low)).days)


def batches(today: date, window_start: date) -> dict[tuple[str, str], Group]:
    """Per (model code, PI number): units, failures and unit-days, recent and before."""
    facts = shipments()
    codes = model_codes()
    groups: dict[tuple[str, str], Group] = defaultdict(Group)
    end_of_day = today + timedelta(days=1)
    for (shipment, model), n in unit_counts().items():
        start = facts[shipment].start
        service_end = start + timedelta(days=SERVICE_DAYS)
        group = groups[(codes[model], facts[shipment].pi_number)]
        group.units += n
        group.recent_days += n * _overlap(start, service_end, window_start, end_of_day)
        group.history_days += n * _overlap(start, service_end, start, window_start)
    in_service = ExpressionWrapper(
        F("defect_date") - warranty_start(), output_field=DurationField()
    )
    failed = (
        claimed()
        .filter(defect_date__lte=today)
        .annotate(in_service=in_service)
        .filter(in_service__lt=Value(timedelta(days=SERVICE_DAYS)))
        .order_by()
        .values_list("shipment_id", "product_model_id")
        .annotate(
            recent=Count("unit", distinct=True, filter=Q(defect_date__gte=window_start)),
            history=Count("unit", distinct=True, filter=Q(defect_date__lt=window_start)),
        )
    )
    for shipment, model, recent, history in failed:
        group = groups[(codes[model], facts[shipment].pi_number)]
        group.recent += recent
        group.history += history
    return groups


def evaluate(today: date, settings: EarlyWarningSettings | None = None) -> Report:
    """Run the test above on the whole population as of ``today`` (Seoul)."""
    settings = settings or EarlyWarningSettings.current()
    window_start = today - timedelta(days=settings.window_days - 1)
    ratio = float(settings.rate_ratio)
    groups = batches(today, window_start)
    by_model: dict[str, dict[str, Group]] = defaultdict(dict)
    for (model, pi), group in groups.items():
        by_model[model][pi] = group

    # Every comparison first, so the Bonferroni divisor counts them all. A batch with fewer
    # recent failures than the minimum is counted but never flagged, whatever its p-value:
    # its tail sum is not computed (most of 10,000 batches; the result is the same).
    batch_tests: list[tuple[str, str, str, Group, RateRatioTest]] = []
    comparisons = len(by_model)
    for model, members in by_model.items():
        whole = Group()
        for group in members.values():
            whole.add(group)
        for pi, group in members.items():
            references = (
                (OWN_HISTORY, group.history, group.history_days),
                (MODEL_BATCHES, whole.recent - group.recent, whole.recent_days - group.recent_days),
            )
            for reference, failures, days in references:
                if not comparable(group.recent_days, days):
                    continue
                comparisons += 1
                if group.recent < settings.min_failures:
                    continue
                test = rate_ratio_test(
                    group.recent, group.recent_days, failures, days, null_ratio=ratio
                )
                batch_tests.append((model, pi, reference, group, test))
    threshold = float(settings.significance) / max(comparisons, 1)

    def significant(test: RateRatioTest) -> bool:
        return test.recent >= settings.min_failures and test.p_value < threshold

    strongest: dict[tuple[str, str], Signal] = {}
    for model, pi, reference, group, test in sorted(batch_tests, key=lambda t: t[4].p_value):
        if not significant(test):
            continue
        found = strongest.get((model, pi))
        if found is None:
            found = Signal("batch", model, pi, reference, group.units, test, threshold)
        strongest[(model, pi)] = replace(found, references=(*found.references, reference))
    signals = list(strongest.values())
    flagged = set(strongest)
    for model, members in by_model.items():
        rest = Group()
        for pi, group in members.items():
            if (model, pi) not in flagged:
                rest.add(group)
        test = rate_ratio_test(
            rest.recent, rest.recent_days, rest.history, rest.history_days, null_ratio=ratio
        )
        if test is not None and significant(test):
            signals.append(
                Signal("model", model, "", OWN_HISTORY, rest.units, test, threshold, (OWN_HISTORY,))
            )
    signals.sort(key=lambda s: (s.test.p_value, s.model, s.pi_number, s.reference))
    return Report(today, window_start, settings, comparisons, signals)
