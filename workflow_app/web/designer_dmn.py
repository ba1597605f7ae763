"""流程设计 · 决策表: edit a process's DMN table in dmn-js with its row tests, check them, and deploy the
process's next version with the edited table (the base version's other files unchanged)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from workflow_app.definitions.dmn_tests import MAX_ROW_TESTS, tests_file_for
from workflow_app.definitions.errors import DefinitionInvalid, Problem
from workflow_app.directory.models import Role
from workflow_app.services import definition_service
from workflow_app.web.lint_zh import chinese
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_designer_dmn", __name__, url_prefix="/designer")


@bp.get("/<key>/dmn/<path:file>")
@login_required(Role.DESIGNER)
def edit(key: str, file: str) -> ResponseReturnValue:
    """The table of ``file`` (a DMN file of the version) in the DMN editor, with its row tests."""
    definition = definition_service().get(key, request.args.get("version", type=int))
    if not file.endswith(".dmn") or file not in definition.files:
        return render_template("errors/error.html", status=404, title="决策表不存在",
                               message=f"第 {definition.version} 版中没有决策表文件 {file}。"), 404
    tests = json.loads(definition.files.get(tests_file_for(file), "[]"))
    return render_template("designer/dmn.html", definition=definition, file=file, xml=definition.files[file],
                           tests=tests, max_tests=MAX_ROW_TESTS)


@bp.post("/<key>/dmn/<path:file>/deploy")
@login_required(Role.DESIGNER)
def deploy(key: str, file: str) -> ResponseReturnValue:
    """Run the row tests and deploy the edited table as the next version (``check_only``: only run them)."""
    body: Any = request.get_json(silent=True) or {}
    xml, tests, base_version = body.get("xml"), body.get("tests"), body.get("base_version")
    if (not isinstance(xml, str) or not xml.strip() or not isinstance(base_version, int)
            or not isinstance(tests, list) or not file.endswith(".dmn")):
        return _request_refused("需要 xml、tests 与 base_version")
    base = definition_service().get(key, base_version)
    if file not in base.files:
        return _request_refused(f"第 {base.version} 版中没有决策表文件 {file}")
    files = {name: text.encode() for name, text in base.files.items()}
    files[file] = xml.encode()
    files[tests_file_for(file)] = json.dumps(tests, ensure_ascii=False).encode()
    if not tests:
        files.pop(tests_file_for(file))
    try:
        if body.get("check_only"):
            definition_service().validate(files)
            return jsonify({"checked": True, "tests": len(tests)})
        results = definition_service().deploy(files, deployed_by=current_web_user().username)
    except DefinitionInvalid as exc:
        return _refused(exc.problems)
    mine = [r for r in results if r.key == key] or results
    return jsonify({"key": mine[0].key, "version": mine[0].version, "created": mine[0].created})


def _refused(problems: list[Problem]) -> ResponseReturnValue:
    shown = [{"file": p.file, "element_id": p.element_id, "line": p.line, "message": p.message,
              "message_zh": chinese(p.message)} for p in problems]
    return jsonify({"problems": shown}), 422


def _request_refused(message_zh: str) -> ResponseReturnValue:
    return jsonify({"problems": [{"file": "(request)", "element_id": None, "line": None, "message": message_zh,
                                  "message_zh": message_zh}]}), 422
