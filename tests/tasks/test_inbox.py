"""The inbox is plain SQL on human_tasks: one statement for the counts, no workflow loaded for a list."""

from __future__ import annotations

from sqlalchemy import select

from tests.tasks.test_forms import statements_during
from workflow_app.directory.models import User
from workflow_app.engine import Engine
from workflow_app.tasks.inbox import InboxQuery
from workflow_app.tasks.models import OPEN_STATUSES
from workflow_app.tasks.service import task_service


def user(session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def test_counts_take_one_statement(flow, session):
    flow.to("accept")
    window = user(session, "window_cc")
    window.group_names  # noqa: B018  # groups load with the user, as they do when a request authenticates
    statements = statements_during(lambda: task_service().counts(window))
    # One statement of index-served counts: each tab a scalar subquery of its own, never an OR-ed scan.
    assert len(statements) == 1 and statements[0].count("SELECT count(*)") == 6


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


def test_union_pages_and_counts_match_the_plain_or_of_the_rules(flow, session):
    """Each tab is queried as a UNION of index-served branches, a page as each branch's first rows: paging
    through every tab must give exactly what the plain OR of the visibility rules gives, in order."""
    import random
    import uuid
    from datetime import timedelta

    from sqlalchemy import func, insert, or_, true

    from tests.tasks.conftest import CHANGCHUN, JILIN_CITY, PROVINCE
    from workflow_app import clock
    from workflow_app.tasks import inbox
    from workflow_app.tasks.models import HumanTask, TaskCopy, TaskStatus

    instance_id = flow.start()
    rng = random.Random(5)
    now = clock.now()
    people = ["window_cc", "reviewer_cc", "supervisor_cc", "supervisor_prov", "applicant", None]
    rows, copies = [], []
    for n in range(160):
        status = rng.choice(list(TaskStatus))
        task_id = str(uuid.uuid4())
        rows.append({
            "id": task_id, "instance_id": instance_id, "process_key": rng.choice(["approval_test", "other"]),
            "business_key": f"U-{n}", "name": "step", "title": f"任务{n}",
            "candidate_group": rng.choice(["window", "reviewer", "applicant", None]),
            "region_code": rng.choice([CHANGCHUN, JILIN_CITY, PROVINCE, None]),
            "organization_id": rng.choice([flow.org_of("applicant"), None]),
            "assignee": rng.choice(people) if status is TaskStatus.CLAIMED or rng.random() < 0.2 else None,
            "status": status.value, "created_at": now - timedelta(hours=rng.randint(0, 50)),
            # ties on due_at and created_at, and missing due dates, exercise the full sort order
            "due_at": rng.choice([None, now - timedelta(days=1), now + timedelta(days=rng.randint(-3, 3))]),
            "completed_by": rng.choice(people) if not status.is_open or rng.random() < 0.1 else None,
            "delegated_from": rng.choice(people) if rng.random() < 0.15 else None, "escalation_level": 0,
        })
        if rng.random() < 0.15:
            copies.append({"task_id": task_id, "instance_id": instance_id, "username": rng.choice(people[:5]),
                           "copied_by": "admin"})
    session.rollback()
    with session.begin():
        session.execute(insert(HumanTask.__table__), rows)
        session.execute(insert(TaskCopy.__table__), copies)
    service = task_service()
    checked = 0
    for username in ["window_cc", "supervisor_cc", "supervisor_prov", "applicant", "admin"]:
        person = user(session, username)
        for scope in [None, "mine", "group", "all", "cc"]:
            branches = inbox.scope_branches(person, scope)
            rule = true() if branches is None else or_(*branches)
            for status, sort, overdue, extra in [
                (None, "due_at", False, {}), ("completed", "-created_at", False, {}),
                ("any", "-due_at", False, {"process_key": "approval_test"}), (None, "created_at", True, {}),
                ("any", "due_at", False, {"q": "务1"}),
            ]:
                query = InboxQuery(scope=scope, status=status, sort=sort, overdue=overdue, per_page=7, **extra)
                where = [rule, *inbox.filters(inbox.Shape.of(query))]
                expected = list(session.scalars(select(HumanTask.id).where(*where).order_by(*inbox.order_by(sort)),
                                                inbox.parameters(query, clock.now())))
                got, page = [], 1
                while True:
                    found = service.inbox(person, InboxQuery(scope=scope, status=status, sort=sort,
                                                             overdue=overdue, page=page, per_page=7, **extra))
                    assert found.total == len(expected), (username, scope, status)
                    got += [view.task.id for view in found.items]
                    if len(found.items) < 7:
                        break
                    page += 1
                assert got == expected, (username, scope, status, sort)
                checked += len(expected)
        counts = service.counts(person)
        mine, group = inbox.scope_branches(person, "mine"), inbox.scope_branches(person, "group")
        visible = inbox.scope_branches(person, "all")
        is_open = HumanTask.status.in_(OPEN_STATUSES)

        def naive(*where):
            return session.scalar(select(func.count()).select_from(HumanTask).where(*where))

        assert counts == {
            "mine": naive(is_open, or_(*mine)), "group": naive(is_open, *group),
            "all": naive(is_open, true() if visible is None else or_(*visible)),
            "overdue": naive(is_open, or_(*mine, *group), HumanTask.due_at < clock.now()),
            "cc": naive(*inbox.scope_branches(person, "cc")),
            "done": naive(HumanTask.status == TaskStatus.COMPLETED, or_(*mine)), "capped": [],
        }, username
    assert checked > 500  # the rules matched plenty of rows: the comparison is not vacuous


def test_a_supervisors_province_is_read_along_indexes_not_gathered(flow, session):
    """The province supervisor's 'all' tab: its page reads each status's tasks in due order along
    (status, due_at, created_at, id) — never every open task, sorted — and its count reads only an index."""
    from workflow_app import clock
    from workflow_app.tasks import inbox
    from workflow_app.tasks.visibility import Viewer

    flow.to("accept")
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return  # the plans below are SQLite's; PostgreSQL's are measured by the bench
    viewer = Viewer.of(user(session, "supervisor_prov"))
    query = InboxQuery(scope="all", sort="due_at", per_page=50)
    _total, page = inbox.statements(viewer, inbox.Shape.of(query))
    values = inbox.parameters(query, clock.now())

    def plan(statement, params) -> list[str]:
        from sqlalchemy import event

        seen: list[tuple[str, object]] = []

        def capture(_conn, _cursor, sql, parameters, *_args) -> None:
            seen.append((sql, parameters))

        event.listen(connection, "before_cursor_execute", capture)
        try:
            connection.execute(statement, params).all()
        finally:
            event.remove(connection, "before_cursor_execute", capture)
        sql, parameters = seen[-1]
        return [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)]

    page_plan = plan(page, values)
    assert sum("ix_human_tasks_status_order" in step for step in page_plan) == 4  # 2 open statuses × dated/undated
    assert not any("ix_human_tasks_region_status" in step for step in page_plan)
    counts_plan = plan(inbox.counts_statement(viewer), {"now": clock.now(), "count_limit": inbox.COUNT_CAP + 1})
    assert any("COVERING INDEX ix_human_tasks_region_status" in step for step in counts_plan), counts_plan
