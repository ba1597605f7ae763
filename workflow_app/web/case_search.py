"""案件查询's filters read from the query string, and written back for the pager and the export link."""

from __future__ import annotations

from datetime import date

from flask import request

from workflow_app.directory.models import Region
from workflow_app.instances.models import InstanceStatus
from workflow_app.instances.search import CaseFilter
from workflow_app.web.inbox import query_text

DATE_FIELDS = {"started_from": "发起日期（起）", "started_to": "发起日期（止）"}


def _day(name: str, errors: dict[str, str]) -> date | None:
    text = query_text(name, 10)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = f"{DATE_FIELDS[name]}应为形如 2026-01-31 的日期"
        return None


def case_filter(regions: list[Region]) -> tuple[CaseFilter, dict[str, str]]:
    """The page's filters (an unknown process, status or region is no filter; a malformed date is an error
    shown beside the filters) and the errors found."""
    errors: dict[str, str] = {}
    status = request.args.get("status", "").strip()
    region = request.args.get("region", "").strip()
    found = CaseFilter(
        process_key=query_text("process_key", 64), q=query_text("q", 100),
        status=status if status in {s.value for s in InstanceStatus} else None,
        region=region if region in {r.code for r in regions} else None,
        region_only=request.args.get("region_only") == "1",
        started_from=_day("started_from", errors), started_to=_day("started_to", errors),
        overdue=request.args.get("overdue") == "1",
        task_overdue=request.args.get("task_overdue") == "1", mine=request.args.get("mine") == "1")
    if found.started_from and found.started_to and found.started_from > found.started_to:
        errors["started_to"] = "发起日期（止）不能早于发起日期（起）"
    return found, errors


def filter_args(found: CaseFilter) -> dict[str, str]:
    """The filters as query-string arguments."""
    args = {name: str(value) for name, value in vars(found).items()
            if value not in (None, False, "") and not isinstance(value, bool)}
    args.update({name: "1" for name in ("mine", "overdue", "task_overdue", "region_only") if getattr(found, name)})
    return args
