"""The JSON API under /api/v1: one flask-smorest Api (it writes the OpenAPI document) and its blueprints.

Each feature area keeps its own API blueprint beside its service; this module only
registers them, in one list, so a reader finds every endpoint's home from here.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from workflow_app.api import errors

api = Api()
api.ERROR_SCHEMA = errors.ErrorSchema  # document API.md's error body, not smorest's own

API_SETTINGS = {
    "API_TITLE": "socorg-workflow API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    },
}


def blueprints() -> list:
    """Every API blueprint, in the order they appear in the OpenAPI document."""
    from workflow_app.alerts import api as alerts_api
    from workflow_app.announcements import api as announcements_api
    from workflow_app.api import health
    from workflow_app.attachments import api as attachments_api
    from workflow_app.auth import api as auth_api
    from workflow_app.calendar import api as calendar_api
    from workflow_app.casefile import api as casefile_api
    from workflow_app.definitions import api as definitions_api
    from workflow_app.documents import api as documents_api
    from workflow_app.instances import api as instances_api
    from workflow_app.instances import migration_api
    from workflow_app.messages import api as messages_api
    from workflow_app.notifications import api as outbox_api
    from workflow_app.organizations import api as organizations_api
    from workflow_app.reports import api as reports_api
    from workflow_app.tasks import api as tasks_api
    from workflow_app.tasks import batch_api as task_batches_api

    return [health.blp, auth_api.blp, definitions_api.blp, instances_api.blp, casefile_api.blp, tasks_api.blp,
            task_batches_api.blp, alerts_api.blp, calendar_api.blp, outbox_api.blp,
            organizations_api.blp, documents_api.blp, announcements_api.blp, attachments_api.blp,
            reports_api.blp, migration_api.blp, messages_api.blp]


def init_app(app: Flask) -> None:
    """Register the API blueprints, then the error handlers (ours replace smorest's own body)."""
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    api.init_app(app)
    for blueprint in blueprints():
        api.register_blueprint(blueprint, url_prefix="/api/v1" + (blueprint.url_prefix or ""))
    errors.init_app(app)
