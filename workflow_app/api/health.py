"""Liveness and readiness of the service: is the database reachable, what is deployed."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import func, select, text

from workflow_app import clock, db
from workflow_app.definitions.models import ProcessDefinition

blp = Blueprint("health", __name__, description="Service health (no authentication: for load balancers).")


class HealthSchema(Schema):
    """The health answer."""

    status = fields.String()
    time = fields.DateTime()
    process_definitions = fields.Integer()


@blp.route("/health")
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def health() -> dict:
    """Answer 200 with the database status and the count of deployed definitions."""
    sess = db.session()
    sess.execute(text("SELECT 1"))
    keys = sess.scalar(select(func.count(func.distinct(ProcessDefinition.key))))
    return {"status": "ok", "time": clock.now(), "process_definitions": keys}
