"""Process definitions over HTTP: the catalogue (staff), uploads (designers), one version with its XML."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import PurePosixPath
from typing import Any

from flask_smorest import Blueprint
from werkzeug.datastructures import FileStorage

from workflow_app import db
from workflow_app.api.errors import documents_errors
from workflow_app.auth.current import auth_required, current_user
from workflow_app.definitions.errors import DefinitionInvalid, Problem
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.schemas import (
    DefinitionDetailSchema,
    DefinitionListArgsSchema,
    DefinitionPageSchema,
    DefinitionVersionArgsSchema,
    DeployedSchema,
    UploadSchema,
)
from workflow_app.definitions.service import bundle_name
from workflow_app.directory.models import Role
from workflow_app.errors import NotFound
from workflow_app.instances.queries import Page, running_counts
from workflow_app.services import definition_service

blp = Blueprint("definitions", __name__, url_prefix="/process-definitions",
                description="Process definitions: deployed BPMN, versions, uploads.")

STAFF = (Role.CASEWORKER, Role.SUPERVISOR, Role.DESIGNER)  # admin passes every role check

list_args_schema = DefinitionListArgsSchema()
version_args_schema = DefinitionVersionArgsSchema()
upload_schema = UploadSchema()

_BAD_NAME = re.compile(r"[\x00-\x1f\x7f]")


@blp.route("", methods=["GET"])
@auth_required(*STAFF)
@blp.arguments(list_args_schema, location="query")
@blp.response(200, DefinitionPageSchema)
@documents_errors(blp, 401, 403)
def list_definitions(args: dict[str, Any]) -> Page:
    """The latest version of each process (``all_versions=true``: every version), with running-case counts."""
    rows = definition_service().list(all_versions=args["all_versions"])
    page, per_page = args["page"], args["per_page"]
    shown = rows[(page - 1) * per_page: page * per_page]
    counts = running_counts(db.session(), [row.id for row in shown])
    return Page([_summary(row, counts.get(row.id, 0)) for row in shown], len(rows), page, per_page)


@blp.route("", methods=["POST"])
@auth_required(Role.DESIGNER)
@blp.arguments(upload_schema, location="files")
@blp.response(201, DeployedSchema)
@blp.alt_response(200, schema=DeployedSchema, success=True,
                  description="the same files are deployed already: their existing version")
@documents_errors(blp, 401, 403, 409, 413, 422)
def deploy_definitions(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Deploy .bpmn/.dmn files and forms: 201 with the new version, 200 when nothing changed, 422 with problems."""
    results = definition_service().deploy(_bundle(body["files"]), deployed_by=current_user().username)
    deployed = [{"key": r.key, "version": r.version, "created": r.created,
                 **({"warnings": [asdict(w) for w in r.warnings]} if r.warnings else {})} for r in results]
    status = 201 if any(r.created for r in results) else 200
    return {**deployed[0], "deployed": deployed}, status


@blp.route("/<key>", methods=["GET"])
@auth_required(*STAFF)
@blp.arguments(version_args_schema, location="query")
@blp.response(200, DefinitionDetailSchema)
@documents_errors(blp, 401, 403, 404)
def get_definition(args: dict[str, Any], key: str) -> dict[str, Any]:
    """The latest version of a process (or ``?version=N``) with its BPMN XML; 404 when unknown."""
    if _BAD_NAME.search(key) or len(key) > 64:
        raise NotFound(f"no process definition with key {key!r}")
    definition = definition_service().get(key, args.get("version"))
    counts = running_counts(db.session(), [definition.id])
    return {
        **_summary(definition, counts.get(definition.id, 0)),
        "bpmn_file": definition.bpmn_file, "bpmn_xml": definition.bpmn_xml, "files": sorted(definition.files),
        "task_meta": definition.task_meta, "properties": definition.properties or {},
    }


def _summary(definition: ProcessDefinition, running: int) -> dict[str, Any]:
    return {
        "key": definition.key, "name": definition.name, "version": definition.version,
        "deployed_at": definition.deployed_at, "deployed_by": definition.deployed_by,
        "sha256": definition.sha256, "running_instances": running,
    }


def _bundle(uploads: list[FileStorage]) -> dict[str, bytes]:
    """Name the uploaded files as a deploy expects (``service.bundle_name``)."""
    files: dict[str, bytes] = {}
    problems = []
    for upload in uploads:
        raw = getattr(upload, "filename", None) or ""
        base = PurePosixPath(raw.replace("\\", "/")).name
        if not base or _BAD_NAME.search(base) or len(base) > 200:
            problems.append(Problem(file=raw[:200] or "(unnamed)", message="every file needs a plain file name"))
            continue
        name = bundle_name(base)
        if name in files:
            problems.append(Problem(file=name, message="this file name is uploaded twice"))
            continue
        files[name] = upload.read()
    if problems:
        raise DefinitionInvalid(problems)
    return files
