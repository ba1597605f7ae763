"""``registration.assess``: what the law makes of a 成立登记 application at the authority it was routed to.

- Jurisdiction: a 基金会 registers only with the province (基金会管理条例 art 6); the handler refuses
  one routed to a city or a county, so no such case proceeds even past a client that skipped the form.
- The statutory clock (法定办理时限) that applies and the words documents print for it (``establishment``
  serves only cases still on the registration version of 2026-12-06, which modelled the 1998 text's
  筹备 stage and its 30-day 成立登记 review; the 条例 as amended in 2016 has one decision, art 12):
  the province decides within 15 working days (its own promise, 省级审批时限压缩至不超过15个工作日);
  a city or county within the regulations' 60 days (社会团体登记管理条例 art 12, 民办非企业单位登记管理暂行
  条例 art 11, 基金会管理条例 art 11) unless the region has promised less: ``REGISTRATION_PROMISES``
  (``SOCORG_REGISTRATION_PROMISES="220100:20,220102:15"``, region code : working days).
- 一地一会 for a 异地商会: another active chamber of the same origin registered by the same city
  (registry flag ``chamber_origin``) is a conflict the window, the reviewer and the approver see
  (社会团体登记管理条例 art 13(2); 一地一会 per 民政部《关于异地商会登记管理的指导意见》).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from handlers import HandlerContext
from handlers.support import boolean, fail, handler, region_code, text
from workflow_app.directory.models import Region, RegionLevel
from workflow_app.documents.context import authority_name
from workflow_app.organizations.models import Organization, OrgStatus

PROVINCE_WORKDAYS = 15
STATUTORY_DAYS = 60
ESTABLISHMENT_DAYS = 30
_BASIS = {
    "social_group": "《社会团体登记管理条例》第十二条",
    "private_non_enterprise": "《民办非企业单位登记管理暂行条例》第十一条",
    "foundation": "《基金会管理条例》第十一条",
}
_PROMISE_RE = re.compile(r"(\d{6})\s*:\s*(\d{1,3})", re.ASCII)
_NUMERALS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..999 in Chinese numerals as periods are written (十五, 二十, 六十, 一百二十)."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text_ = _NUMERALS[hundreds] + "百" if hundreds else ""
    if tens:
        text_ += ("" if tens == 1 and not hundreds else _NUMERALS[tens]) + "十"
    elif hundreds and ones:
        text_ += "〇"
    if ones or not text_:
        text_ += _NUMERALS[ones]
    return text_


def promises(setting: object) -> dict[str, int]:
    """Region code → promised working days, from ``"220100:20, 220102:15"``."""
    return {code: int(days) for code, days in _PROMISE_RE.findall(str(setting or "")) if int(days) >= 1}


def _configured() -> dict[str, int]:
    from flask import current_app, has_app_context

    return promises(current_app.config.get("REGISTRATION_PROMISES") if has_app_context() else "")


def time_limit(level: RegionLevel, code: str, org_type: str, promised: dict[str, int]) -> dict[str, Any]:
    """The limit of a decision by the authority of region ``code``: ``limit`` (for the clock), ``text``
    (for documents), ``basis`` (the rule it comes from)."""
    if level is RegionLevel.PROVINCE:
        return {"limit": f"{PROVINCE_WORKDAYS}wd", "workdays": PROVINCE_WORKDAYS,
                "text": f"{chinese_number(PROVINCE_WORKDAYS)}个工作日",
                "basis": "吉林省民政厅承诺时限（省级审批时限压缩至不超过15个工作日）"}
    if code in promised:
        days = promised[code]
        return {"limit": f"{days}wd", "workdays": days, "text": f"{chinese_number(days)}个工作日",
                "basis": "本机关承诺办理时限"}
    return {"limit": f"{STATUTORY_DAYS}d", "workdays": None, "text": f"{chinese_number(STATUTORY_DAYS)}日",
            "basis": _BASIS.get(org_type, "有关登记管理法规")}


def establishment_limit(level: RegionLevel, code: str, promised: dict[str, int]) -> dict[str, Any]:
    """The limit of a 社团's 成立登记 after its 筹备 on the registration version of 2026-12-06 (30 days, the
    1998 text's art 16, or the province's or the region's promise): kept so those running cases finish.
    The current process has no such stage (国务院令第666号 deleted it in 2016)."""
    if level is RegionLevel.PROVINCE or code in promised:
        return time_limit(level, code, "social_group", promised)
    return {"limit": f"{ESTABLISHMENT_DAYS}d", "workdays": None, "text": f"{chinese_number(ESTABLISHMENT_DAYS)}日",
            "basis": "《社会团体登记管理条例》第十六条"}


@handler("registration.assess")
def assess(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """The limit that applies at the routed authority, and the registry conflicts of the application."""
    op = "registration.assess"
    code = region_code(context, params.get("region_code"), op)
    org_type = text(params, "org_type", op, max_length=32)
    region = context.session.get(Region, code)
    if org_type == "foundation" and region.level is not RegionLevel.PROVINCE:
        raise fail(op, "基金会由省级人民政府民政部门登记（《基金会管理条例》第六条），市、县登记管理机关不予办理",
                   "a foundation registers with the province only (基金会管理条例 art 6)")
    conflicts: list[str] = []
    if boolean(params, "is_remote_chamber", op, default=False):
        origin = text(params, "chamber_origin", op, max_length=50)
        conflicts += [f"一地一会：本市已登记同一原籍地的异地商会“{org.name}”（统一社会信用代码 {org.uscc or '—'}）"
                      for org in _chambers(context, code, origin)]
    promised = _configured()
    return {**time_limit(region.level, code, org_type, promised), "region_level": region.level.value,
            "establishment": establishment_limit(region.level, code, promised),
            "authority": authority_name(context.session, code), "registry_conflicts": conflicts}


_UNIT_RE = re.compile(r"(.+?(?:自治区|自治州|省|市|盟|地区|县|区))")
_SUFFIX_RE = re.compile(r"(?:自治区|自治州|省|市|盟|地区|县|区)$")


def chamber_names(city: str, origin: str) -> set[str]:
    """The names a 异地商会 of ``origin`` in ``city`` goes by: 所在地 + 原籍地 + 商会, the origin written in full
    or as its last unit without the suffix (长春市 + 浙江省温州市 → 长春市浙江省温州市商会, 长春市温州商会)."""
    units = _UNIT_RE.findall(origin) or [origin]
    last = units[-1]
    return {f"{city}{origin}商会", f"{city}{last}商会", f"{city}{_SUFFIX_RE.sub('', last)}商会"}


def _chambers(context: HandlerContext, code: str, origin: str) -> list[Organization]:
    """The active 异地商会 of ``origin`` the authority of ``code`` registered: by the registry's
    ``chamber_origin`` (entered by this process) or, for older entries without it, by the name."""
    names = chamber_names(context.session.get(Region, code).name, origin)
    rows = context.session.scalars(select(Organization).where(
        Organization.region_code == code, Organization.category == "行业协会商会",
        Organization.status.in_((OrgStatus.ACTIVE, OrgStatus.APPLYING))))
    return [org for org in rows if (org.flags or {}).get("chamber_origin") == origin or org.name in names]
