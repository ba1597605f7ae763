"""API shapes of the organization registry."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from workflow_app.api.paging import PageArgsSchema, id_field
from workflow_app.organizations.labels import ORG_TYPE_LABELS, PARTY_LABELS, STATUS_LABELS
from workflow_app.organizations.models import OrgStatus, OrgType, PartyOrgStatus


class OrganizationArgsSchema(PageArgsSchema):
    """Filters and paging of the list."""

    q = fields.String(validate=validate.Length(min=1, max=128),
                      metadata={"description": "part of the name, or the exact 统一社会信用代码"})
    status = fields.String(validate=validate.OneOf([s.value for s in OrgStatus]))
    region = fields.String(validate=validate.Length(max=12), metadata={"description": "this region and below"})
    org_type = fields.String(validate=validate.OneOf([t.value for t in OrgType]))
    party_org_status = fields.String(validate=validate.OneOf([p.value for p in PartyOrgStatus]))
    flag = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$"),
                         metadata={"description": "only organizations whose flag is true, e.g. suspected_zombie"})


class OrganizationSchema(Schema):
    """One registry row."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    uscc = fields.String(dump_only=True, allow_none=True)
    uscc_provisional = fields.Boolean(dump_only=True, metadata={"description": "minted here; the national code is not entered yet"})
    org_type = fields.Function(lambda o: o.org_type.value, dump_only=True)
    org_type_label = fields.Function(lambda o: ORG_TYPE_LABELS[o.org_type], dump_only=True)
    category = fields.String(dump_only=True)
    region = fields.String(attribute="region_code", dump_only=True)
    status = fields.Function(lambda o: o.status.value, dump_only=True)
    status_label = fields.Function(lambda o: STATUS_LABELS[o.status], dump_only=True)
    party_org_status = fields.Function(lambda o: o.party_org_status.value, dump_only=True)
    party_org_label = fields.Function(lambda o: PARTY_LABELS[o.party_org_status], dump_only=True)
    charter_party_clause = fields.Boolean(dump_only=True)
    residence = fields.String(dump_only=True, allow_none=True)
    legal_representative = fields.String(dump_only=True, allow_none=True)
    sponsor_unit = fields.String(dump_only=True, allow_none=True)  # 业务主管单位; none when registered directly
    flags = fields.Dict(dump_only=True)
    registered_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class OrganizationListSchema(Schema):
    """A page of organizations."""

    items = fields.List(fields.Nested(OrganizationSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class ZombieCleanupSchema(Schema):
    """Which organizations to start zombie_cleanup cases for: a list of ids, or every flagged one."""

    organization_ids = fields.List(id_field(),
                                   validate=validate.Length(max=20000), load_default=list)
    flagged = fields.Boolean(load_default=False,
                             metadata={"description": "every visible active organization flagged suspected_zombie"})


class PartyBuildingCampaignSchema(Schema):
    """Which organizations to start party_building cases for: a list of ids, or every uncovered one."""

    organization_ids = fields.List(id_field(),
                                   validate=validate.Length(max=20000), load_default=list)
    uncovered = fields.Boolean(load_default=False,
                               metadata={"description": "every visible active organization without a party organization"})


class BulkItemSchema(Schema):
    """One organization of a bulk start."""

    organization_id = fields.Integer()
    instance_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class ZombieCleanupResultSchema(Schema):
    """What a bulk start did."""

    process_key = fields.String()
    started = fields.Integer()
    skipped = fields.Integer()
    failed = fields.Integer(metadata={"description": "cases started but in error (see their detail)"})
    seconds = fields.Float()
    started_items = fields.List(fields.Nested(BulkItemSchema))
    skipped_items = fields.List(fields.Nested(BulkItemSchema))


organization_schema = OrganizationSchema()
