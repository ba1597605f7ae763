"""API shapes of process definitions: the catalogue, one version with its XML, uploads and their outcome."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from workflow_app.instances.schemas import MAX_ID, PageArgsSchema, PageSchema


class DefinitionListArgsSchema(PageArgsSchema):
    """``?all_versions=true`` lists every version, not only the latest of each key."""

    all_versions = fields.Boolean(load_default=False)


class DefinitionVersionArgsSchema(Schema):
    """``?version=N``; the latest version when absent."""

    version = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class DefinitionSummarySchema(Schema):
    """One version of a process in the catalogue."""

    key = fields.String(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    deployed_at = fields.DateTime(required=True)
    deployed_by = fields.String(allow_none=True)
    sha256 = fields.String()
    running_instances = fields.Integer(required=True, metadata={"description": "running cases on this version"})


class DefinitionPageSchema(PageSchema):
    """A page of the catalogue."""

    items = fields.List(fields.Nested(DefinitionSummarySchema), required=True)


class DefinitionDetailSchema(DefinitionSummarySchema):
    """One version with its BPMN XML and what the designer needs to know of it."""

    bpmn_file = fields.String(required=True)
    bpmn_xml = fields.String(required=True)
    files = fields.List(fields.String(), required=True, metadata={"description": "every file of this version"})
    task_meta = fields.Dict(required=True, metadata={"description": "{bpmn_id: {title, lane, form, time_limit, …}}"})
    properties = fields.Dict()


class UploadSchema(Schema):
    """A multipart upload: one or more ``files`` (.bpmn, .dmn, forms as .json)."""

    files = fields.List(Upload(), required=True, validate=validate.Length(min=1),
                        metadata={"description": "`.bpmn`/`.dmn` files and JSON Schema forms (`x.json` or "
                                                 "`forms/x.json`, stored as `forms/x.json`)"})


class DeployedItemSchema(Schema):
    """What a deploy did for one process."""

    key = fields.String(required=True)
    version = fields.Integer(required=True)
    created = fields.Boolean(required=True, metadata={"description": "false: identical files, existing version"})
    warnings = fields.List(fields.Dict(), metadata={
        "description": "only when there are some; deployed anyway: e.g. a sequence-flow loop with no bound "
                       "({file, element_id, line, message})"})


class DeployedSchema(DeployedItemSchema):
    """The outcome of an upload: the (first) process, and every process the files held."""

    deployed = fields.List(fields.Nested(DeployedItemSchema), required=True)
