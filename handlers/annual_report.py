"""``annual_report.aggregate``: a city's yearly report summed with its counties' (seed 002's reporting line)."""

from __future__ import annotations

from typing import Any

from handlers import HandlerContext
from handlers.support import case_variables, fail, handler, integer, region_code, text
from workflow_app.reports.annual import ReportLevel, aggregate, county_reports


@handler("annual_report.aggregate")
def aggregate_report(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """The unit's own figures (the case's) plus its counties' latest reports for a city; its own alone
    for 梅河口 and a county. Result: ``{totals, counties, counties_missing}``."""
    op = "annual_report.aggregate"
    code = region_code(context, params.get("region_code"), op)
    year = integer(params, "report_year", op, minimum=2000)
    level = text(params, "report_level", op, max_length=16)
    if year is None or level not in {v.value for v in ReportLevel}:
        raise fail(op, "报告年度或报送层级无效", f"report_year {year!r} / report_level {level!r} invalid")
    counties = county_reports(context.session, code, year) if level == ReportLevel.CITY else []
    return aggregate(case_variables(context), counties)
