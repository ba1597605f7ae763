"""Managing users, and reading regions and groups (the admin pages and the API use this)."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow_app.db import unit_of_work
from workflow_app.directory.models import Group, Region, Role, User
from workflow_app.directory.passwords import hash_password
from workflow_app.errors import InvalidInput, NotFound

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class DirectoryService:
    """Users, regions and groups; owns its transactions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def regions(self) -> list[Region]:
        """Every region, in tree order (province, then each city followed by its counties)."""
        return list(self.session.scalars(select(Region).order_by(Region.path)))

    def groups(self) -> list[Group]:
        """Every group (BPMN lane)."""
        return list(self.session.scalars(select(Group).order_by(Group.name)))

    def users(self, q: str | None = None) -> list[User]:
        """Users, optionally those whose username or name contains ``q``."""
        query = select(User).order_by(User.region_code, User.username)
        if q:
            pattern = f"%{q.strip()}%"
            query = query.where(or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
        return list(self.session.scalars(query))

    def user(self, user_id: int) -> User:
        """One user."""
        found = self.session.get(User, user_id)
        if found is None:
            raise NotFound(f"no user {user_id}")
        return found

    def create_user(self, *, username: str, display_name: str, role: str, region_code: str,
                    groups: Collection[str], email: str | None, password: str,
                    organization_id: int | None = None) -> User:
        """Create a user; every field is checked and all problems are reported together."""
        errors = self._check(display_name=display_name, role=role, region_code=region_code, groups=groups,
                             email=email)
        if not USERNAME.match(username or ""):
            errors["username"] = ["3–64 位小写字母、数字、下划线、点或连字符，以字母开头"]
        elif self.session.scalars(select(User.id).where(User.username == username)).first() is not None:
            errors["username"] = ["该用户名已存在"]
        try:
            password_hash = hash_password(password or "")
        except ValueError:
            errors["password"] = ["密码至少 8 位"]
        if errors:
            raise InvalidInput("用户信息有误", details={"fields": errors})
        try:
            with unit_of_work(self.session):
                user = User(username=username, display_name=display_name.strip(), role=Role(role),
                            region_code=region_code, email=email or None, password_hash=password_hash,
                            organization_id=organization_id, groups=self._groups(groups))
                self.session.add(user)
        except IntegrityError as exc:
            raise InvalidInput("用户信息有误", details={"fields": {"username": ["该用户名已存在"]}}) from exc
        return user

    def update_user(self, user_id: int, *, display_name: str, role: str, region_code: str,
                    groups: Collection[str], email: str | None, active: bool) -> User:
        """Change a user's name, role, region, groups, e-mail and whether they may log in."""
        errors = self._check(display_name=display_name, role=role, region_code=region_code, groups=groups,
                             email=email)
        if errors:
            raise InvalidInput("用户信息有误", details={"fields": errors})
        with unit_of_work(self.session):
            user = self.user(user_id)
            user.display_name, user.role, user.region_code = display_name.strip(), Role(role), region_code
            user.email, user.groups = email or None, self._groups(groups)
            if user.active and not active:
                user.token_version += 1  # a deactivated user's tokens and sessions end at once
            user.active = active
        return user

    def reset_password(self, user_id: int, password: str) -> None:
        """Set a new password and end every token and session of the user."""
        try:
            password_hash = hash_password(password or "")
        except ValueError as exc:
            raise InvalidInput("密码至少 8 位", details={"fields": {"password": ["密码至少 8 位"]}}) from exc
        with unit_of_work(self.session):
            user = self.user(user_id)
            user.password_hash = password_hash
            user.token_version += 1

    def _check(self, *, display_name: str, role: str, region_code: str, groups: Collection[str],
               email: str | None) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        if not (display_name or "").strip() or len(display_name) > 64:
            errors["display_name"] = ["请填写姓名（不超过 64 字）"]
        if role not in {r.value for r in Role}:
            errors["role"] = ["未知角色"]
        if self.session.get(Region, region_code or "") is None:
            errors["region_code"] = ["未知区划"]
        known = {g.name for g in self.groups()}
        unknown = sorted(set(groups) - known)
        if unknown:
            errors["groups"] = [f"未知用户组：{', '.join(unknown)}"]
        if email and not EMAIL.match(email):
            errors["email"] = ["电子邮箱格式不正确"]
        return errors

    def _groups(self, names: Collection[str]) -> list[Group]:
        return list(self.session.scalars(select(Group).where(Group.name.in_(list(names))))) if names else []
