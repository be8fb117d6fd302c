"""The statistics of the quality analytics against published values (pure: no database)."""

import math

import pytest

from analytics.stats import (
    binomial_upper_tail,
    poisson_cdf,
    poisson_interval,
    rate_ratio_test,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe (1998), Table I, and the Wilson formula worked by hand.
        (0, 10, 0.0, 0.2775),
        (1, 10, 0.0179, 0.4042),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
    ],
)
def test_wilson_interval_matches_published_values(k, n, low, high):
    interval = wilson_interval(k, n)

    assert interval.estimate == pytest.approx(k / n)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


def test_wilson_interval_is_none_without_units_and_refuses_impossible_counts():
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


@pytest.mark.parametrize(
    ("k", "low", "high"),
    [
        # Garwood's exact limits (e.g. Ulm 1990; chi-square quantiles / 2).
        (0, 0.0, 3.6889),
        (1, 0.0253, 5.5716),
        (2, 0.2422, 7.2247),
        (10, 4.7954, 18.3904),
        (100, 81.3640, 121.6268),
    ],
)
def test_exact_poisson_interval_matches_garwood(k, low, high):
    interval = poisson_interval(k, 1.0)

    assert interval.low == pytest.approx(low, abs=5e-4)
    assert interval.high == pytest.approx(high, abs=5e-4)


def test_poisson_interval_scales_with_exposure_and_needs_some():
    per_unit = poisson_interval(10, 1.0)
    per_thousand = poisson_interval(10, 1000.0)

    assert per_thousand.high == pytest.approx(per_unit.high / 1000)
    assert poisson_interval(3, 0) is None


def test_poisson_cdf_against_direct_sum():
    mean = 7.5
    direct = sum(math.exp(-mean) * mean**x / math.factorial(x) for x in range(13))

    assert poisson_cdf(12, mean) == pytest.approx(direct, rel=1e-12)
    assert poisson_cdf(-1, mean) == 0.0


@pytest.mark.parametrize(
    ("k", "n", "p", "tail"),
    [
        (3, 10, 0.5, 968 / 1024),
        (10, 10, 0.5, 1 / 1024),
        (0, 5, 0.3, 1.0),
        (6, 5, 0.3, 0.0),
        (1, 4, 0.1, 1 - 0.9**4),
    ],
)
def test_binomial_upper_tail(k, n, p, tail):
    assert binomial_upper_tail(k, n, p) == pytest.approx(tail, rel=1e-10)


@pytest.mark.parametrize(("k", "n", "p"), [(7, 40, 0.1), (30, 200, 0.08), (250, 5000, 0.04)])
def test_binomial_upper_tail_equals_the_direct_sum(k, n, p):
    def term(x):
        log = math.lgamma(n + 1) - math.lgamma(x + 1) - math.lgamma(n - x + 1)
        return math.exp(log + x * math.log(p) + (n - x) * math.log1p(-p))

    direct = math.fsum(term(x) for x in range(k, n + 1))

    assert binomial_upper_tail(k, n, p) == pytest.approx(direct, rel=1e-9)


def test_rate_ratio_test_finds_a_tripled_rate_and_not_an_equal_one():
    # 30 failures in 1,000 unit-months against 100 in 10,000: three times the reference.
    tripled = rate_ratio_test(30, 1000, 100, 10_000)
    same = rate_ratio_test(10, 1000, 100, 10_000)

    assert tripled.ratio == pytest.approx(3.0)
    assert tripled.p_value < 1e-5
    assert same.ratio == pytest.approx(1.0)
    assert same.p_value > 0.4


def test_rate_ratio_test_against_a_threshold_asks_for_more_than_the_threshold():
    # Three times the reference is significant against "equal", not against "at most 3x".
    result = rate_ratio_test(30, 1000, 100, 10_000, null_ratio=3.0)

    assert result.p_value > 0.3


def test_rate_ratio_test_without_exposure_is_none_and_without_reference_failures_is_inf():
    assert rate_ratio_test(5, 0, 10, 100) is None
    assert rate_ratio_test(5, 100, 0, 0) is None
    assert rate_ratio_test(5, 100, 0, 1000).ratio == math.inf
