"""Where a party seeks 行政复议 against a civil-affairs decision, and the periods to print.

Since the revised 行政复议法 took effect on 2024-01-01, the 上一级主管部门 option is gone: a
decision of a 县级以上地方人民政府工作部门 (a 民政厅 / 民政局) is reviewed by the people's government
of the same level (行政复议法 2023 art 24(1)). So:

- 吉林省民政厅 → 吉林省人民政府
- a city's or a 州's 民政局 → that city's (州's) 人民政府 (长春市人民政府, 延边朝鲜族自治州人民政府)
- a county-level unit's 民政局 → that unit's 人民政府 (长春市南关区人民政府, 梨树县人民政府)
- 长白山: the 长白山保护开发区管理委员会 is a provincial management committee, not a government;
  its civil-affairs office's decisions are reviewed by the committee itself (the body that set it up;
  art 24(1) with art 24(4) by analogy — "长白山管委会人民政府" does not exist).

The periods: 复议 within 60 days of knowing of the decision (行政复议法 art 20), 诉讼 within 6 months
(行政诉讼法 art 46). A decision that does not name the body or the periods lets the period run up to
one year (行政复议法 art 20(2); 行政诉讼法 司法解释 art 64).

This is the one table; templates print it through ``remedy`` in their context (see
``bpmn/documents/_remedies.html``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from workflow_app.directory.models import Region, RegionLevel

# Regions that are not administrative divisions and have no people's government of their own.
MANAGEMENT_COMMITTEES = {"229900": "长白山保护开发区管理委员会"}
REVIEW_DAYS = 60
LAWSUIT_MONTHS = 6
_FALLBACK = "本机关的本级人民政府"


@dataclass(frozen=True)
class Remedy:
    """The 复议 body and the periods a decision names."""

    review_body: str
    review_days: int = REVIEW_DAYS
    lawsuit_months: int = LAWSUIT_MONTHS

    def as_dict(self) -> dict[str, object]:
        """The template view: ``remedy.review_body``, ``remedy.review_days``, ``remedy.lawsuit_months``."""
        return {"review_body": self.review_body, "review_days": self.review_days,
                "lawsuit_months": self.lawsuit_months}


def government_name(region: Region) -> str:
    """The people's government (or committee) of ``region``: 吉林省人民政府, 长春市南关区人民政府."""
    committee = MANAGEMENT_COMMITTEES.get(region.code)
    if committee:
        return committee
    name = region.name
    # A district is known by its city's name (长春市南关区); counties and county-level cities stand alone.
    if region.level is RegionLevel.COUNTY and name.endswith("区") and region.parent is not None:
        name = region.parent.name + name
    return f"{name}人民政府"


def remedy_for(session: Session, region_code: str | None) -> Remedy:
    """The 复议 body for a decision of the civil-affairs authority of ``region_code``."""
    region = session.get(Region, region_code) if region_code else None
    if region is None:
        return Remedy(_FALLBACK)
    return Remedy(government_name(region))
