"""The 案件查询 list as an Excel workbook (.xlsx): one row per case, Chinese headers and labels.

Every cell goes through ``exports.safe_cell`` (an organization name typed by an applicant must not run as a
formula in the clerk's Excel).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import datetime

from openpyxl import Workbook

from workflow_app import clock
from workflow_app.exports import safe_cell
from workflow_app.instances.models import InstanceStatus, ProcessInstance

HEADERS = ("业务编号", "业务", "社会组织", "登记管理机关", "状态", "发起时间", "办结时间", "法定期限", "是否超期")


def _local(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return clock.as_utc(moment).astimezone(clock.LOCAL_TZ).strftime(pattern) if moment else ""


def _overdue(instance: ProcessInstance, now: datetime) -> str:
    late = (instance.status is InstanceStatus.RUNNING and not instance.clock_paused
            and instance.due_at is not None and clock.as_utc(instance.due_at) < now)
    return "是" if late else "否"


def workbook(rows: Iterable[tuple[ProcessInstance, str | None]], processes: Mapping[str, str],
             regions: Mapping[str, str], statuses: Mapping[InstanceStatus, str]) -> bytes:
    """The .xlsx file of ``rows`` (case, organization name) in write-only mode."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("案件")
    sheet.append(list(HEADERS))
    now = clock.now()
    for instance, organization in rows:
        due = "暂停计时" if instance.clock_paused else _local(instance.due_at, "%Y-%m-%d")
        sheet.append([safe_cell(value) for value in (
            instance.business_key or "（尚未编号）", processes.get(instance.process_key, instance.process_key),
            organization or "", regions.get(instance.region_code or "", instance.region_code or ""),
            statuses.get(instance.status, instance.status.value), _local(instance.started_at),
            _local(instance.ended_at), due, _overdue(instance, now),
        )])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
