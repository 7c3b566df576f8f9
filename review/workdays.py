"""Working-day arithmetic with China's public holidays and make-up working days (`holidays`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

CHINA_TZ = ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=8)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.China(years=[year - 1, year, year + 1])


def is_working_day(day: date) -> bool:
    """True on Chinese working days, including weekend make-up days (调休上班)."""
    return _calendar(day.year).is_working_day(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """The same Beijing wall-clock time `days` working days after `start` (a UTC datetime)."""
    local = start.astimezone(CHINA_TZ)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)
