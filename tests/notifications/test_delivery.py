"""Outbox delivery: SMTP down then back, backoff, dead letters, signed webhooks, claims."""

from __future__ import annotations

import smtplib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.alerts.support import DUE, REMIND, deploy_escalation, start_case
from tests.notifications.support import SmtpServer, Timeline, WebhookReceiver, free_port
from tests.threads import at_once
from workflow_app import clock
from workflow_app.alerts.service import EscalationService
from workflow_app.notifications.delivery import (
    MESSAGE_ID_HEADER,
    DeliverySettings,
    OutboxDelivery,
    sign,
    verify_signature,
)
from workflow_app.notifications.models import Channel, OutboxMessage, OutboxStatus
from workflow_app.notifications.outbox import enqueue

SECRET = "s3cret-for-tests"


def settings(port: int, **overrides):
    return DeliverySettings.from_config({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_TIMEOUT": 3,
                                         "WEBHOOK_SECRET": SECRET, **overrides})


def deliver(session, config, at):
    with clock.frozen(at):
        return OutboxDelivery(session, config).deliver_due()


def statuses(session):
    session.expire_all()
    return [(m.status, m.attempts) for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


@pytest.fixture
def overdue_alerts(demo, session):
    """A 长春市 task reminded and then overdue: two e-mails queued (window_cc, supervisor_cc)."""
    deploy_escalation()
    start_case()
    EscalationService(session).scan(REMIND)
    EscalationService(session).scan(DUE + timedelta(seconds=1))


@pytest.mark.slow
def test_smtp_down_alerts_wait_in_the_outbox_and_arrive_when_it_is_back(session, overdue_alerts, tmp_path):
    port = free_port()
    server = SmtpServer(port, tmp_path / "maildir")
    config = settings(port)
    t = DUE + timedelta(minutes=5)

    first = deliver(session, config, t)
    assert (first.sent, first.retrying, first.dead) == (0, 2, 0)
    assert statuses(session) == [(OutboxStatus.PENDING, 1)] * 2
    message = session.scalars(select(OutboxMessage)).first()
    assert "SMTP 127.0.0.1" in message.last_error
    assert message.next_attempt_at == t + timedelta(seconds=60)
    # Not due again before the backoff ends.
    assert deliver(session, config, t + timedelta(seconds=30)).sent == 0
    assert statuses(session) == [(OutboxStatus.PENDING, 1)] * 2
    # Still down a minute later: the next wait doubles.
    deliver(session, config, t + timedelta(seconds=61))
    session.expire_all()
    assert session.scalars(select(OutboxMessage)).first().next_attempt_at == t + timedelta(seconds=61 + 120)

    server.start()
    try:
        back = deliver(session, config, t + timedelta(seconds=61 + 120))
        assert (back.sent, back.retrying) == (2, 0)
        assert statuses(session) == [(OutboxStatus.SENT, 3)] * 2
        received = server.messages()
        assert sorted(m["To"] for m in received) == ["supervisor_cc@demo.socorg.local",
                                                    "window_cc@demo.socorg.local"]
        subjects = sorted(str(m["Subject"]) for m in received)
        assert "【到期提醒】" in subjects[0] + subjects[1] and "【超期预警】" in subjects[0] + subjects[1]
        assert "受理材料" in received[0].get_content()
        # Nothing is sent twice.
        assert deliver(session, config, t + timedelta(hours=5)).sent == 0
        assert len(server.messages()) == 2
    finally:
        server.stop()


def test_a_message_goes_dead_after_the_last_attempt(session, app):
    with session.begin():
        enqueue(session, channel=Channel.EMAIL, recipient="x@example.invalid", subject="s", body="b")
    config = settings(free_port(), OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_SECONDS=10)
    t = clock.now()
    for at in (t, t + timedelta(seconds=10), t + timedelta(seconds=30)):
        deliver(session, config, at)
    assert statuses(session) == [(OutboxStatus.DEAD, 3)]
    assert deliver(session, config, t + timedelta(days=1)).dead == 0  # dead stays dead


def test_webhooks_are_signed_so_receivers_can_verify(session, demo):
    deploy_escalation()
    _, task_id = start_case()
    with WebhookReceiver(SECRET) as receiver:
        EscalationService(session, webhook_urls=[receiver.url]).scan(REMIND)
        session.execute(update(OutboxMessage).where(OutboxMessage.channel == Channel.EMAIL)
                        .values(status=OutboxStatus.SENT))
        session.commit()
        result = deliver(session, settings(free_port()), REMIND + timedelta(minutes=1))
    assert result.sent == 1
    [call] = receiver.received
    assert call["valid"]
    assert call["body"]["event"] == "task.alert" and call["body"]["alert"]["kind"] == "reminder"
    assert call["body"]["task"]["id"] == task_id and call["body"]["task"]["title"] == "受理材料"
    assert call["headers"]["X-Socorg-Message-Id"].isdigit()


def test_a_receiver_that_refuses_gets_the_message_again_later(session, app):
    with WebhookReceiver(SECRET, status=500) as receiver:
        with session.begin():
            enqueue(session, channel=Channel.WEBHOOK, recipient=receiver.url, subject="h", body="", payload={})
        result = deliver(session, settings(free_port()), clock.now())
        assert result.retrying == 1 and "HTTP 500" in result.errors[0]
        receiver.status = 200
        assert deliver(session, settings(free_port()), clock.now() + timedelta(minutes=2)).sent == 1
    assert len(receiver.received) == 2


def test_a_wrong_secret_is_rejected_by_the_receiver(session, app):
    with WebhookReceiver("another-secret") as receiver:
        with session.begin():
            enqueue(session, channel=Channel.WEBHOOK, recipient=receiver.url, subject="h", body="", payload={})
        result = deliver(session, settings(free_port()), clock.now())
    assert result.retrying == 1 and receiver.received[0]["valid"] is False


def test_unsigned_webhooks_are_never_sent(session, app):
    with session.begin():
        enqueue(session, channel=Channel.WEBHOOK, recipient="http://127.0.0.1:9/", subject="h", body="", payload={})
    result = deliver(session, DeliverySettings.from_config({"WEBHOOK_SECRET": ""}), clock.now())
    assert result.retrying == 1 and "WEBHOOK_SECRET" in result.errors[0]


def test_signature_helpers_round_trip_and_refuse_replays():
    body = '{"a":"超期"}'.encode()
    signature = sign("k", "1700000000", body)
    assert verify_signature("k", "1700000000", body, signature, now=1700000100)
    assert not verify_signature("k", "1700000000", body + b" ", signature, now=1700000100)
    assert not verify_signature("k", "1700000000", body, signature, now=1700000000 + 301)
    assert not verify_signature("k", "not-a-time", body, signature)


class _CountingSmtp:
    """Stands in for smtplib.SMTP: counts what it is asked to send."""

    sent: list[str] = []
    lock = threading.Lock()

    def __init__(self, *args, **kwargs):
        pass

    def ehlo(self):
        pass

    def send_message(self, message):
        with self.lock:
            _CountingSmtp.sent.append(message["X-Socorg-Message-Id"])

    def quit(self):
        pass


def test_two_deliverers_at_once_send_each_message_once(session, new_session, app):
    with session.begin():
        for n in range(60):
            enqueue(session, channel=Channel.EMAIL, recipient=f"u{n}@example.invalid", subject="s", body="b")
    _CountingSmtp.sent = []
    config = DeliverySettings.from_config({"OUTBOX_BACKOFF_SECONDS": 600, "SMTP_HOST": "smtp.example.invalid"})
    config = DeliverySettings(**{**config.__dict__, "batch": 7})
    now = clock.now()

    def run() -> None:
        with app.app_context(), clock.frozen(now):
            OutboxDelivery(new_session(), config, smtp_factory=_CountingSmtp).deliver_due()

    assert at_once(run) == []
    assert sorted(_CountingSmtp.sent, key=int) == [str(i) for i in range(1, 61)]
    assert statuses(session) == [(OutboxStatus.SENT, 1)] * 60


# -- leases: a deliverer that is still working keeps its claims; one that died loses them ----------

LEASE = 60


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server (aiosmtpd) for the whole test."""
    server = SmtpServer(free_port(), tmp_path / "maildir").start()
    yield server
    server.stop()


def queue_emails(session, count: int) -> list[int]:
    with session.begin():
        messages = [enqueue(session, channel=Channel.EMAIL, recipient=f"u{n}@example.invalid", subject=f"s{n}",
                            body="b") for n in range(count)]
    return [m.id for m in messages]


def delivered(server: SmtpServer) -> list[int]:
    """The outbox ids of every e-mail the server received, one entry per copy."""
    return sorted(int(m[MESSAGE_ID_HEADER]) for m in server.messages())


def smtp_calling(after_send) -> type[smtplib.SMTP]:
    """The real SMTP client, calling ``after_send(outbox id)`` once the server accepted each message."""

    class Smtp(smtplib.SMTP):
        def send_message(self, msg, *args, **kwargs):
            answer = super().send_message(msg, *args, **kwargs)
            after_send(int(msg[MESSAGE_ID_HEADER]))
            return answer

    return Smtp


@pytest.mark.slow
def test_a_slow_batch_keeps_its_claims_so_a_second_deliverer_sends_nothing_twice(session, new_session,
                                                                                   smtp_server):
    ids = queue_emails(session, 5)
    config = settings(smtp_server.port, OUTBOX_LEASE_SECONDS=LEASE)
    timeline = Timeline(clock.now())
    second = []

    def slow(message_id: int) -> None:
        timeline.advance(25)  # each message takes 25 s: the batch outlasts the 60 s lease it was claimed with
        if message_id == ids[3]:  # 100 s after the claim, while the 4th is still being sent
            second.append(OutboxDelivery(new_session(), config).deliver_due())

    try:
        first = OutboxDelivery(session, config, smtp_factory=smtp_calling(slow)).deliver_due()
    finally:
        timeline.close()
    assert delivered(smtp_server) == ids
    assert (first.sent, first.lost, second[0].sent) == (5, 0, 0)
    assert statuses(session) == [(OutboxStatus.SENT, 1)] * 5


@pytest.mark.slow
def test_a_claim_that_ran_out_is_skipped_by_its_first_deliverer_once_another_took_it(session, new_session,
                                                                                       smtp_server):
    ids = queue_emails(session, 3)
    config = settings(smtp_server.port, OUTBOX_LEASE_SECONDS=LEASE)
    start = clock.now()
    timeline = Timeline(start)
    second = []

    def slow(message_id: int) -> None:
        if message_id == ids[0]:
            timeline.advance(24)
        elif message_id == ids[1]:  # the 2nd hangs past the lease the rest was claimed with: another one runs
            timeline.go(start + timedelta(seconds=LEASE + 6))
            second.append(OutboxDelivery(new_session(), config).deliver_due())

    try:
        first = OutboxDelivery(session, config, smtp_factory=smtp_calling(slow)).deliver_due()
    finally:
        timeline.close()
    assert delivered(smtp_server) == ids
    assert (first.sent, first.lost, second[0].sent) == (2, 1, 1)
    assert statuses(session) == [(OutboxStatus.SENT, 1), (OutboxStatus.SENT, 1), (OutboxStatus.SENT, 2)]


class _Died(BaseException):
    """The deliverer's process ends here (killed): nothing after this line runs, nothing is recorded."""


@pytest.mark.slow
@pytest.mark.parametrize("handed_over", [False, True], ids=["before-the-server-had-it", "after"])
def test_a_claim_whose_deliverer_died_is_delivered_after_its_lease(session, smtp_server, handed_over):
    ids = queue_emails(session, 3)
    config = settings(smtp_server.port, OUTBOX_LEASE_SECONDS=LEASE)
    t = clock.now()

    class DyingSmtp(smtplib.SMTP):
        def send_message(self, msg, *args, **kwargs):
            if int(msg[MESSAGE_ID_HEADER]) == ids[1]:
                if handed_over:
                    super().send_message(msg, *args, **kwargs)
                raise _Died
            return super().send_message(msg, *args, **kwargs)

    with pytest.raises(_Died), clock.frozen(t):
        OutboxDelivery(session, config, smtp_factory=DyingSmtp).deliver_due()
    assert statuses(session) == [(OutboxStatus.SENT, 1), (OutboxStatus.PENDING, 1), (OutboxStatus.PENDING, 1)]
    assert deliver(session, config, t + timedelta(seconds=LEASE - 1)).sent == 0  # still claimed
    assert deliver(session, config, t + timedelta(seconds=LEASE)).sent == 2
    # At least once: a message the server already had when its deliverer died arrives twice.
    assert delivered(smtp_server) == sorted([*ids, ids[1]] if handed_over else ids)
    assert statuses(session) == [(OutboxStatus.SENT, 1), (OutboxStatus.SENT, 2), (OutboxStatus.SENT, 2)]


def test_without_smtp_settings_mail_waits_with_one_clear_line_and_webhooks_still_go(session, app, caplog):
    with session.begin():
        for n in range(3):
            enqueue(session, channel=Channel.EMAIL, recipient=f"u{n}@example.invalid", subject="s", body="b")
        enqueue(session, channel=Channel.WEBHOOK, recipient="http://127.0.0.1:9/", subject="h", body="", payload={})
    settings = DeliverySettings.from_config({"WEBHOOK_SECRET": ""})
    assert settings.smtp_configured is False
    with caplog.at_level("WARNING", logger="workflow_app.notifications.delivery"):
        result = deliver(session, settings, clock.now())
    assert result.held_mail == 3 and result.retrying == 1 and result.sent == 0
    assert "3 e-mails held (SMTP is not configured: set SOCORG_SMTP_HOST" in str(result)
    lines = [r for r in caplog.records if r.name == "workflow_app.notifications.delivery"]
    assert len(lines) == 1 and "SOCORG_SMTP_HOST" in lines[0].getMessage() and not lines[0].exc_info
    session.expire_all()
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.EMAIL)).all()
    assert [(m.status, m.attempts) for m in mails] == [(OutboxStatus.PENDING, 0)] * 3  # no attempt spent
