"""Documents of a case over the API: list, read, print; visible exactly like their case."""

from __future__ import annotations

import re

import pytest

from workflow_app.db import unit_of_work
from workflow_app.documents.service import DocumentService
from workflow_app.services import instance_service


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
