"""Every page a demo role can reach speaks Chinese: a bounded spider over the Flask client follows the
links from the home page and fails on English words a person would see (text, aria-label, title,
placeholder), outside an allow-list of product names, codes and usernames."""

from __future__ import annotations

import html as html_lib
import re
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import select

from tests.web.support import Pages, deploy_registration, registration_at_accept
from workflow_app import db
from workflow_app.definitions.service import collect_files
from workflow_app.demo_data import USERS
from workflow_app.instances import audit
from workflow_app.instances.models import ProcessInstance
from workflow_app.services import definition_service

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
ROLES = ("applicant", "window_cc", "reviewer_cc", "supervisor_cc", "party_officer", "designer", "admin")
MAX_PAGES = 60
# Product and format names, units, and what a person types as codes.
ALLOWED = {"BPMN", "DMN", "bpmn", "js", "bpmn-js", "Excel", "PDF", "JSON", "json", "dmn", "ID", "ISO", "UTF",
           "Schema", "XML", "wd", "PT4H", "P2D", "CSV", "SMTP", "Webhook", "KB", "MB", "JPG", "PNG", "Atom", "RSS",
           "ZIP"}
# Codes a page may show beside their Chinese names: process keys, and the tests' deployer "test".
CODES = {path.stem for path in BPMN_DIR.glob("*.bpmn")} | {"test"}
USERNAMES = {u[0] for u in USERS} | CODES
SKIP = ("/logout", "/static/", "/vendor/", "/api/")
# Not prose: scripts, comments, and code a designer reads or types (ids in <code>, JSON in the studio's editors).
_HIDDEN = re.compile(r"<(script|style|code)\b[^>]*>.*?</\1>|<textarea[^>]*json-input[^>]*>.*?</textarea>|<!--.*?-->",
                     re.S | re.I)
_SHOWN_ATTRS = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', re.I)
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


def visible_text(page: str) -> str:
    """What a person reads on a page: its text and the labels assistive tech reads out."""
    page = _HIDDEN.sub(" ", page)
    labels = " ".join(_SHOWN_ATTRS.findall(page))
    return html_lib.unescape(_TAG.sub(" ", page) + " " + labels)


def english_words(text: str) -> set[str]:
    """The English words of a text (codes with digits or underscores, usernames and product names excepted)."""
    return {w.rstrip(".-") for w in _WORD.findall(text)
            if w.rstrip(".-") not in ALLOWED | USERNAMES and not re.search(r"[0-9_]", w) and len(w) > 1}


def crawl(pages: Pages, start: str = "/") -> dict[str, set[str]]:
    """Follow same-site links breadth-first from the home page; the English words found per page."""
    seen, queue, found = {start}, deque([start]), {}
    per_path: dict[str, int] = {}
    while queue and len(seen) <= MAX_PAGES:
        url = queue.popleft()
        response = pages.get(url)
        if response.status_code in (301, 302, 303):
            target = urlsplit(response.headers["Location"])
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
            continue
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        page = response.get_data(as_text=True)
        words = english_words(visible_text(page))
        if words:
            found[url] = words
        for href in re.findall(r'href="([^"]+)"', page):
            link = urldefrag(html_lib.unescape(href))[0]
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
                continue
            # A page with many query variants (filters, organizations to start for) is read twice at most.
            if link not in seen and len(seen) < MAX_PAGES and per_path.get(parts.path, 0) < 2:
                per_path[parts.path] = per_path.get(parts.path, 0) + 1
                seen.add(link)
                queue.append(link)
    return found


@pytest.fixture
def office(web):
    """Every shipped process deployed and a registration waiting at 受理, with its history."""
    definition_service().deploy(collect_files([BPMN_DIR]), deployed_by="test")
    deploy_registration()
    case_id, task_id = registration_at_accept()
    # The scheduler's alert in the history, as the escalation scan writes it.
    with db.unit_of_work(db.session()) as session:
        audit.record(session, case_id, action="alert", actor="scheduler", task_id=task_id, task_name="受理",
                     details={"level": 1, "kind": "reminder"})


def test_the_case_history_shows_the_scheduler_alert_in_chinese(web, office):
    case_id = db.session().scalars(select(ProcessInstance.id)).first()
    page = Pages(web, "supervisor_cc").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "系统预警" in page and "scheduler" not in visible_text(page) and "alert" not in visible_text(page)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_is_in_chinese(web, office, role):
    found = crawl(Pages(web, role))
    assert not found, f"English on {role}'s pages: {found}"


def test_the_pages_without_login_are_in_chinese(web, office):
    found = crawl(web, "/login")
    assert not found, f"English on public pages: {found}"


def test_the_visible_text_keeps_labels_and_drops_code():
    page = '<p title="Open">打开</p><script>var x = "Hidden";</script><button aria-label="Close">×</button>'
    assert english_words(visible_text(page)) == {"Open", "Close"}


def test_a_post_only_address_opened_with_get_gets_a_chinese_405_page(web, office):
    pages = Pages(web, "window_cc")
    response = pages.get("/logout")
    assert response.status_code == 405
    page = response.get_data(as_text=True)
    assert "不支持此操作" in page and "Method Not Allowed" not in page
    assert "POST" in response.headers.get("Allow", "")
    assert not english_words(visible_text(page))


def test_a_missing_page_is_chinese(web, office):
    response = Pages(web, "window_cc").get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_the_api_keeps_its_json_405(web, office):
    response = web.get("/api/v1/auth/token")
    assert response.status_code == 405 and response.is_json
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_every_audit_action_written_anywhere_has_a_chinese_label():
    root = Path(__file__).resolve().parents[2]
    written: set[str] = set()
    for folder in ("workflow_app", "handlers", "scheduler"):
        for source in (root / folder).rglob("*.py"):
            code = source.read_text(encoding="utf-8")
            written |= set(re.findall(r'\baction="([a-z_]+)"', code))
            written |= set(re.findall(r'literal\("scheduler"\), literal\("([a-z_]+)"\)', code))
    security = {"login_locked", "login_unlocked"}  # the admin's 安全事件 page, not a case history
    assert "alert" in written
    assert not sorted(written - security - audit.ACTION_LABELS.keys())
    assert audit.actor_label("scheduler", {}) == "系统" and audit.actor_label(None, {}) == "系统"


def test_service_messages_reach_pages_in_chinese_only():
    from workflow_app.errors import Conflict
    from workflow_app.web.page_messages import chinese, for_page

    assert chinese("日历已保存（calendar saved）") == "日历已保存"
    assert chinese("审批意见必填") == "审批意见必填"
    assert chinese("the calendar for 2027 was changed at the same time; reload and try again", 409) \
        == "2027 年日历刚被他人修改，请刷新页面后重试"
    assert for_page(Conflict("you can see this task but not work on it")) == "操作与案件当前状态冲突，请刷新页面后重试"
