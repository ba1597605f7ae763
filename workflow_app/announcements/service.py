"""Publishing announcements from a case and listing them.

Announcements are public notices: every authenticated user may read all of them. The
page is rendered once, when published, from ``bpmn/documents/<template>`` (default
``_announcement.html``) in the same sandbox as documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow_app.announcements.models import Announcement
from workflow_app.directory.models import Region
from workflow_app.documents.context import template_context
from workflow_app.documents.service import documents_dir, render
from workflow_app.errors import NotFound
from workflow_app.instances.models import ProcessInstance
from workflow_app.organizations.models import Organization

DEFAULT_TEMPLATE = "_announcement.html"
KNOWN_KINDS = ("成立登记", "变更登记", "注销登记", "撤销登记", "吊销登记证书", "公告送达", "撤销登记决定", "其他")


class AnnouncementNotFound(NotFound):
    """No announcement with that id."""

    code = "announcement_not_found"


class AnnouncementService:
    """Publish (inside a case's transaction) and read announcements."""

    def __init__(self, session: Session, directory: Path | None = None) -> None:
        self.session = session
        self.directory = directory

    def publish(self, instance: ProcessInstance, *, kind: str, title: str, variables: Mapping[str, Any],
                template: str | None = None, extra: Mapping[str, Any] | None = None,
                actor: str | None = None) -> Announcement:
        """Render and store an announcement of ``instance``'s organization in the current transaction."""
        template = template or DEFAULT_TEMPLATE
        context = template_context(self.session, instance, variables, title=title, number=None, extra=extra)
        context["kind"] = kind
        html = render(self.directory or documents_dir(), template, context)
        announcement = Announcement(kind=kind, title=title, html=html, region_code=instance.region_code,
                                    organization_id=instance.organization_id, instance_id=instance.id,
                                    template=template, published_by=actor)
        self.session.add(announcement)
        self.session.flush()
        return announcement

    def list(self, *, kind: str | None = None, region: str | None = None, q: str | None = None,
             organization_id: int | None = None, page: int = 1, per_page: int = 50) -> tuple[list[Announcement], int]:
        """Announcements newest first; ``region`` includes the regions below it."""
        query = select(Announcement)
        if kind:
            query = query.where(Announcement.kind == kind)
        if organization_id is not None:
            query = query.where(Announcement.organization_id == organization_id)
        if region:
            path = self.session.scalar(select(Region.path).where(Region.code == region)) or "?"
            query = query.where(Announcement.region_code.in_(select(Region.code).where(Region.path.like(path + "%"))))
        if q:
            pattern = f"%{q.strip()}%"
            names = select(Organization.id).where(or_(Organization.name.like(pattern), Organization.uscc == q.strip()))
            query = query.where(or_(Announcement.title.like(pattern), Announcement.organization_id.in_(names)))
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        items = self.session.scalars(query.order_by(Announcement.published_at.desc(), Announcement.id.desc())
                                     .offset((page - 1) * per_page).limit(per_page))
        return list(items), int(total or 0)

    def get(self, announcement_id: int) -> Announcement:
        """One announcement."""
        announcement = self.session.get(Announcement, announcement_id)
        if announcement is None:
            raise AnnouncementNotFound(f"no announcement {announcement_id}")
        return announcement
