"""公示公告: the announcements (成立/注销/撤销登记, 公告送达 …) for everyone, without login — a list, each
announcement's text, its printable page, and an Atom feed — so that they have public effect.

These pages show what the announcement itself says (title, kind, issuing authority, publication
date, text) and nothing of the office's inside: no user names, no case ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import lxml.html
from flask import Blueprint, Response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from lxml import etree

from workflow_app import clock, db
from workflow_app.announcements.models import Announcement
from workflow_app.announcements.service import KNOWN_KINDS, AnnouncementService
from workflow_app.documents.api import PRINT_CSP
from workflow_app.documents.context import authority_name
from workflow_app.web.inbox import page_number, query_text

bp = Blueprint("web_public", __name__, url_prefix="/public")
PER_PAGE = 20
FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"
FEED_TITLE = "社会组织登记公告"


def announcement_text(html: str) -> list[str]:
    """The paragraphs of an announcement's stored page: its body (``.doc-content``) and signature, as text."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    paragraphs = root.xpath("//section[contains(@class, 'doc-content')]//p") or root.xpath("//body//p")
    signature = root.xpath("//section[contains(@class, 'doc-signature')]//p[not(contains(@class, 'doc-seal'))]")
    texts = [" ".join(p.text_content().split()) for p in [*paragraphs, *signature]]
    return [t for t in texts if t]


class _Authorities:
    """Region code → issuing authority (吉林省民政厅, 长春市民政局 …), looked up once per request."""

    def __init__(self) -> None:
        self._names: dict[str | None, str] = {}

    def __call__(self, region_code: str | None) -> str:
        if region_code not in self._names:
            self._names[region_code] = authority_name(db.session(), region_code)
        return self._names[region_code]


def _view(item: Announcement, authorities: _Authorities) -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind, "title": item.title, "published_at": item.published_at,
            "authority": authorities(item.region_code), "paragraphs": announcement_text(item.html)}


@bp.get("/announcements")
def announcements() -> ResponseReturnValue:
    """The announcements, newest first, a page at a time (no login)."""
    page = page_number()
    kind = request.args.get("kind", "").strip()
    kind = kind if kind in KNOWN_KINDS else None
    q = query_text("q", 100)
    items, total = AnnouncementService(db.session()).list(kind=kind, q=q, page=page, per_page=PER_PAGE)
    authorities = _Authorities()
    args = {k: v for k, v in (("kind", kind), ("q", q)) if v}
    return render_template(
        "public/announcements.html", items=[_view(i, authorities) for i in items], total=total, page=page,
        last_page=max((total + PER_PAGE - 1) // PER_PAGE, 1), kinds=KNOWN_KINDS, kind=kind, q=q,
        page_url=lambda n: url_for("web_public.announcements", **{**args, "page": n}))


@bp.get("/announcements/<int:announcement_id>")
def announcement(announcement_id: int) -> ResponseReturnValue:
    """One announcement's full text (no login)."""
    item = AnnouncementService(db.session()).get(announcement_id)
    return render_template("public/announcement.html", item=_view(item, _Authorities()))


@bp.get("/announcements/<int:announcement_id>/print")
def print_announcement(announcement_id: int) -> ResponseReturnValue:
    """The announcement as issued (the 公文 page, for printing), with a CSP that allows no scripts."""
    item = AnnouncementService(db.session()).get(announcement_id)
    response = Response(item.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PRINT_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/announcements.atom")
def feed() -> ResponseReturnValue:
    """The newest announcements as an Atom 1.0 feed (no login)."""
    items, _ = AnnouncementService(db.session()).list(page=1, per_page=FEED_SIZE)
    body = atom_feed(items, _Authorities())
    return Response(body, mimetype="application/atom+xml")


def _rfc3339(moment: datetime) -> str:
    return clock.as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(items: list[Announcement], authorities: _Authorities) -> bytes:
    """An Atom document of ``items`` (newest first): ids and links are this site's public pages."""
    def add(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    feed_url = url_for("web_public.feed", _external=True)
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-CN")
    add(root, "id", feed_url)
    add(root, "title", FEED_TITLE)
    add(root, "updated", _rfc3339(items[0].published_at) if items else _rfc3339(clock.now()))
    add(root, "link", rel="self", type="application/atom+xml", href=feed_url)
    add(root, "link", rel="alternate", type="text/html", href=url_for("web_public.announcements", _external=True))
    add(add(root, "author"), "name", "民政部门")
    for item in items:
        entry = add(root, "entry")
        page = url_for("web_public.announcement", announcement_id=item.id, _external=True)
        add(entry, "id", page)
        add(entry, "title", item.title)
        add(entry, "updated", _rfc3339(item.published_at))
        add(entry, "published", _rfc3339(item.published_at))
        add(add(entry, "author"), "name", authorities(item.region_code))
        add(entry, "category", term=item.kind, label=item.kind)
        add(entry, "link", rel="alternate", type="text/html", href=page)
        add(entry, "content", "\n".join(announcement_text(item.html)), type="text")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
