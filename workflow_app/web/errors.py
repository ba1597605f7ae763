"""Page error handling: domain errors become a flashed message and a redirect back; 403/404 get pages."""

from __future__ import annotations

from flask import Flask, Response, flash, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workflow_app import db
from workflow_app.error_body import error_response
from workflow_app.errors import DomainError
from workflow_app.input_guard import UnstorableInput
from workflow_app.web.page_messages import for_page


def init_app(app: Flask) -> None:
    """Install the page handlers (the API keeps its own, registered in workflow_app.api.errors)."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        db.session().rollback()
        return render_template("errors/error.html", status=400, title="请求已过期",
                               message="表单已过期或来源不明，请刷新页面后重试。"), 400

    for status, title, message in (
        (403, "无权访问", "您没有访问此页面的权限。"),
        (404, "页面不存在", "您访问的页面或记录不存在，或您无权查看。"),
        (413, "文件过大", "上传的内容超过了允许的大小。"),
    ):
        app.register_error_handler(status, _page(status, title, message))


def _page(status: int, title: str, message: str):
    def handler(exc: Exception) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return error_response(status, {403: "forbidden", 404: "not_found", 413: "payload_too_large"}[status],
                                  getattr(exc, "description", None) or title)
        return render_template("errors/error.html", status=status, title=title, message=message), status

    return handler


# Any other HTTP error a page can meet, in Chinese (werkzeug's own pages are English).
_HTTP_PAGES = {
    400: ("请求无效", "请求的内容不完整或格式不正确，请返回上一页重试。"),
    401: ("需要登录", "请先登录后再访问此页面。"),
    405: ("不支持此操作", "此地址不能这样打开（例如刷新了一个提交表单后的页面）。请返回上一页，或从首页重新进入。"),
    409: ("操作冲突", "记录已被他人修改，请刷新页面后重试。"),
    415: ("内容类型不支持", "提交的内容类型不受支持。"),
    429: ("操作过于频繁", "请求过于频繁，请稍后再试。"),
    500: ("系统错误", "系统内部出错，本次操作未生效。请稍后重试，或联系系统管理员。"),
}


def http_error_page(exc: HTTPException) -> ResponseReturnValue:
    """A page for an HTTP error with no handler of its own, in Chinese, keeping its headers (e.g. Allow)."""
    status = exc.code or 500
    title, message = _HTTP_PAGES.get(status, ("请求未完成", "请求未能完成，请返回上一页重试。"))
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return render_template("errors/error.html", status=status, title=title, message=message), status, headers


def retry_later_page(title: str, message: str) -> tuple[Response, int]:
    """A 503 page (database busy or unreachable); the caller adds Retry-After."""
    return make_response(render_template("errors/error.html", status=503, title=title, message=message)), 503


def domain_error_page(exc: DomainError) -> ResponseReturnValue:
    """A refused action on a page: 404/403 get their page, anything else is flashed on the page it came from."""
    if isinstance(exc, UnstorableInput):
        if request.is_json:  # a page's script posted JSON (the modeler): it reads a JSON answer
            return error_response(exc.status, exc.code, exc.message, exc.details)
        # A page, not a flash and a redirect back: the page it came from may be the very URL refused.
        return render_template("errors/error.html", status=422, title="输入无效",
                               message="提交的内容含有无法保存的字符或数值，请检查后重新填写。"), 422
    if exc.status in (403, 404):
        title = "无权访问" if exc.status == 403 else "页面不存在"
        return render_template("errors/error.html", status=exc.status, title=title,
                               message=for_page(exc)), exc.status
    return flash_and_back(for_page(exc), request.path)


def flash_and_back(message: str, fallback: str) -> ResponseReturnValue:
    """Flash ``message`` and go back to the page the form came from (or ``fallback``)."""
    flash(message, "error")
    return redirect(request.referrer or fallback)
