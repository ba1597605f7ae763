"""API shapes of users and regions."""

from __future__ import annotations

from marshmallow import Schema, fields


class UserSchema(Schema):
    """A user as other users may see them."""

    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    role = fields.Function(lambda u: u.role.value, dump_only=True)
    region = fields.String(attribute="region_code", dump_only=True)
    region_name = fields.Function(lambda u: u.region.name if u.region else None, dump_only=True)
    groups = fields.Function(lambda u: u.group_names, dump_only=True)
    organization_id = fields.Integer(dump_only=True, allow_none=True)
