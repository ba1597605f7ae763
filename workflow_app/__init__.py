"""socorg-workflow: a BPMN workflow engine for the cases of social organizations (社会组织)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to the ids a 32-bit integer column can hold."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: load configuration and wire each subsystem. Starts nothing."""
    from workflow_app import api, db, engine, input_guard, security_headers, web
    from workflow_app import config as configuration
    from workflow_app.auth import cache as user_cache

    app = Flask(__name__, instance_relative_config=True)
    # Before any route exists: ids past a 32-bit integer cannot exist in our tables, and the
    # databases refuse them (OverflowError, DataError); such a URL simply matches nothing (404).
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.from_mapping(configuration.load(app.instance_path, config))
    db.init_app(app)
    user_cache.init_app(app)
    engine.init_app(app)
    api.init_app(app)
    web.init_app(app)
    security_headers.init_app(app)
    input_guard.init_app(app)  # after CSRF: a page post is checked for its token first
    return app
