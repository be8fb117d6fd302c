"""The statistics of warranty quality analytics: pure functions, values in and values out.

- Proportions (units claimed or confirmed defective out of units shipped): the **Wilson score
  interval** (Wilson 1927), which stays inside [0, 1] and keeps close to its nominal 95 %
  coverage at the small counts of a single batch, where the normal ("Wald") interval does not.
- Rates (failures per unit-month of service): the **exact Poisson** (Garwood) interval.
- Early warning: the **conditional Poisson rate-ratio test** (Przyborowski & Wilenski 1940).
  With ``k1`` failures over exposure ``e1`` (the last 90 days) and ``k0`` over ``e0`` (the
  reference), under H0 "the recent rate is at most ``ratio`` times the reference rate" the
  recent count given the total ``n = k1 + k0`` is binomial with
  ``p = ratio·e1 / (ratio·e1 + e0)``; the one-sided p-value is P(X ≥ k1).

No ORM here: the selectors aggregate in the database and pass counts in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile: two-sided 95 %


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def scaled(self, factor: float) -> Interval:
        return Interval(self.estimate * factor, self.low * factor, self.high * factor)


def wilson_interval(successes: int, trials: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of the proportion ``successes / trials``; None without trials."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and trials")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    # At 0 and n the bounds are exactly 0 and 1; rounding must not move them past the estimate.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(p, low, high)


# --- Poisson --------------------------------------------------------------------------------


def _gamma_p(a: float, x: float) -> float:
    """The regularized lower incomplete gamma function P(a, x) (series or continued fraction,
    as in Numerical Recipes §6.2)."""
    if x <= 0:
        return 0.0
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _i in range(10_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return total * math.exp(-x + a * math.log(x) - math.lgamma(a))
    # Lentz's continued fraction for Q(a, x).
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return 1.0 - math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def poisson_cdf(k: int, mean: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mean)."""
    if k < 0:
        return 0.0
    if mean <= 0:
        return 1.0
    return 1.0 - _gamma_p(k + 1, mean)


def _solve(f, target: float, low: float, high: float) -> float:
    """The root of the increasing function ``f(x) = target`` in [low, high] by bisection."""
    while f(high) < target:
        high *= 2
    for _i in range(200):
        mid = (low + high) / 2
        if f(mid) < target:
            low = mid
        else:
            high = mid
        if high - low <= 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def poisson_interval(count: int, exposure: float, z: float = Z95) -> Interval | None:
    """The exact (Garwood) interval of the rate ``count / exposure``; None without exposure.

    The mean's bounds solve P(X ≥ k; low) = α/2 and P(X ≤ k; high) = α/2.
    """
    if exposure <= 0:
        return None
    if count < 0:
        raise ValueError("count must not be negative")
    alpha = math.erfc(z / math.sqrt(2))  # 0.05 for z = 1.96
    low = 0.0
    if count > 0:
        # P(X ≥ k; m) = 1 - P(X ≤ k-1; m) increases with m.
        low = _solve(lambda m: 1 - poisson_cdf(count - 1, m), alpha / 2, 0.0, count + 1.0)
    # P(X ≤ k; m) decreases with m: solve its complement.
    high = _solve(lambda m: 1 - poisson_cdf(count, m), 1 - alpha / 2, 0.0, count + 10.0)
    return Interval(count / exposure, low / exposure, high / exposure)


def _beta_cf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (Numerical Recipes §6.4, Lentz):
    converges in O(√max(a, b)) steps, so a test on thousands of failures stays cheap."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (tiny if abs(d) < tiny else d)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (tiny if abs(d) < tiny else d)
        c = 1 + aa / c
        c = tiny if abs(c) < tiny else c
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (tiny if abs(d) < tiny else d)
        c = 1 + aa / c
        c = tiny if abs(c) < tiny else c
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return h


def _beta_inc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _beta_cf(a, b, x) / a
    return 1.0 - front * _beta_cf(b, a, 1 - x) / b


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p), exactly: I_p(k, n − k + 1)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    return min(1.0, max(0.0, _beta_inc(k, n - k + 1, p)))


@dataclass(frozen=True)
class RateRatioTest:
    recent: int
    recent_exposure: float
    reference: int
    reference_exposure: float
    ratio: float  # observed recent rate / reference rate (inf when the reference saw none)
    p_value: float


def comparable(recent_exposure: float, reference_exposure: float) -> bool:
    """Whether two rates can be compared at all: both sides saw some exposure."""
    return recent_exposure > 0 and reference_exposure > 0


def rate_ratio_test(
    recent: int,
    recent_exposure: float,
    reference: int,
    reference_exposure: float,
    *,
    null_ratio: float = 1.0,
) -> RateRatioTest | None:
    """One-sided conditional test of H0: recent rate ≤ ``null_ratio`` × reference rate.

    None when either side has no exposure (nothing to compare).
    """
    if not comparable(recent_exposure, reference_exposure):
        return None
    n = recent + reference
    weight = null_ratio * recent_exposure
    p = weight / (weight + reference_exposure)
    if reference:
        observed = (recent / recent_exposure) / (reference / reference_exposure)
    else:
        observed = math.inf if recent else 0.0
    return RateRatioTest(
        recent=recent,
        recent_exposure=recent_exposure,
        reference=reference,
        reference_exposure=reference_exposure,
        ratio=observed,
        p_value=binomial_upper_tail(recent, n, p),
    )
