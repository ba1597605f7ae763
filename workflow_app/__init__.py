"""socorg-workflow: a BPMN workflow engine for the cases of social organizations (社会组织)."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: load configuration and wire each subsystem. Starts nothing."""
    from workflow_app import api, db, engine, web
    from workflow_app import config as configuration

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(configuration.load(app.instance_path, config))
    db.init_app(app)
    engine.init_app(app)
    api.init_app(app)
    web.init_app(app)
    return app
