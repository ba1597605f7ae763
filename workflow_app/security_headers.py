"""Browser-facing hardening on every response: frame, content-type, referrer and content-security headers.

Pages get a CSP that allows only the app's own scripts and styles (bpmn-js is served from /vendor/, i.e.
'self'); its icon font and a few images come as ``data:`` URLs, hence ``font-src``/``img-src`` ``data:``.
JSON responses get ``default-src 'none'``: nothing in them is ever to be rendered. With
``SOCORG_SECURE_COOKIES=1`` (the site is served over TLS) responses also carry HSTS. Behind a reverse proxy,
``SOCORG_TRUSTED_PROXIES=N`` makes ``request.remote_addr`` (the login throttle's address) the client's
address from ``X-Forwarded-For``, trusting exactly N proxies; never set it when clients reach the app directly.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

PAGE_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",  # bpmn-js's bpmn-embedded.css carries its icon font as a data: URL
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"

COMMON = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_headers(response: Response) -> Response:
    """Set the security headers a response lacks; a view's own CSP (a printable document) stays, unframeable."""
    for name, value in COMMON.items():
        response.headers.setdefault(name, value)
    own = response.headers.get("Content-Security-Policy")
    if own is None:
        response.headers["Content-Security-Policy"] = API_CSP if request.path.startswith("/api/") else PAGE_CSP
    elif "frame-ancestors" not in own:
        response.headers["Content-Security-Policy"] = own.rstrip("; ") + "; frame-ancestors 'none'"
    return response


def _add_hsts(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Send the headers on every response; trust ``TRUSTED_PROXIES`` proxies for the client address."""
    app.after_request(add_headers)
    if app.config.get("SECURE_COOKIES"):
        app.after_request(_add_hsts)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)  # type: ignore[method-assign]
