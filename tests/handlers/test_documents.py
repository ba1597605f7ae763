"""document.render: sandboxed, escaped, numbered, stored with the case; the print page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflow_app import clock
from workflow_app.announcements.models import Announcement
from workflow_app.documents.models import Document
from workflow_app.numbering.models import NumberSequence

NOV = datetime(2026, 11, 23, 10, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def templates(app, tmp_path: Path) -> Path:
    """A documents folder of our own (the shipped _base.html plus test templates) as the app's BPMN_DIR."""
    folder = tmp_path / "bpmn" / "documents"
    (folder / "test").mkdir(parents=True)
    shipped = Path(__file__).resolve().parents[2] / "bpmn" / "documents"
    for name in ("_base.html", "_example.html", "_announcement.html"):
        (folder / name).write_text((shipped / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "test" / "notice.html").write_text(
        '{% extends "_base.html" %}{% block content %}<p>{{ vars.org_name }}|{{ extra.note }}|{{ note }}|'
        '{{ vars.missing.deeper }}|{{ organization.name }}|{{ case.region_name }}</p>{% endblock %}',
        encoding="utf-8")
    (folder / "test" / "escape.html").write_text("<p>{{ vars.org_name }}</p>", encoding="utf-8")
    (folder / "test" / "attack.html").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    (folder / "test" / "broken.html").write_text("{% if %}", encoding="utf-8")
    app.config["BPMN_DIR"] = str(folder.parent)
    return folder


def test_render_stores_the_document_with_the_cases_data(templates, call, case, session):
    with clock.frozen(NOV):
        result = call("document.render", {"template": "test/notice.html", "title": "测试告知书",
                                          "extra": {"note": "附言"}}, actor="window_prov")
    document = session.get(Document, result["document_id"])
    assert result == {"document_id": document.id, "number": None, "title": "测试告知书"}
    assert (document.instance_id, document.template, document.kind, document.created_by) == (
        case.id, "test/notice.html", "test/notice", "window_prov")
    assert "<p>长春市软件行业协会|附言|附言||长春市软件行业协会|吉林省</p>" in document.html
    assert "吉林省民政厅" in document.html and "二〇二六年十一月二十三日" in document.html
    assert "@page { size: A4" in document.html


def test_a_numbered_document_takes_the_next_number_of_its_series(templates, call):
    with clock.frozen(NOV):
        first = call("document.render", {"template": "test/notice.html", "title": "决定书",
                                         "number_series": "decision", "number_prefix": "吉民社登字"})
        second = call("document.render", {"template": "test/notice.html", "title": "决定书",
                                          "number_series": "decision", "number_prefix": "吉民社登字"})
    assert (first["number"], second["number"]) == ("吉民社登字〔2026〕1号", "吉民社登字〔2026〕2号")


def test_case_data_is_html_escaped(templates, call, case, session):
    from workflow_app.documents.service import DocumentService

    document = DocumentService(session, templates).issue(
        case, template="test/escape.html", title="t", variables={"org_name": "<script>alert(1)</script>"})
    assert document.html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_the_shipped_example_renders(call):
    result = call("document.render", {"template": "_example.html", "title": "示例"})
    assert result["document_id"]


@pytest.mark.parametrize(("template", "message"), [
    ("test/attack.html", "文书生成失败.*unsafe|文书生成失败.*access"),
    ("test/broken.html", "文书生成失败"),
    ("test/none.html", "no document template"),
    ("../secret.html", "invalid template name"),
    ("/etc/passwd.html", "invalid template name"),
    ("test/notice.txt", "invalid template name"),
])
def test_bad_templates_put_the_case_in_error_with_a_clear_message(templates, call, template, message):
    with pytest.raises(ValueError, match=message):
        call("document.render", {"template": template, "title": "t"})


@pytest.mark.parametrize(("params", "message"), [
    ({"template": "test/notice.html"}, "缺少参数 title"),
    ({"title": "t"}, "缺少参数 template"),
    ({"template": "test/notice.html", "title": "t", "extra": "x"}, "应为字典"),
    ({"template": "test/notice.html", "title": "t", "number_series": "Bad"}, "invalid series"),
])
def test_bad_parameters_are_refused(templates, call, params, message):
    with pytest.raises(ValueError, match=message):
        call("document.render", params)


def test_a_failing_render_leaves_nothing_behind_not_even_its_number(templates, call, session):
    with pytest.raises(ValueError):
        call("document.render", {"template": "test/broken.html", "title": "t", "number_series": "decision"})
    assert session.scalar(select(func.count()).select_from(NumberSequence)) == 0
    assert session.scalar(select(func.count()).select_from(Document)) == 0


# -- document.record_service: 送达 recorded by the case, the period counted from it ---------------------

@pytest.fixture
def issued(templates, call, case, session) -> str:
    """A document of the case issued on Monday 2026-11-23."""
    with clock.frozen(NOV):
        return call("document.render", {"template": "_example.html", "title": "行政处罚事先告知书"})["document_id"]


def test_service_is_recorded_on_the_document_and_the_period_runs_from_it(issued, call, session):
    with clock.frozen(datetime(2026, 11, 25, 10, tzinfo=clock.LOCAL_TZ)):
        result = call("document.record_service", {"document_id": issued, "method": "mail",
                                                   "served_on": "2026-11-24", "period_workdays": 5})
    assert (result["served_on"], result["deemed"]) == ("2026-11-24", False)
    assert result["due"] == "2026-12-01T15:59:59+00:00"  # end of the 5th working day from Tuesday 11-24 (Beijing)
    document = session.get(Document, issued)
    assert (document.status.value, document.service_method.value, document.served_on.isoformat()) == (
        "served", "mail", "2026-11-24")


def test_an_announcement_is_deemed_served_30_days_after_publication(issued, call, session):
    with clock.frozen(datetime(2026, 11, 23, 15, tzinfo=clock.LOCAL_TZ)):
        result = call("document.record_service", {"document_id": issued, "method": "announcement",
                                                   "served_on": "2026-11-23"})
    assert (result["published_on"], result["served_on"], result["deemed"]) == ("2026-11-23", "2026-12-23", True)
    assert session.get(Document, issued).served_on.isoformat() == "2026-12-23"
    # 公告送达 for real: the 公告 is on the public announcements page, naming the document and the dates.
    published = session.get(Announcement, result["announcement_id"])
    assert (published.kind, published.title) == ("公告送达", "行政处罚事先告知书公告送达")
    assert "《行政处罚事先告知书》" in published.html and "二〇二六年十一月二十三日" in published.html
    assert "二〇二六年十二月二十三日" in published.html


def test_an_announcement_is_published_the_day_it_is_recorded(issued, call, session):
    # The publication day is the day the system publishes the 公告, whatever day the form carried.
    with clock.frozen(datetime(2026, 11, 24, 9, tzinfo=clock.LOCAL_TZ)):
        result = call("document.record_service", {"document_id": issued, "method": "announcement",
                                                   "served_on": "2026-11-23", "announce": False})
    assert (result["published_on"], result["served_on"], result["announcement_id"]) == (
        "2026-11-24", "2026-12-24", None)
    assert session.scalar(select(func.count()).select_from(Announcement)) == 0


def test_a_period_in_calendar_days_runs_from_service(issued, call):
    with clock.frozen(datetime(2026, 11, 25, 10, tzinfo=clock.LOCAL_TZ)):
        result = call("document.record_service", {"document_id": issued, "method": "direct",
                                                   "served_on": "2026-11-24", "period_days": 30})
    assert result["due"] == "2026-12-24T15:59:59+00:00"  # 30 days from 11-24, a Thursday


@pytest.mark.parametrize(("params", "message"), [
    ({"document_id": "00000000-0000-4000-8000-000000000000"}, "本案件没有文书"),
    ({"method": "fax"}, "送达方式无效"),
    ({"served_on": "next week"}, "无效"),
    ({"method": "electronic"}, "consent"),
    ({"served_on": "2026-11-30"}, "future"),
    ({"served_on": "2026-11-01"}, "before it was issued"),
    ({"receipt": "00000000-0000-4000-8000-000000000000"}, "no attachment of this case"),
])
def test_a_bad_service_record_is_refused(issued, call, params, message):
    with clock.frozen(datetime(2026, 11, 25, 10, tzinfo=clock.LOCAL_TZ)), pytest.raises(ValueError, match=message):
        call("document.record_service", {"document_id": issued, "method": "direct", "served_on": "2026-11-24",
                                         **params})


def test_a_document_is_served_once(issued, call):
    with clock.frozen(datetime(2026, 11, 25, 10, tzinfo=clock.LOCAL_TZ)):
        call("document.record_service", {"document_id": issued, "method": "direct", "served_on": "2026-11-24"})
        with pytest.raises(ValueError, match="already"):
            call("document.record_service", {"document_id": issued, "method": "direct", "served_on": "2026-11-24"})
