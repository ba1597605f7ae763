"""On completion: every id in an attachment field must be a file uploaded to this step and field of the case."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.attachments.models import Attachment
from workflow_app.tasks.models import HumanTask

NOT_HERE = "附件无效：只能引用在本环节此项上传的文件（{ids}）"


def reference_errors(session: Session, fields: Iterable[str], data: Mapping[str, Any],
                     task: HumanTask) -> dict[str, list[str]]:
    """Messages per attachment field (``fields``: the form's, by name) whose ids are not files uploaded to
    ``task``'s step of its case and to that field (an earlier round of the same step, before a 退回, counts:
    the form reopens with its files)."""
    errors: dict[str, list[str]] = {}
    for name in fields:
        ids = data.get(name)
        if not isinstance(ids, list) or not ids:
            continue  # absent or malformed: the schema says so
        wanted = {i for i in ids[:100] if isinstance(i, str) and len(i) <= 64}
        found = set(session.scalars(
            select(Attachment.id).join(HumanTask, HumanTask.id == Attachment.task_id)
            .where(Attachment.id.in_(wanted), Attachment.field == name, Attachment.instance_id == task.instance_id,
                   HumanTask.name == task.name))) if wanted else set()
        stray = [str(i)[:64] for i in ids if not (isinstance(i, str) and i in found)]
        if stray:
            errors[name] = [NOT_HERE.format(ids="、".join(stray[:5]))]
    return errors
