"""GET /admin/outbox?status=dead and POST /admin/outbox/{id}/retry (admins only)."""

from __future__ import annotations

from sqlalchemy import update

from workflow_app.notifications.models import Channel, OutboxMessage, OutboxStatus
from workflow_app.notifications.outbox import enqueue


def _messages(session):
    with session.begin():
        dead = enqueue(session, channel=Channel.EMAIL, recipient="a@example.invalid", subject="死信", body="b")
        enqueue(session, channel=Channel.EMAIL, recipient="b@example.invalid", subject="待发", body="b")
        session.flush()
        session.execute(update(OutboxMessage).where(OutboxMessage.id == dead.id)
                        .values(status=OutboxStatus.DEAD, attempts=8, last_error="SMTP down"))
    return dead.id


def test_admins_list_dead_letters_and_retry_them(client, auth, session):
    dead_id = _messages(session)
    body = client.get("/api/v1/admin/outbox?status=dead", headers=auth("admin")).get_json()
    assert body["total"] == 1 and body["page"] == 1
    [item] = body["items"]
    assert (item["id"], item["status"], item["attempts"], item["last_error"], item["channel"]) == \
        (dead_id, "dead", 8, "SMTP down", "email")
    assert client.get("/api/v1/admin/outbox", headers=auth("admin")).get_json()["total"] == 2

    retried = client.post(f"/api/v1/admin/outbox/{dead_id}/retry", headers=auth("admin"))
    assert retried.status_code == 200, retried.get_json()
    assert (retried.get_json()["status"], retried.get_json()["attempts"]) == ("pending", 0)
    assert client.get("/api/v1/admin/outbox?status=dead", headers=auth("admin")).get_json()["total"] == 0

    again = client.post(f"/api/v1/admin/outbox/{dead_id}/retry", headers=auth("admin"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "outbox_message_not_dead"
    assert client.post("/api/v1/admin/outbox/424242/retry", headers=auth("admin")).status_code == 404


def test_the_outbox_is_for_admins_only(client, auth, session):
    dead_id = _messages(session)
    assert client.get("/api/v1/admin/outbox", headers=auth("supervisor_prov")).status_code == 403
    assert client.post(f"/api/v1/admin/outbox/{dead_id}/retry", headers=auth("supervisor_prov")).status_code == 403
    assert client.get("/api/v1/admin/outbox").status_code == 401
    assert client.get("/api/v1/admin/outbox?status=lost", headers=auth("admin")).status_code == 422
