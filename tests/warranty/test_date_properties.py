"""Properties of the calendar arithmetic behind W1, W3, W4 and N1 (warranty/rules.py)."""

import calendar
from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from warranty.rules import PolicyTerms, add_months, coverage_end, notice_deadline

# Far enough from year 9999 that adding a few years never overflows.
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))
months = st.integers(min_value=0, max_value=120)
TERMS = PolicyTerms(version="props")


@given(dates, months)
def test_end_is_never_before_start(start, m):
    assert coverage_end(start, m) >= start


@given(dates)
def test_twelve_month_end_is_not_after_twenty_four_month_end(start):
    # W3/W4 never give more than W1.
    assert coverage_end(start, 12) <= coverage_end(start, 24)


@given(dates, months)
def test_end_is_monotonic_in_months(start, m):
    assert coverage_end(start, m) <= coverage_end(start, m + 1)


@given(dates, months)
def test_add_months_lands_in_the_target_month_with_day_clamped(start, m):
    result = add_months(start, m)

    index = start.year * 12 + start.month - 1 + m
    assert (result.year, result.month) == (index // 12, index % 12 + 1)
    days_in_target = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(start.day, days_in_target)


@given(dates)
def test_add_zero_months_is_identity(start):
    assert add_months(start, 0) == start


@given(st.integers(min_value=1992, max_value=2196).filter(calendar.isleap))
@example(2024)
@example(2096)  # 2100 is not a leap year
def test_29_february_start(year):
    start = date(year, 2, 29)

    assert add_months(start, 12) == date(year + 1, 2, 28)
    assert add_months(start, 24) == date(year + 2, 2, 28)
    # Four years on is a leap year again, except across a skipped century (2100, 2200).
    assert add_months(start, 48) == date(year + 4, 2, 29 if calendar.isleap(year + 4) else 28)


@given(st.integers(min_value=1990, max_value=2199))
def test_31_january_plus_one_month_is_end_of_february(year):
    expected_day = 29 if calendar.isleap(year) else 28

    assert add_months(date(year, 1, 31), 1) == date(year, 2, expected_day)


@given(dates.filter(lambda d: d.day <= 28), months, months)
def test_adding_months_in_steps_equals_adding_them_at_once(start, m, n):
    # Holds only while no clamping happens: every month has a 28th.
    assert add_months(add_months(start, m), n) == add_months(start, m + n)


@given(dates, months, months)
def test_adding_in_steps_never_goes_past_adding_at_once(start, m, n):
    # With clamping, a step may lose days (31 Jan -> 28 Feb -> 28 Mar) but never gains any.
    assert add_months(add_months(start, m), n) <= add_months(start, m + n)


@given(dates)
def test_notice_deadline_is_eight_calendar_days_after_the_defect(defect):
    assert notice_deadline(defect, TERMS) - defect == timedelta(days=8)


@given(dates, st.integers(min_value=0, max_value=60))
def test_notice_deadline_follows_the_policy(defect, days):
    terms = PolicyTerms(version="props", notice_days=days)

    assert notice_deadline(defect, terms) == defect + timedelta(days=days)
