"""One rung's e-mails gathered per recipient: a single alert as itself, several as one digest."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from workflow_app.alerts.messages import DIGEST_LINES, Mailing, Recipient, compose
from workflow_app.alerts.models import AlertKind

DUE = datetime(2026, 10, 23, 15, 59, 59, tzinfo=UTC)
BOSS = Recipient("supervisor_prov", "boss@example.org")
LOCAL = Recipient("supervisor_cc", "local@example.org")


class Directory:
    region_names = {"220100": "长春市", "220200": "吉林市"}


def alert(alert_id: int, region: str) -> SimpleNamespace:
    return SimpleNamespace(
        alert_id=alert_id, addressed=region, id=f"t{alert_id}", instance_id=f"i{alert_id}", process_key="registration",
        business_key=f"B-{alert_id}", name="review", title=f"审查{alert_id}", candidate_group="reviewer",
        region_code=region, organization_id=None, assignee=None, due_at=DUE, escalation_level=0,
        cycle=0)


def test_groups_for_one_recipient_merge_into_one_digest_in_alert_order():
    mail = Mailing(Directory())
    changchun = [alert(n, "220100") for n in range(100, 100 + DIGEST_LINES)]  # a region's first lines
    jilin = [alert(n, "220200") for n in range(60, 63)]
    mail.add([BOSS, LOCAL], changchun, 700, 100, 900)
    mail.add([BOSS], jilin, 3, 60, 62)
    rows = {row["recipient"]: row for row in mail.rows(AlertKind.OVERDUE, 2, DUE)}
    boss, local = rows["boss@example.org"], rows["local@example.org"]
    assert boss["subject"] == "【超期预警】本辖区703项待办已超过办理期限"
    assert boss["payload"]["alerts"] == 703 and boss["payload"]["alert_ids"] == [60, 61, 62, *range(100, 147)]
    lines = [line for line in boss["body"].splitlines() if line.startswith("- ")]
    assert len(lines) == DIGEST_LINES and lines[0].startswith("- 审查60（B-60，吉林市")
    assert "……另有 653 项" in boss["body"]
    assert boss["dedupe_key"] == "alerts:overdue:supervisor_prov:60-900:703"
    assert local["payload"]["alerts"] == 700 and local["dedupe_key"] == "alerts:overdue:supervisor_cc:100-900:700"


def test_a_single_alert_is_sent_as_itself():
    mail = Mailing(Directory())
    mail.add([LOCAL], [alert(7, "220100")], 1, 7, 7)
    [row] = mail.rows(AlertKind.ESCALATED, 3, DUE)
    assert row["subject"].startswith("【超期督办】审查7超期未办结")
    assert row["dedupe_key"] == "alert:t7:3:mail:supervisor_cc"


def test_an_alert_names_no_staff_member_on_an_organizations_step_and_lanes_in_chinese():
    held = SimpleNamespace(**{**vars(alert(8, "220100")), "candidate_group": "applicant", "organization_id": 5,
                              "assignee": "window_cc", "title": "填写申请"})
    _subject, body, _payload = compose(AlertKind.REMINDER, held, 8, 0, "220100", Directory(), DUE)
    assert "经办：申请单位" in body and "window_cc" not in body
    _subject, body, _payload = compose(AlertKind.OVERDUE, alert(9, "220100"), 9, 1, "220100", Directory(), DUE)
    assert "经办：待签收（审查）" in body and "reviewer" not in body
