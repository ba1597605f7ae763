"""notify.send: recipients by name, group and region, or organization; one outbox row each, never twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers import notify
from tests.notifications.support import WebhookReceiver, free_port
from workflow_app.db import unit_of_work
from workflow_app.directory.models import User
from workflow_app.notifications.delivery import DeliverySettings, OutboxDelivery
from workflow_app.notifications.models import Channel, OutboxMessage

SECRET = "s3cret-for-tests"


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
    # Every prefecture has its demo inspector; without 长春's, the province's.
    assert call("notify.send", {"to_group": "inspector", "region_code": "220104", "subject": "s2",
                                "body": "b"})["recipients"] == ["inspector_cc"]
    with unit_of_work(session):
        session.scalars(select(User).where(User.username == "inspector_cc")).one().groups = []
    assert call("notify.send", {"to_group": "inspector", "region_code": "220104", "subject": "s3",
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


def webhooks(session) -> list[str]:
    return [r for c, r in outbox(session) if c == Channel.WEBHOOK.value]


def test_each_webhook_url_of_the_outbox_gets_one_message_per_call(app, call, session):
    app.config["WEBHOOK_URLS"] = "https://hooks.example.test/a, https://hooks.example.test/b,"
    params = {"to_users": ["window_prov", "reviewer_prov"], "subject": "s", "body": "b"}
    call("notify.send", params)
    assert webhooks(session) == ["https://hooks.example.test/a", "https://hooks.example.test/b"]
    hook = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.WEBHOOK).limit(1)).one()
    assert (hook.subject, hook.payload["recipients"]) == ("s", ["reviewer_prov", "window_prov"])
    call("notify.send", params)  # the same step again: nothing new, neither e-mail nor webhook
    assert len(outbox(session)) == 4


def test_webhook_urls_come_from_the_environment_like_the_alerts_ones(call, session, monkeypatch):
    monkeypatch.setenv("SOCORG_WEBHOOK_URLS", "https://hooks.example.test/env")
    call("notify.send", {"to_users": ["window_prov"], "subject": "s", "body": "b"})
    assert webhooks(session) == ["https://hooks.example.test/env"]


def test_without_webhook_urls_only_e_mails_are_queued(call, session, monkeypatch):
    monkeypatch.delenv("SOCORG_WEBHOOK_URLS", raising=False)
    call("notify.send", {"to_users": ["window_prov"], "subject": "s", "body": "b"})
    assert [c for c, _ in outbox(session)] == [Channel.EMAIL.value]


def test_the_deprecated_notify_webhook_url_still_adds_its_url_once(app, call, session, caplog):
    notify._warn_deprecated_alias.cache_clear()
    app.config["WEBHOOK_URLS"] = "https://hooks.example.test/a"
    app.config["NOTIFY_WEBHOOK_URL"] = "https://hooks.example.test/old"
    call("notify.send", {"to_users": ["window_prov"], "subject": "s", "body": "b"})
    app.config["NOTIFY_WEBHOOK_URL"] = "https://hooks.example.test/a"  # also listed: one message, not two
    call("notify.send", {"to_users": ["window_prov"], "subject": "s2", "body": "b"})
    assert webhooks(session) == ["https://hooks.example.test/a", "https://hooks.example.test/old",
                                 "https://hooks.example.test/a"]
    assert [r.message for r in caplog.records].count(
        "NOTIFY_WEBHOOK_URL is deprecated: list the URL in WEBHOOK_URLS (SOCORG_WEBHOOK_URLS) instead") == 1


def test_the_webhook_is_delivered_signed_to_the_receiver_the_alerts_use(app, call, session):
    with WebhookReceiver(SECRET) as receiver:
        app.config.update(WEBHOOK_URLS=receiver.url, WEBHOOK_SECRET=SECRET)
        call("notify.send", {"to_users": ["window_prov"], "subject": "请办理", "body": "b", "kind": "reminder"})
        result = OutboxDelivery(session, DeliverySettings.from_config(
            {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port(), "SMTP_TIMEOUT": 3})).deliver_due()
    assert (result.sent, result.retrying) == (1, 1)  # the webhook went; no mail server here, the e-mail waits
    [hook] = receiver.received
    assert hook["valid"] and hook["body"]["kind"] == "reminder" and hook["body"]["recipients"] == ["window_prov"]


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
