"""notify.send: recipients by name, group and region, or organization; one outbox row each, never twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflow_app.db import unit_of_work
from workflow_app.directory.models import User
from workflow_app.notifications.models import Channel, OutboxMessage


def outbox(session) -> list[tuple[str, str]]:
    session.expire_all()
    return [(m.channel.value, m.recipient) for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_users_groups_and_the_organization_each_get_one_message(call, case, session):
    result = call("notify.send", {"to_users": ["supervisor_prov", "window_prov"], "to_group": "reviewer",
                                  "to_organization": True, "subject": "请办理", "body": "正文", "kind": "reminder"})
    assert result == {"queued": 4, "recipients": ["applicant", "reviewer_prov", "supervisor_prov", "window_prov"],
                      "without_email": []}
    assert sorted(r for _, r in outbox(session)) == sorted(
        f"{u}@demo.socorg.local" for u in ("applicant", "reviewer_prov", "supervisor_prov", "window_prov"))
    message = session.scalars(select(OutboxMessage).limit(1)).one()
    assert (message.subject, message.body, message.instance_id, message.payload["kind"]) == (
        "请办理", "正文", case.id, "reminder")


def test_a_group_without_members_in_the_region_goes_to_the_nearest_region_above(call, session):
    # No reviewer in 朝阳区 (220104); 长春市 has reviewer_cc.
    assert call("notify.send", {"to_group": "reviewer", "region_code": "220104", "subject": "s",
                                "body": "b"})["recipients"] == ["reviewer_cc"]
    # No inspector below the province: the province's inspector.
    assert call("notify.send", {"to_group": "inspector", "region_code": "220104", "subject": "s2",
                                "body": "b"})["recipients"] == ["inspector"]


def test_running_the_same_step_again_queues_nothing_new(call, session):
    params = {"to_users": "window_prov, reviewer_prov", "subject": "s", "body": "b"}
    call("notify.send", params)
    call("notify.send", params)
    assert len(outbox(session)) == 2


def test_users_without_an_address_or_inactive_are_left_out(call, session):
    with unit_of_work(session):
        session.scalars(select(User).where(User.username == "window_prov")).one().email = None
        session.scalars(select(User).where(User.username == "reviewer_prov")).one().active = False
    result = call("notify.send", {"to_users": ["window_prov", "reviewer_prov"], "subject": "s", "body": "b"})
    assert result == {"queued": 0, "recipients": ["window_prov"], "without_email": ["window_prov"]}


def test_a_configured_webhook_gets_one_message_per_call(app, call, session):
    app.config["NOTIFY_WEBHOOK_URL"] = "https://hooks.example.test/socorg"
    call("notify.send", {"to_users": ["window_prov"], "subject": "s", "body": "b"})
    assert ("webhook", "https://hooks.example.test/socorg") in outbox(session)
    assert [c for c, _ in outbox(session)].count(Channel.WEBHOOK.value) == 1


@pytest.mark.parametrize(("params", "message"), [
    ({"subject": "s", "body": "b"}, "未指定收件人.*no recipients"),
    ({"to_users": ["nobody"], "subject": "s", "body": "b"}, "用户不存在.*nobody"),
    ({"to_users": ["bad name!"], "subject": "s", "body": "b"}, "用户名无效"),
    ({"to_group": "no_group", "subject": "s", "body": "b"}, "用户组 no_group 不存在"),
    ({"to_group": "window", "region_code": "999999", "subject": "s", "body": "b"}, "no region"),
    ({"to_users": ["window_prov"], "body": "b"}, "缺少参数 subject"),
    ({"to_users": ["window_prov"], "subject": "s"}, "缺少参数 body"),
])
def test_bad_parameters_are_refused_and_nothing_is_queued(call, session, params, message):
    with pytest.raises(ValueError, match=message):
        call("notify.send", params)
    assert outbox(session) == []
