"""Who may see which tasks and cases, as SQL conditions (never fetch-then-filter: counts and pages stay right).

- admin: everything.
- staff (caseworker, supervisor, designer): tasks assigned to them, and tasks of their groups
  (BPMN lanes) in their own region. Supervisors also see every task in the regions below
  theirs (province → cities → counties), for oversight.
- applicant: tasks assigned to them, and the applicant-lane tasks of their organization's cases.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from workflow_app.directory.models import Region, Role, User
from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.models import HumanTask

APPLICANT_GROUP = "applicant"


def regions_below(user: User) -> ColumnElement[bool]:
    """Regions at or below the user's region, as a condition on a region-code column's subquery."""
    return Region.path.like(user.region.path + "%")


def task_visible(user: User) -> ColumnElement[bool]:
    """The condition a human_tasks row must meet to be visible to ``user``."""
    if user.role is Role.ADMIN:
        return true()
    conditions: list[ColumnElement[bool]] = [HumanTask.assignee == user.username]
    if user.role is Role.APPLICANT:
        if user.organization_id is not None:
            conditions.append(and_(HumanTask.candidate_group == APPLICANT_GROUP,
                                   HumanTask.organization_id == user.organization_id))
        return or_(*conditions)
    groups = user.group_names
    if groups:
        conditions.append(and_(HumanTask.candidate_group.in_(groups), HumanTask.region_code == user.region_code))
    if user.role is Role.SUPERVISOR:
        conditions.append(HumanTask.region_code.in_(select(Region.code).where(regions_below(user))))
    return or_(*conditions)


def task_actionable(user: User) -> ColumnElement[bool]:
    """The condition for tasks the user may work (claim, complete): assigned to them, or of their groups."""
    if user.role is Role.ADMIN:
        return true()
    conditions: list[ColumnElement[bool]] = [HumanTask.assignee == user.username]
    if user.role is Role.APPLICANT:
        if user.organization_id is not None:
            conditions.append(and_(HumanTask.candidate_group == APPLICANT_GROUP,
                                   HumanTask.organization_id == user.organization_id,
                                   HumanTask.assignee.is_(None)))
        return or_(*conditions)
    groups = user.group_names
    if groups:
        conditions.append(and_(HumanTask.candidate_group.in_(groups), HumanTask.region_code == user.region_code,
                               HumanTask.assignee.is_(None)))
    return or_(*conditions)


def instance_visible(user: User) -> ColumnElement[bool]:
    """The condition a process_instances row must meet to be visible to ``user``."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.APPLICANT:
        mine = ProcessInstance.started_by == user.username
        if user.organization_id is None:
            return mine
        return or_(mine, ProcessInstance.organization_id == user.organization_id)
    if user.role is Role.DESIGNER:
        return false()
    in_scope = ProcessInstance.region_code.in_(select(Region.code).where(regions_below(user))) \
        if user.role is Role.SUPERVISOR else ProcessInstance.region_code == user.region_code
    touched = ProcessInstance.id.in_(select(HumanTask.instance_id).where(task_visible(user)))
    return or_(in_scope, touched, ProcessInstance.started_by == user.username)
