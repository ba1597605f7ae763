"""首页: each role's working day at a glance — its inbox counts, what is due, its last cases, what it may
start; supervisors their open alerts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from workflow_app import db
from workflow_app.directory.models import Role
from workflow_app.tasks import workday
from workflow_app.tasks.service import task_service
from workflow_app.web.case_context import INSTANCE_STATUS
from workflow_app.web.cases import startable
from workflow_app.web.inbox import WORKERS, tab_figures
from workflow_app.web.nav_counts import open_alerts
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_home", __name__)


@bp.get("/")
@login_required()
def index() -> ResponseReturnValue:
    """首页 of the signed-in user, by role."""
    user = current_web_user()
    session = db.session()
    works = user.role in WORKERS or user.role is Role.ADMIN
    counts = task_service().counts(user) if works else None
    figures = {**tab_figures(counts), "due_today": workday.due_today(session, user)} if counts is not None else None
    recent = [{"instance": i, "at": at, "status": INSTANCE_STATUS.get(i.status, i.status.value)}
              for i, at in workday.recent_cases(session, user)] if works else []
    return render_template("index.html", figures=figures, recent=recent, startable=startable(user) if works else [],
                           alerts=open_alerts() if user.role in (Role.SUPERVISOR, Role.ADMIN) else None)
