"""The inbox keyword: a task's title or business key, or its case's organization by name or 统一社会信用代码."""

from __future__ import annotations

from sqlalchemy import select

from workflow_app.directory.models import User
from workflow_app.organizations.models import Organization
from workflow_app.tasks.inbox import InboxQuery
from workflow_app.tasks.service import task_service


def found(session, username: str, q: str) -> set[str]:
    person = session.scalars(select(User).where(User.username == username)).one()
    return {view.task.id for view in task_service().inbox(person, InboxQuery(q=q, status="any")).items}


def test_the_keyword_finds_a_task_by_its_organizations_name_or_credit_code(flow, session):
    _case, accept = flow.to("accept")
    organization = session.get(Organization, flow.org_of("applicant"))
    assert organization.uscc and len(organization.name) > 4
    assert accept.id in found(session, "window_cc", organization.name[1:5])
    assert accept.id in found(session, "window_cc", organization.uscc)
    assert accept.id in found(session, "window_cc", organization.uscc[-6:].lower())
    assert accept.id in found(session, "window_cc", "CC-2026")  # the business key, as before
    assert accept.id not in found(session, "window_cc", "无此组织名称")
    # A wildcard typed is a character, not a pattern.
    assert found(session, "window_cc", "%") == set()
