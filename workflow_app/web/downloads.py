"""File downloads built by the pages (Excel exports): one place for their headers."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from workflow_app import clock

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data: bytes, ascii_stem: str, chinese_stem: str) -> Response:
    """``data`` as an .xlsx attachment named ``<stem>-<local time>.xlsx``: an ASCII name, and the Chinese one
    per RFC 6266 for browsers that read it; never cached (it holds case data)."""
    stamp = clock.now().astimezone(clock.LOCAL_TZ).strftime("%Y%m%d-%H%M")
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename={ascii_stem}-{stamp}.xlsx; filename*=UTF-8''{quote(chinese_stem)}-{stamp}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response
