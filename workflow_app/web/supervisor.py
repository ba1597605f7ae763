"""监督: the alerts list (acknowledge one or many, 催办 the holder, jump to the task) and the dashboard."""

from __future__ import annotations

import functools

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from workflow_app import db
from workflow_app.alerts.board import AlertBoard
from workflow_app.directory.models import Role
from workflow_app.reports.service import Dashboard, ReportService
from workflow_app.reports.tables import workbook
from workflow_app.reports.trends import PeriodError, parse_period
from workflow_app.web.case_context import people, region_names
from workflow_app.web.dashboard_charts import chart_data, overdue_process_link, overdue_region_link
from workflow_app.web.downloads import xlsx_response
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_supervisor", __name__, url_prefix="/supervisor")
KIND_TITLES = {"reminder": "到期提醒", "overdue": "超期预警", "escalated": "超期上报"}
STATUSES = ("open", "acknowledged", "all")


@bp.get("/alerts")
@login_required(Role.SUPERVISOR)
def alerts() -> ResponseReturnValue:
    """The alerts of the supervisor's regions, newest first."""
    status = request.args.get("status", "open")
    if status not in STATUSES:
        status = "open"
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))
    found = AlertBoard(db.session()).list(current_web_user(), status=status, page=page, per_page=50)
    return render_template("supervisor/alerts.html", page=found, status=status, kinds=KIND_TITLES,
                           regions=region_names(db.session(), [t.region_code for _a, t in found.items]),
                           names=people(db.session(), [t.assignee for _a, t in found.items]))


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required(Role.SUPERVISOR)
def acknowledge(alert_id: int) -> ResponseReturnValue:
    """Mark an alert as seen (a refusal, e.g. already acknowledged, is flashed)."""
    _alert, task = AlertBoard(db.session()).acknowledge(current_web_user(), alert_id)  # with its scan's other levels
    flash(f"已确认预警：{task.title}", "success")
    return redirect(url_for("web_supervisor.alerts", status=request.args.get("status", "open")))


@bp.post("/alerts/acknowledge")
@login_required(Role.SUPERVISOR)
def acknowledge_many() -> ResponseReturnValue:
    """批量确认: the ticked alerts (and the other levels of their scans) in one change."""
    ids = [int(i) for i in request.form.getlist("alert_id")[:AlertBoard.MAX_BULK] if i.isdigit() and len(i) < 19]
    if not ids:
        flash("请先勾选要确认的预警。", "error")
    else:
        changed = AlertBoard(db.session()).acknowledge_many(current_web_user(), ids)
        flash(f"已确认 {changed} 条预警。", "success")
    return redirect(url_for("web_supervisor.alerts", status=request.args.get("status", "open")), 303)


@bp.post("/alerts/<int:alert_id>/urge")
@login_required(Role.SUPERVISOR)
def urge(alert_id: int) -> ResponseReturnValue:
    """催办 the holder of the alert's task (the task service's 催办: mail, 消息, history, once an hour)."""
    message = (request.form.get("message") or "").strip()[:500] or None
    result = AlertBoard(db.session()).urge_holder(current_web_user(), alert_id, message)
    flash(f"已催办：{result.task.task.title}（通知 {len(result.recipients)} 人）", "success")
    return redirect(url_for("web_supervisor.alerts", status=request.args.get("status", "open")), 303)


def _dashboard_query() -> tuple[Dashboard, str | None]:
    """The dashboard of ``?region=&from=&to=`` and the message for a malformed period (then the default)."""
    error = None
    try:
        period = parse_period(request.args.get("from", "")[:10], request.args.get("to", "")[:10])
    except PeriodError as exc:
        error, period = str(exc), None
    region = request.args.get("region", "")[:12] or None
    return ReportService(db.session()).dashboard(current_web_user(), region, period), error


@bp.get("/dashboard")
@login_required(Role.SUPERVISOR)
def dashboard() -> ResponseReturnValue:
    """Overdue tasks, on-time rate, party coverage, cleanup progress and registration time of a region
    the supervisor oversees (``?region=``, default their own) over a period of months (``?from=&to=``)."""
    data, error = _dashboard_query()
    return render_template("supervisor/dashboard.html", data=data, period_error=error, charts=chart_data(data),
                           region_link=overdue_region_link,
                           process_link=functools.partial(overdue_process_link, data))


@bp.get("/dashboard/export.xlsx")
@login_required(Role.SUPERVISOR)
def dashboard_export() -> ResponseReturnValue:
    """Every table of the dashboard as one workbook (a sheet per table), for the same region and period."""
    data, error = _dashboard_query()
    if error:
        flash(error, "error")
        return redirect(url_for("web_supervisor.dashboard", region=data.scope.code))
    return xlsx_response(workbook(data), f"dashboard-{data.scope.code}", f"监督看板-{data.scope.name}")
