"""Documents of a case over the API: list, read, print; visible exactly like their case."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from workflow_app import clock, db
from workflow_app.attachments.models import Attachment
from workflow_app.db import unit_of_work
from workflow_app.documents.service import DocumentService
from workflow_app.services import instance_service
from workflow_app.tasks.models import HumanTask


@pytest.fixture
def documents(deployed_sample, demo, session):
    """A province case started by the applicant, with two issued documents; returns (case id, [doc ids])."""
    case = instance_service().start("sample_review", {"org_name": "长春市<b>软件</b>行业协会"},
                                    started_by="applicant", region_code="220000").instance
    with unit_of_work(session):
        issued = [DocumentService(session).issue(case, template="_example.html", title=title,
                                                 variables={"org_name": "长春市<b>软件</b>行业协会"},
                                                 number_series="test_notice" if i else None, actor="window_prov")
                  for i, title in enumerate(("事先告知书", "受理通知书"))]
    return case.id, [d.id for d in issued]


def test_the_cases_documents_are_listed_oldest_first(documents, client, auth):
    case_id, ids = documents
    body = client.get(f"/api/v1/process-instances/{case_id}/documents", headers=auth("window_prov")).get_json()
    assert [d["id"] for d in body["items"]] == ids
    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 50)
    first, second = body["items"]
    assert (first["title"], first["number"], first["kind"], first["created_by"]) == (
        "事先告知书", None, "_example", "window_prov")
    assert re.fullmatch(r"〔\d{4}〕1号", second["number"])
    assert "html" not in first


def test_a_document_comes_with_its_html_and_as_a_print_page(documents, client, auth):
    _, [doc_id, _] = documents
    body = client.get(f"/api/v1/documents/{doc_id}", headers=auth("applicant")).get_json()
    assert "长春市&lt;b&gt;软件&lt;/b&gt;行业协会" in body["html"]
    response = client.get(f"/api/v1/documents/{doc_id}/print", headers=auth("applicant"))
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert page == body["html"] and "@page { size: A4" in page and "@media print" in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "<script" not in page


@pytest.mark.parametrize("user", ["window_cc", "designer"])
def test_documents_of_a_case_the_user_cannot_see_are_404(documents, client, auth, user):
    case_id, [doc_id, _] = documents
    for path in (f"/process-instances/{case_id}/documents", f"/documents/{doc_id}", f"/documents/{doc_id}/print"):
        response = client.get("/api/v1" + path, headers=auth(user))
        assert response.status_code == 404, path


def test_unknown_documents_and_missing_logins(documents, client, auth):
    response = client.get("/api/v1/documents/no-such-id", headers=auth("admin"))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "document_not_found"
    assert client.get(f"/api/v1/documents/{documents[1][0]}").status_code == 401


def test_an_id_that_is_not_a_uuid_is_a_404_before_any_query(client, auth):
    headers = auth("admin")
    for path in ["/api/v1/documents/%00abc", "/api/v1/documents/abc/print",
                 "/api/v1/process-instances/%00x/documents"]:
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path


# -- a document's life: served (送达) or void (作废) -------------------------------------------------


def receipt_of(case_id: str) -> str:
    """An attachment of the case standing for the scanned 送达回证."""
    session = db.session()
    task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == case_id)).first()
    with unit_of_work(session):
        row = Attachment(instance_id=case_id, task_id=task_id, field="receipt_files", filename="回证.pdf", size=5,
                         sha256="0" * 64, content_type="application/pdf", uploaded_by="window_prov")
        session.add(row)
    return row.id


def _post(client, auth, who: str, path: str, body: dict):
    return client.post(f"/api/v1/documents/{path}", json=body, headers=auth(who))


def test_service_is_recorded_once_with_its_method_day_and_receipt(documents, client, auth):
    case_id, [_, doc_id] = documents
    today = clock.local_now().date().isoformat()
    stranger = _post(client, auth, "window_prov", f"{doc_id}/service",
                     {"method": "mail", "served_at": today, "receipt": "9b2f0000-0000-0000-0000-000000000001"})
    assert stranger.status_code == 422 and "receipt" in stranger.get_json()["error"]["details"]["fields"]
    receipt = receipt_of(case_id)
    response = _post(client, auth, "window_prov", f"{doc_id}/service",
                     {"method": "mail", "served_at": today, "receipt": receipt, "note": "EMS 1234567890"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["served_at"], body["service_method"]) == ("served", today, "mail")
    assert body["service_receipt"] == receipt
    again = _post(client, auth, "window_prov", f"{doc_id}/service", {"method": "direct", "served_at": today})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "document_already_served"
    listed = client.get(f"/api/v1/process-instances/{case_id}/documents", headers=auth("window_prov")).get_json()
    assert [(d["status"], d["served_at"]) for d in listed["items"]] == [("issued", None), ("served", today)]


@pytest.mark.parametrize("body,field", [
    ({"method": "electronic"}, "consent"),
    ({"method": "direct", "served_at": "2999-01-01"}, "served_on"),
    ({"method": "direct", "served_at": "2000-01-01"}, "served_on"),
])
def test_service_records_that_cannot_be_true_are_422(documents, client, auth, body, field):
    _, [doc_id, _] = documents
    body = {"served_at": clock.local_now().date().isoformat(), **body}
    response = _post(client, auth, "window_prov", f"{doc_id}/service", body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_only_the_office_records_service(documents, client, auth):
    _, [doc_id, _] = documents
    today = clock.local_now().date().isoformat()
    response = _post(client, auth, "applicant", f"{doc_id}/service", {"method": "direct", "served_at": today})
    assert response.status_code == 403
    assert _post(client, auth, "window_cc", f"{doc_id}/service",  # a city clerk cannot see a province case
                 {"method": "direct", "served_at": today}).status_code == 404


def test_a_supervisor_voids_a_document_with_a_reason_and_a_void_one_cannot_be_served(documents, client, auth,
                                                                                     session):
    _, [_, doc_id] = documents
    assert _post(client, auth, "window_prov", f"{doc_id}/void", {"reason": "写错了"}).status_code == 403
    assert _post(client, auth, "supervisor_prov", f"{doc_id}/void", {"reason": ""}).status_code == 422
    response = _post(client, auth, "supervisor_prov", f"{doc_id}/void", {"reason": "文书事项填写错误"})
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["void_reason"]) == ("void", "文书事项填写错误")
    assert _post(client, auth, "supervisor_prov", f"{doc_id}/void", {"reason": "再次"}).status_code == 409
    served = _post(client, auth, "window_prov", f"{doc_id}/service",
                   {"method": "direct", "served_at": clock.local_now().date().isoformat()})
    assert served.status_code == 409 and served.get_json()["error"]["code"] == "document_void"
