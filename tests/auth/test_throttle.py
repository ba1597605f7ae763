"""The password-guessing throttle: per account, per address, in the database, with a 15-minute window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from workflow_app import clock, create_app, db
from workflow_app.auth.models import LoginAttempt, SecurityEvent

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def attempt(client, username: str, password: str = "wrong-password", addr: str = "203.0.113.7"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


@pytest.fixture
def at():
    """Run the test's requests at T0 + ``minutes`` (the one settable clock)."""
    stack = []

    def move(minutes: float = 0) -> None:
        while stack:
            stack.pop().__exit__(None, None, None)
        frozen = clock.frozen(T0 + timedelta(minutes=minutes))
        frozen.__enter__()
        stack.append(frozen)

    move(0)
    yield move
    while stack:
        stack.pop().__exit__(None, None, None)


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, demo, at):
    statuses = [attempt(client, "reviewer_cc").status_code for _ in range(30)]
    assert statuses == [401] * 10 + [429] * 20
    response = attempt(client, "reviewer_cc", "demo12345")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_attempts"
    assert "登录失败次数过多" in response.get_json()["error"]["message"]
    assert 890 <= int(response.headers["Retry-After"]) <= 900


def test_the_account_lock_holds_from_any_address(client, demo, at):
    for n in range(10):
        assert attempt(client, "reviewer_cc", addr=f"198.51.100.{n}").status_code == 401
    assert attempt(client, "reviewer_cc", "demo12345", addr="192.0.2.99").status_code == 429
    assert attempt(client, "approver_cc", "demo12345", addr="198.51.100.1").status_code == 200  # others unaffected


def test_fifty_failures_from_one_address_lock_every_username_from_it(client, demo, at):
    for n in range(50):  # five tries each on ten names: no single account reaches its limit
        assert attempt(client, f"guess{n % 10}").status_code == 401
    response = attempt(client, "window_cc", "demo12345")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert attempt(client, "window_cc", "demo12345", addr="192.0.2.1").status_code == 200


def test_the_lock_lifts_when_fifteen_minutes_have_passed(client, demo, at):
    for _ in range(10):
        attempt(client, "reviewer_cc")
    at(14)
    response = attempt(client, "reviewer_cc", "demo12345")
    assert response.status_code == 429 and 55 <= int(response.headers["Retry-After"]) <= 60
    at(15.01)
    assert attempt(client, "reviewer_cc", "demo12345").status_code == 200


def test_attempts_refused_while_locked_do_not_extend_the_lock(client, demo, at):
    for _ in range(10):
        attempt(client, "reviewer_cc")
    at(10)
    for _ in range(20):
        assert attempt(client, "reviewer_cc").status_code == 429
    at(15.01)
    assert attempt(client, "reviewer_cc", "demo12345").status_code == 200


def test_a_success_clears_the_accounts_count_but_not_the_addresss(client, demo, at):
    for _ in range(9):
        attempt(client, "reviewer_cc")
    assert attempt(client, "reviewer_cc", "demo12345").status_code == 200
    for _ in range(9):
        assert attempt(client, "reviewer_cc").status_code == 401
    # The address kept all 18 failures: logging into one's own account does not buy more guesses.
    for n in range(32):
        attempt(client, f"victim{n}")
    assert attempt(client, "reviewer_cc", "demo12345").status_code == 429


def test_two_app_instances_on_one_database_share_the_count(app, client, demo, database_url, at):
    other = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True})
    try:
        with other.app_context():
            other_client = other.test_client()
            for _ in range(5):
                assert attempt(other_client, "reviewer_cc").status_code == 401
        for _ in range(5):
            assert attempt(client, "reviewer_cc").status_code == 401
        with other.app_context():
            assert attempt(other_client, "reviewer_cc", "demo12345").status_code == 429
        assert attempt(client, "reviewer_cc", "demo12345").status_code == 429
    finally:
        other.extensions["socorg.db"].dispose()


def test_a_lockout_is_recorded_once_as_a_security_event(client, demo, session, at):
    for _ in range(15):
        attempt(client, "reviewer_cc")
    events = session.scalars(select(SecurityEvent)).all()
    assert [(e.action, e.username, e.remote_addr, e.details["scope"]) for e in events] == [
        ("login_locked", "reviewer_cc", "203.0.113.7", "account")]
    assert events[0].details["locked_until"] == (T0 + timedelta(minutes=15)).isoformat()


def test_rows_older_than_the_window_are_pruned(client, demo, session, at):
    for _ in range(3):
        attempt(client, "reviewer_cc")
    at(16)
    attempt(client, "approver_cc", "demo12345")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


@pytest.mark.parametrize("username", ["x" * 500, "名" * 64])
def test_odd_usernames_are_counted_not_crashed_on(app, demo, at, username):
    from workflow_app.auth.service import AuthService, BadCredentials
    from workflow_app.auth.throttle import TooManyAttempts

    service = AuthService(db.session())
    for _ in range(10):
        with pytest.raises(BadCredentials):
            service.login(username, "nope", "203.0.113.9")
    with pytest.raises(TooManyAttempts):
        service.login(username, "nope", "203.0.113.9")


def test_an_admin_unlock_lifts_an_address_lock_and_is_recorded(app, client, demo, session, at):
    from workflow_app.auth.throttle import LoginThrottle

    for n in range(50):
        attempt(client, f"guess{n % 10}")
    throttle = LoginThrottle.from_config(session, app.config)
    assert throttle.is_locked("address", "", "203.0.113.7")
    assert throttle.unlock("address", "203.0.113.7", by="admin") == 50
    assert not throttle.is_locked("address", "", "203.0.113.7")
    assert attempt(client, "window_cc", "demo12345").status_code == 200
    actions = [(e.action, e.details["scope"]) for e in session.scalars(select(SecurityEvent).order_by(SecurityEvent.id))]
    assert actions == [("login_locked", "address"), ("login_unlocked", "address")]
    with pytest.raises(ValueError):
        throttle.unlock("everyone", "x", by="admin")
