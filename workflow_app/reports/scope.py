"""Which regions a supervisor's figures cover: a region at or below the user's own (any region for admins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workflow_app.directory.models import Region, RegionLevel, Role, User
from workflow_app.errors import Forbidden, NotFound

PROVINCE_LEVEL = RegionLevel.PROVINCE


@dataclass(frozen=True)
class Scope:
    """One region and everything below it, as the figures count them."""

    code: str
    name: str
    level: RegionLevel
    path: str

    @property
    def includes_province(self) -> bool:
        """Whether the organizations the province registers (全省性) are in the scope."""
        return self.level is PROVINCE_LEVEL

    def region_codes(self) -> Select[tuple[str]]:
        """The codes of the region and every region below it, as a subquery."""
        return select(Region.code).where(Region.path.like(self.path + "%"))

    def covers(self, column: Any) -> Any:
        """``column`` (a region code) lies in the scope."""
        return column.in_(self.region_codes())


def resolve_scope(session: Session, user: User, region_code: str | None = None) -> Scope:
    """The scope of ``region_code`` (default: the user's region) if the user oversees it; else Forbidden."""
    code = region_code or user.region_code
    region = session.get(Region, code) if code and len(code) <= 12 else None
    if region is None:
        raise NotFound(f"没有区划 {code}", details={"region": code})
    if user.role is not Role.ADMIN and not region.path.startswith(user.region.path):
        raise Forbidden("该区划不在您的监督范围内", details={"region": code})
    return Scope(region.code, region.name, region.level, region.path)
