"""The dashboard's tables as plain rows, and as one Excel workbook with a sheet per table.

The same rows the page shows (see templates/supervisor/dashboard.html); every cell goes through
``exports.safe_cell`` (region and organization names are typed by people).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook

from workflow_app.exports import safe_row
from workflow_app.reports.figures import Coverage
from workflow_app.reports.service import Dashboard


@dataclass(frozen=True)
class Table:
    """One table: its sheet name (at most 31 characters, no []:*?/\\), headers and rows."""

    title: str
    headers: list[str]
    rows: list[list[Any]]


def _percent(value: float | None) -> str:
    return f"{100 * value:.1f}%" if value is not None else "—"


def _coverage_row(label: str, c: Coverage) -> list[Any]:
    return [label, c.active, c.organization_covered, c.single, c.joint, c.temporary,
            _percent(c.organization_rate), c.instructor, _percent(c.work_rate), _percent(c.charter_clause_rate)]


COVERAGE_HEADERS = ["范围", "正常登记组织", "组织覆盖", "单独组建", "联合组建", "临时组建", "组织覆盖率",
                    "工作覆盖（仅选派指导员）", "工作覆盖率", "党建入章率"]


def tables(data: Dashboard) -> list[Table]:
    """Every table of the dashboard, in the page's order."""
    o, f = data.overview, data.figures
    party = [_coverage_row(f"{data.scope.name}及所辖", f.party.all)]
    if f.party.provincial:
        party.append(_coverage_row("全省性社会组织", f.party.provincial))
    outcomes = [c.key for c in f.zombies.by_outcome]
    return [
        Table("超期任务（按区划）", ["区划", "超期未办任务（件）"], [[b.label, int(b.value)] for b in o.overdue_by_region]),
        Table("超期任务（按流程）", ["流程", "超期未办任务（件）"], [[b.label, int(b.value)] for b in o.overdue_by_process]),
        Table("按期办结率（按月）", ["月份", "办结的有时限任务（件）", "按期办结（件）", "按期办结率"],
              [[m.month, m.completed, m.on_time, _percent(m.rate)] for m in data.on_time_by_month]),
        Table("成立登记用时（按月）", ["决定月份", "已决定（件）", "平均工作日", "中位数工作日", "期限内（件）"],
              [[m.month, m.decided, m.mean_workdays if m.mean_workdays is not None else "—",
                m.median_workdays if m.median_workdays is not None else "—", m.within_limit]
               for m in data.registration_by_month]),
        Table("僵尸型清理（按结果）", ["结果", "组织（家）"], [[c.label, c.value] for c in f.zombies.by_outcome]),
        Table("僵尸型清理（按情形）", ["情形", "合计", *[c.label for c in f.zombies.by_outcome]],
              [[s.label, s.total, *[s.by_outcome[k] for k in outcomes]] for s in f.zombies.by_situation]),
        Table("党建覆盖（现状）", COVERAGE_HEADERS, party),
        Table("党建覆盖（月度趋势）", ["月份", "正常登记组织", "组织覆盖率", "工作覆盖率", "全省性组织覆盖率"],
              [[p.month, p.coverage.active, _percent(p.coverage.organization_rate), _percent(p.coverage.work_rate),
                _percent(p.provincial.organization_rate) if p.provincial else "—"] for p in data.trend]),
    ]


def workbook(data: Dashboard) -> bytes:
    """The .xlsx of every table: a sheet each, headed by the scope and the period."""
    book = Workbook(write_only=True)
    heading = f"{data.scope.name}及所辖 · 统计期间 {data.period.first} 至 {data.period.last}"
    for table in tables(data):
        sheet = book.create_sheet(table.title)
        sheet.append(safe_row([heading]))
        sheet.append(safe_row(table.headers))
        for row in table.rows:
            sheet.append(safe_row(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
