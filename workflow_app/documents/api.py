"""Documents of a case: list, read (JSON with the HTML) and print (the HTML page itself)."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from workflow_app import db
from workflow_app.api.errors import documents_errors
from workflow_app.auth.current import auth_required, current_user
from workflow_app.directory.models import User
from workflow_app.documents.context import authority_name
from workflow_app.documents.life import DocumentLife
from workflow_app.documents.models import Document, DocumentStatus, ServiceMethod
from workflow_app.documents.service import DocumentService
from workflow_app.instances.disclosure import reads_as_organization
from workflow_app.instances.models import ProcessInstance

blp = Blueprint("documents", __name__, url_prefix="", description="Documents issued by cases (文书).")

# Stored documents are complete pages with inline print CSS; nothing else may load or run in them.
PRINT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


class PageArgsSchema(Schema):
    """?page=&per_page= of a list."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class DocumentSchema(Schema):
    """A document's metadata."""

    id = fields.String(dump_only=True)
    instance_id = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)
    template = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    number = fields.String(dump_only=True, allow_none=True)
    task_name = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    created_by = fields.String(dump_only=True, allow_none=True)
    status = fields.Enum(DocumentStatus, by_value=True, dump_only=True,
                         metadata={"description": "issued (出具), served (已送达) or void (已作废)"})
    issued_at = fields.DateTime(attribute="created_at", dump_only=True)
    served_at = fields.Date(attribute="served_on", dump_only=True, allow_none=True,
                            metadata={"description": "the day the party received it"})
    service_method = fields.Enum(ServiceMethod, by_value=True, dump_only=True, allow_none=True)
    service_receipt = fields.String(dump_only=True, allow_none=True,
                                    metadata={"description": "the attachment id of the 送达回证"})
    voided_at = fields.DateTime(dump_only=True, allow_none=True)
    void_reason = fields.String(dump_only=True, allow_none=True)


class ServiceRecordSchema(Schema):
    """送达: how and when the party received the document."""

    method = fields.Enum(ServiceMethod, by_value=True, required=True)
    served_at = fields.Date(required=True, metadata={"description": "the day the party received it"})
    receipt = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36),
                            metadata={"description": "the attachment id of the 送达回证 scan"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    consent = fields.Boolean(load_default=False, metadata={"description": "electronic service: the party agreed"})


class VoidSchema(Schema):
    """作废: the reason."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DocumentDetailSchema(DocumentSchema):
    """A document with its HTML."""

    html = fields.String(dump_only=True)


class DocumentListSchema(Schema):
    """A page of documents."""

    items = fields.List(fields.Nested(DocumentSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@blp.route("/process-instances/<string:instance_id>/documents")
@auth_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, DocumentListSchema)
def instance_documents(args: dict, instance_id: str) -> dict:
    """The documents a case issued, oldest first (404 when the case is not visible; an organization reads
    those issued to it, signed by the office)."""
    user = current_user()
    items, total = DocumentService(db.session()).for_instance(user, instance_id, **args)
    return {"items": [_as_read(user, d) for d in items], "total": total, **args}


@blp.route("/documents/<string:document_id>")
@auth_required()
@blp.response(200, DocumentDetailSchema)
def document(document_id: str) -> object:
    """One document with its HTML."""
    user = current_user()
    return _as_read(user, DocumentService(db.session()).get(user, document_id))


def _as_read(user: User, document: Document) -> object:
    """The document as ``user`` reads it: an organization sees the issuing office, not the staff member."""
    if not reads_as_organization(user):
        return document
    region = db.session().scalar(select(ProcessInstance.region_code).where(ProcessInstance.id == document.instance_id))
    attributes = {field.attribute or name for name, field in DocumentDetailSchema().fields.items()}
    shown = {attribute: getattr(document, attribute) for attribute in attributes}
    return {**shown, "created_by": authority_name(db.session(), region)}


@blp.route("/documents/<string:document_id>/print")
@auth_required()
@blp.doc(responses={200: {"description": "the document as a printable HTML page (A4 print CSS)",
                          "content": {"text/html": {"schema": {"type": "string"}}}}})
def print_document(document_id: str) -> Response:
    """The document as the printable HTML page it was issued as."""
    doc = DocumentService(db.session()).get(current_user(), document_id)
    response = Response(doc.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PRINT_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.route("/documents/<string:document_id>/service", methods=["POST"])
@auth_required()
@blp.arguments(ServiceRecordSchema)
@blp.response(200, DocumentSchema)
@documents_errors(blp, 401, 403, 404, 409)
def record_service(body: dict, document_id: str) -> object:
    """送达: record the method, the day the party received the document and the 回证 (staff, once)."""
    return DocumentLife(db.session()).record_service(
        current_user(), document_id, method=body["method"], served_on=body["served_at"], receipt=body["receipt"],
        note=body["note"], consent=body["consent"])


@blp.route("/documents/<string:document_id>/void", methods=["POST"])
@auth_required()
@blp.arguments(VoidSchema)
@blp.response(200, DocumentSchema)
@documents_errors(blp, 401, 403, 404, 409)
def void_document(body: dict, document_id: str) -> object:
    """作废: a supervisor or an admin voids a document with a reason; its number is never reused."""
    return DocumentLife(db.session()).void(current_user(), document_id, body["reason"])
