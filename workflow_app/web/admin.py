"""系统管理: the working-day calendar editor and users / groups / regions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from workflow_app import clock, db
from workflow_app.auth.throttle import LoginThrottle, security_events
from workflow_app.calendar.service import CalendarService
from workflow_app.calendar.workdays import DayKind, library_days
from workflow_app.directory.models import Role
from workflow_app.directory.service import DirectoryService
from workflow_app.errors import InvalidInput
from workflow_app.web.page_messages import chinese
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_admin", __name__, url_prefix="/admin")
BLANK_ROWS = 5
MAX_FORM_ROWS = 1000  # a year has 366 days: a calendar post never needs more rows


@bp.get("/calendar")
@login_required(Role.ADMIN)
def calendar_now() -> ResponseReturnValue:
    """The calendar of the current year."""
    return redirect(url_for("web_admin.calendar", year=clock.local_now().year))


@bp.route("/calendar/<int:year>", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def calendar(year: int) -> ResponseReturnValue:
    """Show a year's holidays and 调休 days; admins replace the year's overrides in one save."""
    service = CalendarService(db.session())
    if request.method == "POST":
        rows = _rows_from_form()
        days = [{"date": r["date"], "kind": r["kind"], "name": r["name"] or None} for r in rows if r["date"]]
        try:
            service.set_days(year, days, actor=current_web_user().username,
                             complete=request.form.get("complete") == "on")
        except InvalidInput as exc:
            days_errors = {k: [chinese(m, 422) for m in v] for k, v in (exc.details.get("days") or {}).items()}
            return _calendar_page(service, year, rows, days_errors, chinese(exc.message, 422)), 422
        flash(f"{year} 年日历已保存", "success")
        return redirect(url_for("web_admin.calendar", year=year))
    return _calendar_page(service, year, _override_rows(service, year), {}, None)


@bp.post("/calendar/<int:year>/notice")
@login_required(Role.ADMIN)
def calendar_notice(year: int) -> ResponseReturnValue:
    """Read a pasted State Council notice: show its days (preview), then store them when confirmed."""
    service = CalendarService(db.session())
    text = request.form.get("notice", "")
    try:
        if request.form.get("action") == "confirm":
            notice = service.import_notice(text, actor=current_web_user().username, year=year)
            flash(f"{notice.year} 年放假安排已按通知保存（{len(notice.holidays())} 天放假、"
                  f"{len(notice.workdays())} 天调休上班），该年已标记为录入完整", "success")
            return redirect(url_for("web_admin.calendar", year=year))
        notice = service.preview_notice(text, year)
    except InvalidInput as exc:
        db.session().rollback()
        return _calendar_page(service, year, _override_rows(service, year), {}, exc.message, notice=text), 422
    return render_template("admin/calendar_notice.html", year=year, notice=notice, text=text)


def _override_rows(service: CalendarService, year: int) -> list[dict[str, str]]:
    return [{"date": e["date"].isoformat(), "kind": e["kind"].value, "name": e["name"] or ""}
            for e in service.year(year) if e["source"] == "override"]


def _rows_from_form() -> list[dict[str, str]]:
    rows = []
    count = request.form.get("rows", "").strip()
    # A hidden field, but still input: "abc" was a 500, 5,000 digits too, and 10**9 a billion-step loop.
    total = int(count) if count.isascii() and count.isdigit() and len(count) <= 6 else 0
    for index in range(min(total, MAX_FORM_ROWS)):
        rows.append({field: request.form.get(f"{field}_{index}", "").strip() for field in ("date", "kind", "name")})
    return rows


def _calendar_page(service: CalendarService, year: int, rows: list[dict[str, str]], errors: dict[str, Any],
                   message: str | None, notice: str = "") -> str:
    # Errors come keyed by the index among submitted (non-empty) days: map them back to form rows.
    filled = [i for i, r in enumerate(rows) if r.get("date")]
    row_errors = {filled[int(k)]: v for k, v in errors.items() if str(k).isdigit() and int(k) < len(filled)}
    rows = rows + [{"date": "", "kind": DayKind.HOLIDAY.value, "name": ""} for _ in range(BLANK_ROWS)]
    listing = service.year(year)
    # The library's own days, even those an override now shadows (an imported notice shadows them all).
    library = [{"date": d, "kind": k, "name": n} for d, k, n in library_days(year)]
    statutory = [e for e in listing if e["source"] == "statutory"]
    return render_template("admin/calendar.html", year=year, rows=rows, row_errors=row_errors, message=message,
                           library=library, statutory=statutory, notice=notice, covered=service.calendar().covers(year),
                           complete=service.is_complete(year), kinds=list(DayKind),
                           first=date(year, 1, 1).isoformat(), last=date(year, 12, 31).isoformat())


@bp.route("/users", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    """List users; create one (the form keeps what was typed when something is wrong)."""
    service = DirectoryService(db.session())
    form: dict[str, Any] = {"groups": []}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in
                ("username", "display_name", "role", "region_code", "email")}
        form["groups"] = request.form.getlist("groups")
        try:
            created = service.create_user(**form, password=request.form.get("password", ""))
        except InvalidInput as exc:
            errors, status = exc.details.get("fields", {}), 422
        else:
            flash(f"已创建用户 {created.username}", "success")
            return redirect(url_for("web_admin.users"))
    return render_template("admin/users.html", users=service.users(request.args.get("q")), form=form,
                           errors=errors, regions=service.regions(), groups=service.groups(),
                           roles=list(Role)), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def user(user_id: int) -> ResponseReturnValue:
    """Edit a user's role, region, groups and status, or reset the password."""
    service = DirectoryService(db.session())
    found = service.user(user_id)
    errors: dict[str, list[str]] = {}
    form: dict[str, Any] = {"display_name": found.display_name, "role": found.role.value,
                            "region_code": found.region_code, "email": found.email or "",
                            "groups": found.group_names, "active": found.active}
    if request.method == "POST":
        try:
            if request.form.get("action") == "reset_password":
                service.reset_password(user_id, request.form.get("password", ""))
                flash("密码已重置，该用户的登录会话已全部失效", "success")
            else:
                form = {key: request.form.get(key, "").strip() for key in
                        ("display_name", "role", "region_code", "email")}
                form["groups"], form["active"] = request.form.getlist("groups"), request.form.get("active") == "on"
                service.update_user(user_id, **form)
                flash("已保存", "success")
            return redirect(url_for("web_admin.user", user_id=user_id))
        except InvalidInput as exc:
            errors = exc.details.get("fields", {})
            db.session().rollback()
            return render_template("admin/user.html", user=service.user(user_id), form=form, errors=errors,
                                   regions=service.regions(), groups=service.groups(), roles=list(Role)), 422
    return render_template("admin/user.html", user=found, form=form, errors=errors, regions=service.regions(),
                           groups=service.groups(), roles=list(Role))


@bp.get("/security")
@login_required(Role.ADMIN)
def security() -> ResponseReturnValue:
    """安全事件: login lockouts (who, from where, until when) and the locks an admin lifted."""
    throttle = LoginThrottle.from_config(db.session(), current_app.config)
    rows = []
    for event in security_events(db.session()):
        until = event.details.get("locked_until")
        until = datetime.fromisoformat(until) if isinstance(until, str) else None
        rows.append({"event": event, "until": until,
                     "active": until is not None and until > clock.now() and throttle.is_locked(
                         event.details.get("scope", ""), event.username or "", event.remote_addr or "")})
    return render_template("admin/security.html", rows=rows)


@bp.post("/security/unlock")
@login_required(Role.ADMIN)
def unlock() -> ResponseReturnValue:
    """Lift an account's or an address's login lock (the person called; the failures were theirs)."""
    scope, key = request.form.get("scope", ""), request.form.get("key", "").strip()
    if scope not in ("account", "address") or not key:
        flash("请选择要解除锁定的账号或地址", "error")
        return redirect(url_for("web_admin.security"))
    LoginThrottle.from_config(db.session(), current_app.config).unlock(scope, key, by=current_web_user().username)
    flash(f"已解除{'账号' if scope == 'account' else '地址'} {key} 的登录锁定", "success")
    return redirect(url_for("web_admin.security"))
