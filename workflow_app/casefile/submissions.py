"""Recording and reading submissions; recording happens inside the transaction of the change it records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.casefile.models import Submission
from workflow_app.db import append_row
from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.models import HumanTask

START_TITLE = "发起"


def record_step(session: Session, instance: ProcessInstance, row: HumanTask, data: Mapping[str, Any], *,
                opinion: str | None, actor: str | None) -> Submission:
    """Keep what ``actor`` submitted to the human task ``row`` (called in the completion's transaction)."""
    values = {
        "instance_id": instance.id, "task_id": row.id, "task_name": row.name, "title": row.title,
        "candidate_group": row.candidate_group, "form": row.form, "definition_id": instance.definition_id,
        "form_version": instance.definition.version, "data": dict(data), "opinion": opinion,
        "submitted_by": actor, "submitted_at": clock.now(),
    }
    append_row(session, Submission.__table__, values)  # inserted now: a submission is never changed
    return Submission(**values)


def record_start(session: Session, instance: ProcessInstance, variables: Mapping[str, Any], *,
                 actor: str | None) -> Submission | None:
    """Keep the variables a case was started with (nothing when it started with none)."""
    if not variables:
        return None
    submission = Submission(
        instance_id=instance.id, task_id=None, task_name=None, title=START_TITLE, candidate_group=None,
        form=None, definition_id=instance.definition_id, form_version=instance.definition.version,
        data=dict(variables), opinion=None, submitted_by=actor, submitted_at=clock.now(),
    )
    session.add(submission)
    return submission


def submissions_of(session: Session, instance_id: str) -> list[Submission]:
    """Every submission of a case, oldest first."""
    return list(session.scalars(select(Submission).where(Submission.instance_id == instance_id)
                                .order_by(Submission.id)))
