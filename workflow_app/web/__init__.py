"""The Chinese web UI: server-rendered pages over the same services as the API.

Pages use a signed session cookie and CSRF tokens on every form; the JSON API under
/api/ uses bearer tokens instead and is exempt from CSRF.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from workflow_app import clock

csrf = CSRFProtect()


def _blueprints() -> list:
    """Every UI blueprint."""
    from workflow_app.attachments import views as attachment_views
    from workflow_app.web import (
        admin,
        auth_views,
        batch,
        case_actions,
        cases,
        designer,
        designer_dmn,
        designer_try,
        designer_versions,
        home,
        inbox,
        messages,
        organizations,
        public,
        studio,
        supervisor,
        task_page,
        vendor,
    )

    return [auth_views.bp, home.bp, vendor.bp, designer.bp, designer_versions.bp, designer_dmn.bp,
            designer_try.bp, studio.bp, admin.bp, inbox.bp, batch.bp, task_page.bp, cases.bp,
            case_actions.bp, supervisor.bp, attachment_views.bp, organizations.bp, public.bp, messages.bp]


def init_app(app: Flask) -> None:
    """Register the UI blueprints, CSRF protection, template helpers and page error handlers."""
    from workflow_app.web import errors, labels, session

    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked below for pages only
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    csrf.init_app(app)

    @app.before_request
    def _protect_forms() -> None:
        if not request.path.startswith("/api/"):
            csrf.protect()

    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    app.context_processor(_template_context)
    app.add_template_filter(_local_time, "local")
    app.add_template_filter(labels.group_label, "group_label")
    session.init_app(app)
    errors.init_app(app)


def _template_context() -> dict[str, Any]:
    from workflow_app.web.labels import group_label, role_label
    from workflow_app.web.nav_counts import open_alerts, unread_messages
    from workflow_app.web.session import current_web_user

    # The nav's counts are functions: only a page that shows the nav runs their (indexed) queries.
    return {"current_user": current_web_user(), "role_label": role_label, "group_label": group_label,
            "unread_messages": unread_messages, "open_alerts": open_alerts}


def _local_time(moment: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC time in Beijing time."""
    if moment is None:
        return ""
    return clock.as_utc(moment).astimezone(clock.LOCAL_TZ).strftime(fmt)
