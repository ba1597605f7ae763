"""GET /organizations (the registry, with visibility), /organizations/{id}; POST /organizations/zombie-cleanup and
/organizations/party-building (bulk starts)."""

from __future__ import annotations

from flask_smorest import Blueprint

from workflow_app import db
from workflow_app.auth.current import auth_required, current_user
from workflow_app.directory.models import Role
from workflow_app.errors import InvalidInput
from workflow_app.organizations import bulk
from workflow_app.organizations.schemas import (
    OrganizationArgsSchema,
    OrganizationListSchema,
    OrganizationSchema,
    PartyBuildingCampaignSchema,
    ZombieCleanupResultSchema,
    ZombieCleanupSchema,
)
from workflow_app.organizations.service import OrganizationService, OrgFilter

blp = Blueprint("organizations", __name__, url_prefix="/organizations",
                description="The registry of social organizations (社会组织).")


@blp.route("")
@auth_required()
@blp.arguments(OrganizationArgsSchema, location="query")
@blp.response(200, OrganizationListSchema)
def organizations(args: dict) -> dict:
    """Organizations the caller may see (staff: their region and below; applicants: their own), by name."""
    page, per_page = args.pop("page"), args.pop("per_page")
    items, total = OrganizationService(db.session()).list(current_user(), OrgFilter(**args), page=page,
                                                          per_page=per_page)
    return {"items": items, "total": total, "page": page, "per_page": per_page}


@blp.route("/<int:organization_id>")
@auth_required()
@blp.response(200, OrganizationSchema)
def organization(organization_id: int) -> object:
    """One organization (404 when not visible to the caller)."""
    return OrganizationService(db.session()).get(current_user(), organization_id)


@blp.route("/zombie-cleanup", methods=["POST"])
@auth_required(Role.SUPERVISOR)
@blp.arguments(ZombieCleanupSchema)
@blp.response(200, ZombieCleanupResultSchema)
def zombie_cleanup(body: dict) -> dict:
    """Start zombie_cleanup cases for the listed (or all flagged) organizations the caller may see."""
    user = current_user()
    sess = db.session()
    ids = list(body["organization_ids"])
    if body["flagged"]:
        ids = list(dict.fromkeys(ids + bulk.flagged_ids(sess, user)))
    if not ids:
        raise InvalidInput("give organization_ids or flagged: true",
                           details={"fields": {"organization_ids": ["empty"]}})
    return _bulk_result(bulk.start_zombie_cleanup(sess, ids, user.username, visible_to=user))


@blp.route("/party-building", methods=["POST"])
@auth_required(Role.SUPERVISOR)
@blp.arguments(PartyBuildingCampaignSchema)
@blp.response(200, ZombieCleanupResultSchema)
def party_building(body: dict) -> dict:
    """Start the 党建攻坚 campaign's party_building cases for the listed (or all uncovered) organizations the
    caller may see; organizations with an open case are skipped."""
    user = current_user()
    sess = db.session()
    ids = list(body["organization_ids"])
    if body["uncovered"]:
        ids = list(dict.fromkeys(ids + bulk.uncovered_ids(sess, user)))
    if not ids:
        raise InvalidInput("give organization_ids or uncovered: true",
                           details={"fields": {"organization_ids": ["empty"]}})
    return _bulk_result(bulk.start_party_building(sess, ids, user.username, visible_to=user))


def _bulk_result(result: bulk.BulkResult) -> dict:
    """A bulk start's result as the API shows it."""
    return {
        "process_key": result.process_key, "started": len(result.started), "skipped": len(result.skipped),
        "failed": len(result.failed), "seconds": round(result.seconds, 3),
        "started_items": [{"organization_id": o, "instance_id": i} for o, i in result.started],
        "skipped_items": [{"organization_id": o, "reason": r} for o, r in result.skipped],
    }
