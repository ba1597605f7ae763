"""The statutory holidays of 全国年节及纪念日放假办法 (2024 revision), for years the State Council has not published.

The law fixes 13 days off every year: 元旦 1-1; 春节 除夕 and 正月初一 to 初三; 清明 (the solar term);
劳动节 5-1 and 5-2; 端午 (五月初五); 中秋 (八月十五); 国庆 10-1 to 10-3. Only the 调休 shifts wait for the
annual notice. The ``holidays`` package computes the lunar and solar-term dates; we keep only its
statutory days, never its "observed" or "substituted" guesses.
"""

from __future__ import annotations

import functools
from datetime import date

# The package's English names (stable across its translations) → the names the notice uses.
_STATUTORY_NAMES = {
    "New Year's Day": "元旦",
    "Chinese New Year's Eve": "春节",
    "Chinese New Year (Spring Festival)": "春节",
    "Tomb-Sweeping Day": "清明节",
    "Labor Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-Autumn Festival": "中秋节",
    "National Day": "国庆节",
}
FIRST_YEAR = 2025  # the 2024 revision (13 days: 除夕 and a second 劳动节 day added) applies from 2025


@functools.lru_cache(maxsize=64)
def statutory_days(year: int) -> dict[date, str]:
    """Return ``year``'s statutory days off by date, with their Chinese festival names (empty before 2025)."""
    if year < FIRST_YEAR:
        return {}
    import holidays  # imported on first use: only years outside the chinesecalendar library need it

    found = holidays.country_holidays("CN", years=year, observed=False, language="en_US")
    days: dict[date, str] = {}
    for day, label in found.items():
        # Two festivals on one day come joined by "; " (中秋 on 10-1, as in 2020).
        names = [_STATUTORY_NAMES[part] for part in label.split("; ") if part in _STATUTORY_NAMES]
        if names and day.year == year:
            days[day] = "、".join(dict.fromkeys(names))
    return dict(sorted(days.items()))
