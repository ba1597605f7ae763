"""The registry of social organizations that the processes act on."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base, enum_column


class OrgType(enum.StrEnum):
    """The three legal forms of a social organization."""

    SOCIAL_GROUP = "social_group"  # 社会团体
    PRIVATE_NON_ENTERPRISE = "private_non_enterprise"  # 民办非企业单位
    FOUNDATION = "foundation"  # 基金会


class OrgStatus(enum.StrEnum):
    """Where the organization stands in the registry."""

    APPLYING = "applying"
    ACTIVE = "active"
    DEREGISTERED = "deregistered"  # 注销
    REVOKED = "revoked"  # 撤销登记
    CERTIFICATE_REVOKED = "certificate_revoked"  # 吊销登记证书


class PartyOrgStatus(enum.StrEnum):
    """Party-organization coverage (党组织覆盖) of the organization."""

    NONE = "none"
    INSTRUCTOR = "instructor"  # 党建工作指导员
    JOINT = "joint"  # 联合组建
    SINGLE = "single"  # 单独组建
    TEMPORARY = "temporary"  # 临时组建


class Organization(Base):
    """One social organization (社会组织) in the registry."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    # Minted here until the national system's code is entered (enter_national_uscc clears it).
    uscc_provisional: Mapped[bool] = mapped_column(default=False, server_default=false())
    org_type: Mapped[OrgType] = mapped_column(enum_column(OrgType, 32))
    category: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    status: Mapped[OrgStatus] = mapped_column(enum_column(OrgStatus, 32), index=True)
    party_org_status: Mapped[PartyOrgStatus] = mapped_column(enum_column(PartyOrgStatus, 32))
    charter_party_clause: Mapped[bool] = mapped_column(default=False)  # 党建入章
    # 认定为慈善组织 (慈善法 art 10): only these can have their certificate 吊销 under the 慈善法.
    charity_recognized: Mapped[bool] = mapped_column(default=False, server_default=false())
    # 业务主管单位 (社团条例 art 3/6, 民非条例 art 3/5, 基金会条例 art 7); None for an organization registered
    # directly (the four kinds of the 2016 reform) or a 行业协会商会 decoupled from its former sponsor (脱钩).
    sponsor_unit: Mapped[str | None] = mapped_column(String(128))
    residence: Mapped[str | None] = mapped_column(String(255))
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    flags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    registered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
