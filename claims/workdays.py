"""Working days in Seoul: weekends and Korean public holidays are not working days.

A pure module (STYLE 3): dates in, dates or counts out, no ORM. The holidays come from the
maintained ``holidays`` library (``holidays.KR``: Seollal and Chuseok by the lunar calendar,
substitute holidays, election days), so nobody keeps a list by hand.

CPRO's staff response targets count these days:
- a buyer's message or answer is answered within ``FIRST_RESPONSE_DAYS`` working day;
- a returned product is inspected within ``INSPECTION_DAYS`` working days of its receipt (R2, D1).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

FIRST_RESPONSE_DAYS = 1
INSPECTION_DAYS = 3

_MAX_SCAN = 400  # a year and more of days: far beyond any run of Korean holidays


@lru_cache(maxsize=32)
def _korean_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.KR(years=year))


def is_holiday(day: date) -> bool:
    return day in _korean_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Korean public holiday."""
    return day.weekday() < 5 and not is_holiday(day)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts).

    With ``days == 0``: ``start`` if it is a working day, else the next working day.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    if days == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    left = days
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``):
    how many working days something that arrived on ``start`` has waited on ``end``."""
    if end <= start:
        return 0
    if (end - start).days > 3 * _MAX_SCAN:
        # Long waits: whole weeks at five days, less the holidays on weekdays in between.
        return _working_days_counted(start, end)
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(days=offset))
    )


def _working_days_counted(start: date, end: date) -> int:
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    weekday_holidays = {
        day
        for year in range(start.year, end.year + 1)
        for day in _korean_holidays(year)
        if start < day <= end and day.weekday() < 5
    }
    return count - len(weekday_holidays)


def due_date(start: date, days: int) -> date:
    """The target date of something that arrived on ``start`` with ``days`` working days."""
    return add_working_days(start, days)


def is_late(start: date, days: int, today: date) -> bool:
    """Past its target: ``today`` is after the ``days``-th working day after ``start``."""
    return today > due_date(start, days)


def latest_late_start(today: date, days: int) -> date:
    """The last arrival date that is late on ``today`` with a ``days``-working-day target.

    ``due_date`` never decreases as the start moves later, so everything that arrived on or
    before this date is late and everything after is not (a database filter can use it).
    """
    day = today - timedelta(days=1)
    for _step in range(_MAX_SCAN):
        if is_late(day, days, today):
            return day
        day -= timedelta(days=1)
    raise ValueError("no late start within the scanned range")
