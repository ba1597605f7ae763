"""流程设计: definitions with their versions, upload, and the bpmn-js modeler that deploys a new version."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from workflow_app import db
from workflow_app.definitions.errors import DefinitionInvalid
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.service import bundle_name
from workflow_app.definitions.versions import change_summaries
from workflow_app.directory.models import Role
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.services import definition_service
from workflow_app.web.labels import chinese_lanes
from workflow_app.web.lint_zh import chinese_problems
from workflow_app.web.session import current_web_user, login_required
from workflow_app.web.studio import draft_bundle, studio_context

bp = Blueprint("web_designer", __name__, url_prefix="/designer")


def _running_counts() -> dict[int, int]:
    rows = db.session().execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.status == InstanceStatus.RUNNING).group_by(ProcessInstance.definition_id))
    return dict(rows.all())


@bp.get("/")
@login_required(Role.DESIGNER)
def index() -> ResponseReturnValue:
    """Every process with its latest version and how many cases run on each version."""
    return render_template("designer/index.html", definitions=definition_service().list(),
                           running=_running_counts())


@bp.get("/<key>")
@login_required(Role.DESIGNER)
def versions(key: str) -> ResponseReturnValue:
    """All versions of one process."""
    found = list(db.session().scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                      .order_by(ProcessDefinition.version.desc())))
    if not found:
        return render_template("errors/error.html", status=404, title="流程不存在",
                               message=f"没有标识为 {key} 的流程。"), 404
    return render_template("designer/versions.html", key=key, versions=found, running=_running_counts(),
                           changes=change_summaries(found))


@bp.route("/upload", methods=["GET", "POST"])
@login_required(Role.DESIGNER)
def upload() -> ResponseReturnValue:
    """Upload .bpmn/.dmn/.json files; problems are listed per file and element."""
    if request.method == "GET":
        return render_template("designer/upload.html", problems=[], results=[])
    files = {}
    for storage in request.files.getlist("files"):
        if not storage.filename:
            continue
        name = storage.filename.rsplit("/", 1)[-1]
        files[bundle_name(name)] = storage.read()
    try:
        results = definition_service().deploy(files, deployed_by=current_web_user().username)
    except DefinitionInvalid as exc:
        return render_template("designer/upload.html", problems=chinese_problems(exc.problems),
                               results=[]), 422
    return render_template("designer/upload.html", problems=[], results=results)


@bp.get("/<key>/edit")
@login_required(Role.DESIGNER)
def edit(key: str) -> ResponseReturnValue:
    """The modeler with its properties panel, opened on a version (the latest by default); lanes show in
    Chinese (a deploy names them by their groups again)."""
    version = request.args.get("version", type=int)
    definition = definition_service().get(key, version)
    return render_template("designer/modeler.html", definition=definition,
                           diagram=chinese_lanes(definition.bpmn_xml), **studio_context(definition))


@bp.post("/<key>/deploy")
@login_required(Role.DESIGNER)
def deploy(key: str) -> ResponseReturnValue:
    """Deploy the studio's draft (the modeler's XML and the form designer's forms) as the next version."""
    try:
        results = definition_service().deploy(draft_bundle(key), deployed_by=current_web_user().username)
    except DefinitionInvalid as exc:
        return jsonify({"problems": chinese_problems(exc.problems)}), 422
    mine = [r for r in results if r.key == key] or results
    return jsonify({"key": mine[0].key, "version": mine[0].version, "created": mine[0].created})
