"""announcement.publish: the standard texts of each kind, or a template of the process."""

from __future__ import annotations

import pytest

from workflow_app.announcements.models import Announcement


@pytest.mark.parametrize(("kind", "extra", "expected"), [
    ("成立登记", {}, "准予长春市软件行业协会成立登记"),
    ("注销登记", {}, "准予注销登记"),
    ("撤销登记", {"reason": "连续两年未参加年检"}, "因连续两年未参加年检，本机关依法作出撤销登记"),
    ("吊销登记证书", {}, "吊销登记证书的行政处罚决定"),
    ("公告送达", {"document_title": "行政处罚事先告知书", "document_number": "吉民罚〔2026〕3号"},
     "公告送达《行政处罚事先告知书》（吉民罚〔2026〕3号）。自公告之日起满三十日，即视为送达"),
    ("其他事项", {"text": "自定义正文"}, "自定义正文"),
])
def test_each_kind_gets_its_standard_text(call, case, session, kind, extra, expected):
    result = call("announcement.publish", {"kind": kind, "title": f"{kind}公告", "extra": extra})
    announcement = session.get(Announcement, result["announcement_id"])
    assert expected in announcement.html
    assert (announcement.kind, announcement.title, announcement.organization_id, announcement.instance_id,
            announcement.region_code, announcement.published_by) == (
        kind, f"{kind}公告", case.organization_id, case.id, "220000", "window_prov")
    assert "吉林省民政厅" in announcement.html


def test_a_process_template_can_replace_the_standard_one(call, session):
    result = call("announcement.publish", {"kind": "成立登记", "title": "t", "template": "_example.html"})
    assert "特此告知" in session.get(Announcement, result["announcement_id"]).html


@pytest.mark.parametrize(("params", "message"), [
    ({"title": "t"}, "缺少参数 kind"),
    ({"kind": "成立登记"}, "缺少参数 title"),
    ({"kind": "成立登记", "title": "t", "template": "../x.html"}, "invalid template name"),
    ({"kind": "成立登记", "title": "t", "template": "nope/x.html"}, "no document template"),
    ({"kind": "x" * 33, "title": "t"}, "超过 32"),
])
def test_bad_parameters_are_refused(call, params, message):
    with pytest.raises(ValueError, match=message):
        call("announcement.publish", params)
