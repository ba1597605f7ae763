"""A registration case of the demo applicant's organization, waiting at 申请 (apply), in a chosen region."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.processes.conftest import process_files
from workflow_app.attachments.models import Attachment
from workflow_app.directory.models import User
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask


@pytest.fixture
def start_registration(app: Flask, session: Session, demo: None) -> Callable[[str], tuple[str, str]]:
    """Start a registration for the applicant's organization in ``region``; (case id, apply task id)."""
    definition_service().deploy(process_files("registration"), deployed_by="test")
    org_id = session.scalar(select(User.organization_id).where(User.username == "applicant"))

    def start(region: str = "220100") -> tuple[str, str]:
        advance = instance_service().start("registration", {}, started_by="applicant", organization_id=org_id,
                                           region_code=region)
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id == advance.instance.id,
                                                      HumanTask.name == "apply"))
        return advance.instance.id, task.id

    return start


@pytest.fixture
def upload(client: Any, auth: Any) -> Callable[..., Any]:
    """POST one file to a task's attachments as a demo user; the response."""

    def send(task_id: str, content: bytes, filename: str = "章程.pdf", field: str | None = "charter_files",
             user: str = "applicant") -> Any:
        data: dict[str, Any] = {"file": (BytesIO(content), filename)}
        if field is not None:
            data["field"] = field
        return client.post(f"/api/v1/tasks/{task_id}/attachments", data=data, headers=auth(user),
                           content_type="multipart/form-data")

    return send


def stored_files(app: Flask) -> list[Path]:
    """Every file under the store directory (temporary ones included)."""
    root = Path(app.config["FILE_STORE"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def attachment_count(session: Session) -> int:
    """Rows in the attachments table."""
    session.rollback()  # end the read snapshot: requests wrote in sessions of their own
    return session.scalar(select(func.count()).select_from(Attachment)) or 0
