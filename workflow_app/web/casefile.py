"""The case file on pages: the submissions a page shows, read with the caller's rights."""

from __future__ import annotations

from workflow_app import db
from workflow_app.casefile.reading import SubmissionReader, SubmissionView
from workflow_app.directory.models import User
from workflow_app.tasks.forms import app_catalog


def submission_views(user: User, instance_id: str) -> list[SubmissionView]:
    """The case's submissions ``user`` may read (the caller checked that the case is visible)."""
    return SubmissionReader(db.session(), app_catalog()).views(user, instance_id)
