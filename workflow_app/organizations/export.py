"""The registry list as an Excel workbook (.xlsx): one row per organization, Chinese headers and labels.

Cells are written as text, and any text a spreadsheet could read as a formula (starting with
``= + - @``, a tab or a carriage return) gets a leading ``'`` through ``exports.safe_cell``,
the one helper every CSV/XLSX writer uses (OWASP "CSV injection"): an organization name
typed by an applicant must not run in the clerk's Excel.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook

from workflow_app import clock
from workflow_app.exports import safe_cell
from workflow_app.organizations.labels import ORG_TYPE_LABELS, PARTY_LABELS, STATUS_LABELS
from workflow_app.organizations.models import Organization

HEADERS = ("名称", "统一社会信用代码", "类型", "类别", "登记管理机关区划", "登记状态", "党组织覆盖", "党建入章",
           "住所", "法定代表人", "登记日期", "标记")
FLAG_LABELS = {
    "suspected_zombie": "疑似僵尸型",
    "major_event_unreported": "重大事项未按规定报告",
}
SITUATION_LABELS = {
    "no_annual_report_2y": "连续两年未参加年检（年报）",
    "inactive_after_registration": "登记成立后一年内未开展活动",
    "inactive_since_2019": "2019年以来未按章程开展业务活动",
    "unreachable": "住所地和法定代表人均无法联系",
    "governance_deadlock": "内部治理陷入僵局",
}


def neutralize(value: object) -> str:
    """``value`` as cell text that no spreadsheet evaluates (a leading ``'`` before a formula start)."""
    return safe_cell("" if value is None else str(value))


def flag_labels(flags: Mapping[str, Any] | None) -> list[str]:
    """The organization's flags in Chinese: the true boolean flags, then the zombie situations listed."""
    flags = flags or {}
    shown = [label for name, label in FLAG_LABELS.items() if flags.get(name) is True]
    situations = flags.get("situations")
    if isinstance(situations, list):
        shown += [SITUATION_LABELS.get(str(code), str(code)) for code in situations]
    return shown


def workbook(rows: Iterable[Organization], region_names: Mapping[str, str]) -> bytes:
    """The .xlsx file of ``rows`` (write-only mode: memory stays flat for the whole province)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("社会组织")
    sheet.append(list(HEADERS))
    for org in rows:
        registered = clock.as_utc(org.registered_at).astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d") \
            if org.registered_at else ""
        sheet.append([neutralize(value) for value in (
            org.name, org.uscc, ORG_TYPE_LABELS[org.org_type], org.category,
            region_names.get(org.region_code, org.region_code), STATUS_LABELS[org.status],
            PARTY_LABELS[org.party_org_status], "是" if org.charter_party_clause else "否",
            org.residence, org.legal_representative, registered, "、".join(flag_labels(org.flags)),
        )])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
