"""The inbox is plain SQL on human_tasks: one statement for the counts, no workflow loaded for a list."""

from __future__ import annotations

from sqlalchemy import select

from tests.tasks.test_forms import statements_during
from workflow_app.directory.models import User
from workflow_app.engine import Engine
from workflow_app.tasks.inbox import InboxQuery
from workflow_app.tasks.service import task_service


def user(session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def test_counts_take_one_statement(flow, session):
    flow.to("accept")
    window = user(session, "window_cc")
    window.group_names  # noqa: B018  # groups load with the user, as they do when a request authenticates
    statements = statements_during(lambda: task_service().counts(window))
    assert len(statements) == 1 and "FILTER (WHERE" in statements[0]


def test_a_page_of_the_inbox_never_loads_a_workflow(flow, session, monkeypatch):
    for _ in range(3):
        flow.to("accept")
    window = user(session, "window_cc")

    def refuse(*_args, **_kwargs):
        raise AssertionError("the inbox must not deserialize workflows")

    monkeypatch.setattr(Engine, "load", refuse)
    service = task_service()
    page = service.inbox(window, InboxQuery(per_page=2))
    assert page.total == 3 and len(page.items) == 2
    # Two statements for the page (count + rows) and one per definition for the forms, on first use only.
    again = statements_during(lambda: service.inbox(window, InboxQuery(per_page=2)))
    assert len(again) == 2
