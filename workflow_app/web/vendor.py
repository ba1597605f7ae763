"""Serve the browser libraries installed by npm (bpmn-js) without committing a copy of them."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("vendor", __name__)

# Only these folders of node_modules are served: never the whole tree.
ALLOWED = {"bpmn-js": Path("bpmn-js") / "dist", "echarts": Path("echarts") / "dist"}
ALLOWED["dmn-js"] = Path("dmn-js") / "dist"  # the decision-table editor (web/designer_dmn.py)


def node_modules() -> Path:
    """Where npm installed the browser packages (the repository's node_modules by default)."""
    return Path(current_app.config.get("NODE_MODULES") or Path(current_app.root_path).parent / "node_modules")


@bp.get("/vendor/<package>/<path:filename>")
def asset(package: str, filename: str) -> ResponseReturnValue:
    """A file of an allowed package's dist folder (send_from_directory refuses paths outside it)."""
    if package not in ALLOWED:
        abort(404)
    folder = node_modules() / ALLOWED[package]
    if not folder.is_dir():
        abort(404, description=f"{package} is not installed: run `npm ci` (make run does)")
    return send_from_directory(folder, filename, max_age=86400)
