"""登录 / 退出 pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from workflow_app import db
from workflow_app.auth.service import AuthService, BadCredentials
from workflow_app.auth.throttle import TooManyAttempts
from workflow_app.web.session import current_web_user, login_user, logout_user

bp = Blueprint("web_auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a phishing link bounce through our login.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web_home.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form; on POST check the credentials and start a session."""
    if request.method == "GET" and current_web_user() is not None:
        return redirect(_safe_next(request.args.get("next")))
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        try:
            _token, user = AuthService(db.session()).login(username, request.form.get("password", ""),
                                                           request.remote_addr or "")
        except BadCredentials:
            flash("用户名或密码错误", "error")
            return render_template("login.html", username=username), 401
        except TooManyAttempts as exc:
            flash(f"登录失败次数过多，请 {-(-exc.retry_after // 60)} 分钟后再试", "error")
            return render_template("login.html", username=username), 429, {"Retry-After": str(exc.retry_after)}
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", username=username)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session (POST with CSRF token, so a link elsewhere cannot log you out)."""
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("web_auth.login"))
