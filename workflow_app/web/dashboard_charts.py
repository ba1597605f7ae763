"""监督看板's charts: the figures as the JSON that static/js/dashboard.js draws, with each bar's drill-down link.

The links open 案件查询 narrowed to the cases that hold the counted tasks (``task_overdue=1``), so a number and
the list it opens agree.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from workflow_app.reports.service import OWN, Bar, Dashboard


def _percent(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None


def overdue_region_link(bar: Bar) -> str:
    """The cases of the region and below (of the region alone for its 本级 row) holding an open task past its
    due time."""
    if bar.key.endswith(OWN):
        return url_for("web_cases.index", region=bar.key.removesuffix(OWN), region_only=1, task_overdue=1)
    return url_for("web_cases.index", region=bar.key, task_overdue=1)


def overdue_process_link(data: Dashboard, bar: Bar) -> str:
    """The cases of the process in the scope holding an open task past its due time."""
    return url_for("web_cases.index", region=data.scope.code, process_key=bar.key, task_overdue=1)


def _bars(bars: list[Bar], links: list[str]) -> dict[str, Any]:
    return {"labels": [b.label for b in bars], "values": [int(b.value) for b in bars], "links": links}


def chart_data(data: Dashboard) -> dict[str, Any]:
    """Every chart's series (rates in percent, None where there is nothing to divide)."""
    o, f = data.overview, data.figures
    trend = data.trend
    return {
        "overdueRegion": _bars(o.overdue_by_region, [overdue_region_link(b) for b in o.overdue_by_region]),
        "overdueProcess": _bars(o.overdue_by_process, [overdue_process_link(data, b) for b in o.overdue_by_process]),
        "onTime": {"months": [m.month for m in data.on_time_by_month],
                   "rates": [_percent(m.rate) for m in data.on_time_by_month],
                   "completed": [m.completed for m in data.on_time_by_month]},
        "registration": {"months": [m.month for m in data.registration_by_month],
                         "median": [m.median_workdays for m in data.registration_by_month],
                         "mean": [m.mean_workdays for m in data.registration_by_month],
                         "decided": [m.decided for m in data.registration_by_month]},
        "zombies": [{"name": c.label, "value": c.value} for c in f.zombies.by_outcome if c.value],
        "party": {"months": [p.month for p in trend],
                  "organization": [_percent(p.coverage.organization_rate) for p in trend],
                  "work": [_percent(p.coverage.work_rate) for p in trend],
                  "provincial": [_percent(p.provincial.organization_rate) if p.provincial else None for p in trend]
                  if f.party.provincial else None},
    }
