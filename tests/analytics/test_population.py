"""On a population with known true failure rates (tests/analytics/population.py), the
computed rates and intervals contain the truth, the Nevada table sums to the claims, and the
early warning flags batch B-7 and nothing else."""

import pytest

from analytics import early_warning, selectors
from analytics.models import EarlyWarningSettings

from .population import B7, TODAY, UNITS_PER_BATCH

pytestmark = pytest.mark.django_db


def _row(rows, *key):
    return next(r for r in rows if r.key[: len(key)] == key)


@pytest.mark.parametrize("model", ["QA-A", "QA-B"])
def test_claim_rate_per_model_and_its_wilson_interval_contain_the_true_rate(population, model):
    row = _row(selectors.failure_rates("model"), model)
    truth = 1000 * population.expected_claimed(model)

    assert row.units == 10 * UNITS_PER_BATCH
    assert row.claimed_rate.low < truth < row.claimed_rate.high
    assert row.claimed_rate.estimate == pytest.approx(1000 * row.claimed / row.units)


def test_model_b_is_four_times_model_a_within_the_intervals(population):
    rows = selectors.failure_rates("model")
    a, b = _row(rows, "QA-A"), _row(rows, "QA-B")

    assert a.claimed_rate.high < b.claimed_rate.low


def test_batch_b7_rate_and_interval_contain_its_25_percent(population):
    row = _row(selectors.failure_rates("batch"), B7, "QA-B")

    assert population.expected_claimed(B7) == pytest.approx(0.25)
    assert row.claimed_rate.low < 250 < row.claimed_rate.high


def test_confirmed_defects_are_three_in_four_claims_within_the_interval(population):
    row = _row(selectors.failure_rates("model"), "QA-B")
    truth = 1000 * 0.75 * population.expected_claimed("QA-B")

    assert row.confirmed < row.claimed
    assert row.confirmed_rate.low < truth < row.confirmed_rate.high


def test_rates_by_ship_month_count_every_unit_and_claim(population):
    rows = selectors.failure_rates("month")

    assert sum(r.units for r in rows) == 20 * UNITS_PER_BATCH
    assert sum(r.claimed for r in rows) == population.claims


def test_nevada_table_sums_to_the_claims_and_b7_fails_in_months_3_to_5(population):
    table = selectors.nevada()
    b7_month = TODAY.replace(year=2026, month=5, day=1)

    assert table.total == population.claims
    assert sum(sum(table.row(m)) for m in table.ship_months) == population.claims
    assert sum(table.units.values()) == 20 * UNITS_PER_BATCH
    b7_ages = {age for age, n in zip(table.ages, table.row(b7_month), strict=True) if n}
    assert b7_ages == population.b7_ages == {3, 4, 5}


def test_nevada_table_filtered_by_model_sums_to_that_models_claims(population):
    model_b = selectors.Filters(model_id=_model_id("QA-B"))

    table = selectors.nevada(model_b)

    assert table.total == _row(selectors.failure_rates("model"), "QA-B").claimed


def test_early_warning_flags_batch_b7_and_nothing_else(population):
    report = early_warning.evaluate(TODAY)

    assert {(s.kind, s.model, s.pi_number) for s in report.signals} == {("batch", "QA-B", B7)}
    for signal in report.signals:
        assert signal.test.recent >= report.settings.min_failures
        assert signal.test.ratio > float(report.settings.rate_ratio)
        assert signal.test.p_value < signal.threshold


def test_early_warning_respects_the_minimum_count_staff_set(population):
    settings = EarlyWarningSettings.current()
    settings.min_failures = 1000
    settings.save()

    assert early_warning.evaluate(TODAY).signals == []


def test_early_warning_respects_the_rate_ratio_staff_set(population):
    settings = EarlyWarningSettings.current()
    settings.rate_ratio = 500
    settings.save()

    assert early_warning.evaluate(TODAY).signals == []


def _model_id(code):
    from warranty.models import ProductModel

    return ProductModel.objects.get(code=code).pk
