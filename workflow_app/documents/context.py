"""What a document template sees: the case, its variables, today's date in official style, the authority.

Official documents write dates in Chinese numerals (二〇二六年十一月二十二日); forms and
tables use Arabic ones (2026年11月22日). Both are offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.directory.models import Region, RegionLevel
from workflow_app.documents.remedies import remedy_for
from workflow_app.organizations.labels import ORG_TYPE_LABELS, PARTY_LABELS, STATUS_LABELS
from workflow_app.organizations.models import Organization

_DIGITS = "〇一二三四五六七八九"


def _small_number(n: int) -> str:
    """1..31 in Chinese numerals as dates write them (十, 十一, 二十, 三十一)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def to_date(value: Any) -> date | None:
    """A date from a date, an aware/naive datetime (taken in Beijing time) or an ISO string; None if empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (value.astimezone(clock.LOCAL_TZ) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return to_date(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def chinese_date(value: Any) -> str:
    """二〇二六年十一月二十二日 (empty text for an empty or unreadable value)."""
    day = to_date(value)
    if day is None:
        return "" if value in (None, "") else str(value)
    year = "".join(_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{_small_number(day.month)}月{_small_number(day.day)}日"


def date_text(value: Any) -> str:
    """2026年11月22日 (empty text for an empty or unreadable value)."""
    day = to_date(value)
    if day is None:
        return "" if value in (None, "") else str(value)
    return f"{day.year}年{day.month}月{day.day}日"


def yes_no(value: Any) -> str:
    """是 / 否 for a truth value; empty for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return "是" if value.strip().lower() in {"true", "yes", "1", "是", "y"} else "否"
    return "是" if value else "否"


@dataclass(frozen=True)
class Today:
    """Today's date in the three ways documents write it; prints as ``2026年11月22日``."""

    day: date

    @property
    def chinese(self) -> str:
        """二〇二六年十一月二十二日."""
        return chinese_date(self.day)

    @property
    def text(self) -> str:
        """2026年11月22日."""
        return date_text(self.day)

    @property
    def iso(self) -> str:
        """2026-11-22."""
        return self.day.isoformat()

    def __str__(self) -> str:
        return self.text


def authority_name(session: Session, region_code: str | None) -> str:
    """The civil-affairs authority of a region: 吉林省民政厅, 长春市民政局, 长春市朝阳区民政局."""
    region = session.get(Region, region_code) if region_code else None
    if region is None:
        return "民政部门"
    if region.level is RegionLevel.PROVINCE:
        return f"{region.name}民政厅"
    name = region.name
    # A district is known by its city's name too (长春市朝阳区); counties and county-level cities stand alone.
    if region.level is RegionLevel.COUNTY and name.endswith("区") and region.parent is not None:
        name = region.parent.name + name
    return f"{name}民政局"


def organization_view(session: Session, organization_id: int | None) -> dict[str, Any]:
    """The case's organization as templates see it (an empty dict when the case has none)."""
    org = session.get(Organization, organization_id) if organization_id else None
    if org is None:
        return {}
    return {
        "id": org.id, "name": org.name, "uscc": org.uscc or "", "org_type": org.org_type.value,
        "org_type_label": ORG_TYPE_LABELS[org.org_type], "category": org.category,
        "region_code": org.region_code, "status": org.status.value, "status_label": STATUS_LABELS[org.status],
        "party_org_status": org.party_org_status.value, "party_org_label": PARTY_LABELS[org.party_org_status],
        "charter_party_clause": org.charter_party_clause, "residence": org.residence or "",
        "legal_representative": org.legal_representative or "", "registered_at": org.registered_at,
    }


def template_context(session: Session, instance: Any, variables: Mapping[str, Any], *, title: str,
                     number: str | None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The variables of a document template (see bpmn/documents/_example.html)."""
    region = session.get(Region, instance.region_code) if instance.region_code else None
    definition = getattr(instance, "definition", None)
    extra = dict(extra or {})
    context: dict[str, Any] = {key: value for key, value in extra.items() if isinstance(key, str)}
    context.update({
        "case": {
            "id": instance.id,
            "business_key": instance.business_key or "",
            "process_key": instance.process_key,
            "process_name": getattr(definition, "name", "") or instance.process_key,
            "region_code": instance.region_code or "",
            "region_name": region.name if region else "",
            "started_at": instance.started_at,
            "started_at_text": date_text(instance.started_at),
            "organization_id": instance.organization_id,
        },
        "vars": dict(variables),
        "extra": extra,
        "number": number or "",
        "title": title,
        "today": Today(clock.local_now().date()),
        "authority": authority_name(session, instance.region_code),
        "remedy": remedy_for(session, instance.region_code).as_dict(),
        "organization": organization_view(session, instance.organization_id),
        "region": {"code": region.code, "name": region.name, "level": region.level.value} if region else {},
    })
    return context
