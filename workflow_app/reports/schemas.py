"""The JSON shape of the supervisor figures (GET /api/v1/reports/figures), dumped from the dataclasses."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class FiguresQuerySchema(Schema):
    """?region=: a region at or below the caller's (default: the caller's own)."""

    region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$"),
                           metadata={"description": "region code, e.g. 220100; default: the caller's region"})


class CoverageSchema(Schema):
    """Party coverage of a set of active organizations; rates are 0–1 or null."""

    active = fields.Integer()
    single = fields.Integer(metadata={"description": "单独组建"})
    joint = fields.Integer(metadata={"description": "联合组建"})
    temporary = fields.Integer(metadata={"description": "临时组建"})
    instructor = fields.Integer(metadata={"description": "党建工作指导员 only (工作覆盖)"})
    charter_clause = fields.Integer(metadata={"description": "党建入章"})
    organization_covered = fields.Integer()
    organization_rate = fields.Float(allow_none=True, metadata={"description": "组织覆盖率"})
    work_rate = fields.Float(allow_none=True, metadata={"description": "工作覆盖率"})
    total_rate = fields.Float(allow_none=True)
    charter_clause_rate = fields.Float(allow_none=True)


class CoveragePointSchema(Schema):
    """One month of the trend."""

    month = fields.String()
    coverage = fields.Nested(CoverageSchema)
    provincial = fields.Nested(CoverageSchema, allow_none=True)


class PartyCoverageSchema(Schema):
    """Coverage now, for 全省性 organizations alone (null outside the province's scope), and by month."""

    all = fields.Nested(CoverageSchema)
    provincial = fields.Nested(CoverageSchema, allow_none=True)
    trend = fields.List(fields.Nested(CoveragePointSchema))


class CountSchema(Schema):
    """A labelled count (label in Chinese)."""

    key = fields.String()
    label = fields.String()
    value = fields.Integer()


class SituationRowSchema(Schema):
    """One zombie situation by outcome."""

    key = fields.String()
    label = fields.String()
    total = fields.Integer()
    by_outcome = fields.Dict(keys=fields.String(), values=fields.Integer())


class ZombieProgressSchema(Schema):
    """The zombie cleanup by outcome and by situation."""

    total = fields.Integer()
    by_outcome = fields.List(fields.Nested(CountSchema))
    in_progress = fields.Integer()
    by_situation = fields.List(fields.Nested(SituationRowSchema))


class RegistrationTimeSchema(Schema):
    """Working days from 受理 to decision, pauses excluded, decided registrations only."""

    decided = fields.Integer()
    mean_workdays = fields.Float(allow_none=True)
    median_workdays = fields.Float(allow_none=True)
    max_workdays = fields.Integer(allow_none=True)
    within_limit = fields.Integer()


class FiguresSchema(Schema):
    """Every figure of one region scope."""

    region_code = fields.String()
    region_name = fields.String()
    party = fields.Nested(PartyCoverageSchema)
    zombies = fields.Nested(ZombieProgressSchema)
    registration = fields.Nested(RegistrationTimeSchema)
