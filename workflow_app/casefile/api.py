"""The case file over HTTP: a case's submissions read back, and its archive (卷宗) as one ZIP."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from workflow_app import db
from workflow_app.api.errors import documents_errors
from workflow_app.auth.current import auth_required, current_user
from workflow_app.casefile.archive import CaseArchive
from workflow_app.casefile.reading import SubmissionReader, SubmissionView
from workflow_app.instances.queries import InstanceAccess
from workflow_app.services import instance_service
from workflow_app.tasks.forms import app_catalog

blp = Blueprint("casefile", __name__, url_prefix="/process-instances",
                description="The case file (电子卷宗): submissions as submitted, the archive.")


class FieldLabelSchema(Schema):
    """A field's title and the labels of its values."""

    title = fields.String()
    values = fields.Dict(keys=fields.String(), values=fields.String())


class SubmissionSchema(Schema):
    """One step's data as submitted."""

    task_id = fields.String(allow_none=True, metadata={"description": "null for a staff start's variables"})
    task_name = fields.String(allow_none=True)
    title = fields.String()
    submitted_by = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    form_version = fields.Integer()
    data = fields.Dict()
    opinion = fields.String(allow_none=True)
    labels = fields.Dict(keys=fields.String(), values=fields.Nested(FieldLabelSchema),
                         metadata={"description": "field → {title, values: {enum value → label}}"})
    changes = fields.Dict(keys=fields.String(), values=fields.Dict(),
                          metadata={"description": "field → {before, after} where an earlier step gave another value"})


class SubmissionListSchema(Schema):
    """A case's submissions, oldest first."""

    items = fields.List(fields.Nested(SubmissionSchema))


def _body(view: SubmissionView) -> dict[str, Any]:
    s = view.submission
    return {
        "task_id": s.task_id, "task_name": s.task_name, "title": s.title, "submitted_by": view.submitted_by,
        "submitted_at": s.submitted_at, "form_version": s.form_version, "data": s.data, "opinion": s.opinion,
        "labels": {name: {"title": label.title, "values": label.values} for name, label in view.labels.items()},
        "changes": {name: {"before": before, "after": after} for name, (before, after) in view.changes.items()},
    }


@blp.route("/<instance_id>/submissions", methods=["GET"])
@auth_required()
@blp.response(200, SubmissionListSchema)
@documents_errors(blp, 401, 404)
def submissions(instance_id: str) -> dict[str, Any]:
    """Each step's data as submitted, with labels; an organization reads only its own submissions."""
    user = current_user()
    instance = InstanceAccess(db.session(), user, instance_service()).visible(instance_id)
    views = SubmissionReader(db.session(), app_catalog()).views(user, instance.id)
    return {"items": [_body(view) for view in views]}


@blp.route("/<instance_id>/archive", methods=["GET"])
@auth_required()
@blp.doc(responses={200: {"description": "the case's archive: 卷宗目录.html, every document, every attachment",
                          "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}})
@documents_errors(blp, 401, 403, 404)
def archive(instance_id: str) -> Response:
    """The archive (卷宗) of a case as one ZIP (staff who may see the case)."""
    user = current_user()
    instance = InstanceAccess(db.session(), user, instance_service()).visible(instance_id)
    data = CaseArchive(db.session(), SubmissionReader(db.session(), app_catalog())).build(user, instance)
    name = f"卷宗-{instance.business_key or instance.id}.zip"
    response = Response(data, mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f"attachment; filename=archive.zip; filename*=UTF-8''{quote(name)}"
    return response
