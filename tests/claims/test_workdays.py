"""Working-day arithmetic across weekends and Korean public holidays (Seollal, Chuseok), from the
``holidays`` library's calendar for Korea."""

from datetime import date

import pytest

from claims.workdays import (
    add_working_days,
    is_late,
    is_working_day,
    latest_late_start,
    working_days_between,
)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Seollal
        (date(2026, 2, 14), False),  # Saturday
        (date(2026, 2, 16), False),  # Seollal eve (Monday)
        (date(2026, 2, 17), False),  # Seollal
        (date(2026, 2, 18), False),  # day after Seollal
        (date(2026, 2, 19), True),
        (date(2026, 9, 25), False),  # Chuseok (Friday)
        (date(2025, 10, 8), False),  # Chuseok substitute holiday 2025
        (date(2025, 10, 9), False),  # Hangul Day
        (date(2025, 10, 10), True),
        (date(2026, 3, 2), False),  # substitute holiday for Independence Movement Day
    ],
)
def test_working_days_skip_weekends_and_korean_holidays(day, working):
    assert is_working_day(day) is working


def test_a_message_on_the_friday_before_seollal_is_due_the_thursday_after():
    # Fri 13 Feb 2026; Sat, Sun, then Seollal Mon–Wed 16–18: the first working day is Thu 19.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 19)


def test_chuseok_2025_and_hangul_day_make_one_long_break():
    # Thu 2 Oct 2025; Fri 3 National Foundation Day, weekend, Chuseok 5–7, substitute 8,
    # Hangul Day 9: the next working day is Fri 10 Oct.
    assert add_working_days(date(2025, 10, 2), 1) == date(2025, 10, 10)
    assert add_working_days(date(2025, 10, 2), 3) == date(2025, 10, 14)


def test_chuseok_2026_and_the_weekend():
    # Wed 23 Sep 2026; Chuseok Thu–Sat 24–26, Sunday: next working day Mon 28 Sep.
    assert add_working_days(date(2026, 9, 23), 1) == date(2026, 9, 28)


def test_a_weekend_is_skipped():
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri → Mon
    assert add_working_days(date(2026, 11, 28), 1) == date(2026, 11, 30)  # Sat → Mon
    assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 30), 0) == date(2026, 11, 30)


def test_waiting_counts_working_days_only():
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 19)) == 1
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 20)) == 2
    assert working_days_between(date(2026, 2, 19), date(2026, 2, 13)) == 0
    assert working_days_between(date(2025, 10, 2), date(2025, 10, 10)) == 1


def test_long_waits_count_the_same_by_weeks_as_day_by_day():
    start, end = date(2020, 1, 3), date(2026, 11, 30)
    by_day = sum(
        1
        for n in range(1, (end - start).days + 1)
        if is_working_day(start.fromordinal(start.toordinal() + n))
    )
    assert working_days_between(start, end) == by_day


def test_late_only_after_the_target_day():
    # Fri before Seollal: on time through Thu 19 Feb, late on Fri 20 Feb.
    assert not is_late(date(2026, 2, 13), 1, date(2026, 2, 19))
    assert is_late(date(2026, 2, 13), 1, date(2026, 2, 20))


def test_latest_late_start_splits_late_from_on_time():
    today = date(2026, 2, 20)
    cutoff = latest_late_start(today, 1)
    # A message written over the weekend or during Seollal (14–18 Feb) was due Thu 19 Feb.
    assert cutoff == date(2026, 2, 18)
    for offset in range(-10, 7):
        start = date.fromordinal(cutoff.toordinal() + offset)
        assert is_late(start, 1, today) is (start <= cutoff)
