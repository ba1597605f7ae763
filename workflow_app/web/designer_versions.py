"""流程设计 · 版本: the visual diff of two versions, a version's files as a ZIP, and moving running cases
(迁移: designers and admins run the dry run; only an admin executes it — the designer's request is approved
by the admin doing the move, see docs/versions-and-migration.md)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, render_template, request
from flask.typing import ResponseReturnValue

from workflow_app.definitions.versions import diff_versions, export_zip
from workflow_app.directory.models import Role
from workflow_app.instances.migration import MAX_RENAMES, InvalidMigration, MigrationService
from workflow_app.services import definition_service, instance_service
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_designer_versions", __name__, url_prefix="/designer")

MAX_FIELD = 8000  # the mapping text area


@bp.get("/<key>/diff")
@login_required(Role.DESIGNER)
def diff(key: str) -> ResponseReturnValue:
    """Two versions side by side: removed and changed elements on the old one, added and changed on the new."""
    new_version = request.args.get("to", type=int)
    new = definition_service().get(key, new_version)
    old_version = request.args.get("from", type=int) or max(new.version - 1, 1)
    old = definition_service().get(key, old_version)
    changes = diff_versions(old, new)
    return render_template("designer/diff.html", key=key, old=old, new=new, changes=changes,
                           markers=changes.markers())


@bp.get("/<key>/v<int:version>.zip")
@login_required(Role.DESIGNER)
def export(key: str, version: int) -> ResponseReturnValue:
    """The version's files (BPMN, DMN, forms) as a ZIP, the layout an upload reads back."""
    definition = definition_service().get(key, version)
    return Response(export_zip(definition), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{definition.key}-v{definition.version}.zip"'})


@bp.route("/<key>/migrate", methods=["GET", "POST"])
@login_required(Role.DESIGNER)
def migrate(key: str) -> ResponseReturnValue:
    """迁移运行中的案件: choose the versions (and the mapping of renamed steps), see the dry run, and — an
    admin — move the movable cases."""
    latest = definition_service().latest(key)
    form = request.form if request.method == "POST" else request.args
    from_version = _int(form.get("from_version")) or max(latest.version - 1, 1)
    to_version = _int(form.get("to_version")) or latest.version
    mapping_text = (form.get("renames") or "")[:MAX_FIELD]
    context = {"key": key, "latest": latest, "from_version": from_version, "to_version": to_version,
               "mapping_text": mapping_text, "plan": None, "outcomes": None,
               "is_admin": current_web_user().role is Role.ADMIN}
    if request.method == "GET" and "from_version" not in request.args:
        return render_template("designer/migrate.html", **context)
    renames = _renames(mapping_text)
    if renames is None:
        flash(f"环节对应关系格式有误：每行一条「旧环节标识=新环节标识」，最多 {MAX_RENAMES} 条", "error")
        return render_template("designer/migrate.html", **context), 422
    service = instance_service()
    migrations = MigrationService(service.session, service)
    try:
        if request.method == "POST" and form.get("action") == "move":
            if current_web_user().role is not Role.ADMIN:
                abort(403)
            expected = {k[len("lock-"):]: int(v) for k, v in form.items()
                        if k.startswith("lock-") and v.isdigit()}
            context["outcomes"] = migrations.execute(key, from_version, to_version, actor=current_web_user().username,
                                                     renames=renames, expected=expected)
        else:
            context["plan"] = migrations.plan(key, from_version, to_version, renames)
    except InvalidMigration as exc:
        flash(exc.message, "error")
        return render_template("designer/migrate.html", **context), 422
    return render_template("designer/migrate.html", **context)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _renames(text: str) -> dict[str, str] | None:
    """``old=new`` per line (blank lines ignored); None when a line is not of that form."""
    renames = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        old, sep, new = line.partition("=")
        if not sep or not old.strip() or not new.strip():
            return None
        renames[old.strip()] = new.strip()
    return renames if len(renames) <= MAX_RENAMES else None

