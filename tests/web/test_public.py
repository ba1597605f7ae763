"""公示公告 without login: the list (newest first, pages), one announcement's text, its printable page and the
Atom feed — an approved registration's 成立登记公告 appears there, and nothing of the office's inside does."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from lxml import etree
from sqlalchemy import select

from tests.processes.test_registration import REVIEW_PASS
from tests.web.support import accept, deploy_registration, open_task, registration_at_accept, text, user
from workflow_app import clock, db
from workflow_app.announcements.models import Announcement
from workflow_app.documents.api import PRINT_CSP
from workflow_app.organizations.models import Organization
from workflow_app.tasks.service import task_service

ATOM = "{http://www.w3.org/2005/Atom}"
STAFF = ("window_cc", "reviewer_cc", "approver_cc", "applicant")


@pytest.fixture
def approved(web) -> Announcement:
    """A registration driven from application to 准予登记 through the services; its 成立登记公告."""
    deploy_registration()
    # A party organization already exists: no party_building case (not deployed here) is started.
    case_id, task_id = registration_at_accept(party_org_formed=True, party_org_kind="single")
    accept(task_id)
    tasks = task_service()
    tasks.complete(user("reviewer_cc"), open_task(case_id, "review").id, REVIEW_PASS, None)
    tasks.complete(user("approver_cc"), open_task(case_id, "approve").id,
                   {"decision": "approve", "opinion": "同意登记。"}, None)
    return db.session().scalars(select(Announcement).where(Announcement.instance_id == case_id)).one()


def add(title: str, at: datetime, kind: str = "注销登记") -> int:
    """Publish an announcement at ``at`` (as the handler would, without a case)."""
    row = Announcement(kind=kind, title=title, html=f"<html><body><section class='doc-content'><p>{kind}：正文。</p>"
                                                    "</section></body></html>",
                       region_code="220100", template="_announcement.html", published_at=at, published_by="admin")
    db.session().add(row)
    db.session().commit()
    return row.id


def test_an_approved_registrations_announcement_is_public_without_login(web, approved):
    org = db.session().get(Organization, approved.organization_id)
    page = text(web.get("/public/announcements"))
    assert "公示公告" in page and approved.title in page and "成立登记" in page and "长春市民政局" in page
    assert approved.published_at.strftime("%Y") in page
    detail = web.get(f"/public/announcements/{approved.id}")
    assert detail.status_code == 200
    body = text(detail)
    assert org.uscc in body and f"准予{org.name}成立登记" in body and "特此公告" in body
    assert "发布机关 长春市民政局" in body
    for page_html in (page, body):
        assert approved.instance_id not in page_html
        assert not any(name in page_html for name in STAFF), "a user name on a public page"
    printed = web.get(f"/public/announcements/{approved.id}/print")
    assert printed.status_code == 200 and org.uscc in text(printed)
    assert printed.headers["Content-Security-Policy"].startswith(PRINT_CSP)  # the issued page runs no script


def test_the_atom_feed_parses_and_carries_the_announcement(web, approved):
    response = web.get("/public/announcements.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = etree.fromstring(response.data, etree.XMLParser(resolve_entities=False, no_network=True))
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == approved.title
    assert entry.findtext(f"{ATOM}id").endswith(f"/public/announcements/{approved.id}")
    updated = entry.findtext(f"{ATOM}updated")
    assert datetime.strptime(updated, "%Y-%m-%dT%H:%M:%SZ")  # RFC 3339 in UTC
    assert feed.findtext(f"{ATOM}updated") == updated
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "text" and "特此公告" in content.text
    assert db.session().get(Organization, approved.organization_id).uscc in content.text
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "长春市民政局"
    assert not any(name.encode() in response.data for name in STAFF)


def test_an_empty_feed_is_still_a_valid_feed(web):
    feed = etree.fromstring(web.get("/public/announcements.atom").data)
    assert feed.findtext(f"{ATOM}updated") and feed.findall(f"{ATOM}entry") == []
    assert "暂无公告" in text(web.get("/public/announcements"))


def test_newest_first_a_page_at_a_time(web):
    start = clock.now() - timedelta(days=30)
    ids = [add(f"第{n:02d}号注销登记公告", start + timedelta(days=n)) for n in range(25)]
    first, second = text(web.get("/public/announcements")), text(web.get("/public/announcements?page=2"))
    assert first.index("第24号") < first.index("第05号") and "第04号" not in first
    assert "第04号" in second and "第00号" in second and "第24号" not in second
    assert "第 1 / 2 页，共 25 条" in first
    titles = [e.findtext(f"{ATOM}title") for e in
              etree.fromstring(web.get("/public/announcements.atom").data).findall(f"{ATOM}entry")]
    assert titles[0] == "第24号注销登记公告" and len(titles) == 25
    assert "第07号" in text(web.get(f"/public/announcements/{ids[7]}"))
    assert "第03号" in text(web.get("/public/announcements?q=第03号")) and \
        "第04号" not in text(web.get("/public/announcements?q=第03号"))


def test_hostile_titles_are_escaped_and_unknown_ids_are_404(web):
    bad = add('<script>alert(1)</script>"><img src=x onerror=alert(2)>', clock.now())
    page = text(web.get("/public/announcements"))
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
    feed = etree.fromstring(web.get("/public/announcements.atom").data)
    assert feed.find(f"{ATOM}entry/{ATOM}title").text.startswith("<script>")  # text, not markup
    assert web.get(f"/public/announcements/{bad + 1000}").status_code == 404
    assert web.get("/public/announcements/abc").status_code == 404


def test_the_login_page_links_the_announcements_and_the_pages_need_no_login(web):
    assert 'href="/public/announcements"' in text(web.get("/login"))
    for url in ("/public/announcements", "/public/announcements.atom"):
        response = web.get(url)
        assert response.status_code == 200, url
