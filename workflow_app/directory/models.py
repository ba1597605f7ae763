"""People and places: regions (province → city → county), groups (BPMN lanes) and users."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow_app import clock
from workflow_app.db import Base, enum_column


class RegionLevel(enum.StrEnum):
    """How high a region stands in the administrative ladder."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class Role(enum.StrEnum):
    """What a user is, which decides the pages and endpoints open to them."""

    APPLICANT = "applicant"
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    DESIGNER = "designer"
    ADMIN = "admin"


class Region(Base):
    """An administrative region; a case belongs to the region of its registration authority."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[RegionLevel] = mapped_column(enum_column(RegionLevel))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    # Materialised ancestry ("220000/220100/220102/") so "this region and those below" is one LIKE.
    path: Mapped[str] = mapped_column(String(64), index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[code])


user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_name", ForeignKey("groups.name", ondelete="CASCADE"), primary_key=True, index=True),
)


class Group(Base):
    """A candidate group; BPMN lane names refer to these by ``name``."""

    __tablename__ = "groups"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(64))


class User(Base):
    """Someone who logs in: staff of a region, or an organization's applicant."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change: tokens carry it, so older tokens stop working.
    token_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    region: Mapped[Region] = relationship(lazy="joined")
    groups: Mapped[list[Group]] = relationship(secondary=user_groups, lazy="selectin")

    @property
    def group_names(self) -> list[str]:
        """Names of the groups (lanes) this user works in."""
        return sorted(g.name for g in self.groups)
