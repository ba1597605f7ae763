"""Case data stored before the edge check (SQLite keeps a ``\\ud800`` escape in its JSON) renders, never fails.

A lone surrogate has no UTF-8 encoding: a document holding one failed at flush (the issuing
step put the case in error) and a page holding one was a 500. Both now print U+FFFD instead.
"""

from __future__ import annotations

import pytest

from tests.web.support import Pages, text
from workflow_app.db import unit_of_work
from workflow_app.documents.models import Document
from workflow_app.documents.service import DocumentService
from workflow_app.services import instance_service

STORED = "长春市\ud800软件协会"


@pytest.fixture
def stored_case(deployed_sample, demo, session, database_url):
    """A province case whose variables hold a lone surrogate, as an older version could store it on SQLite."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's jsonb refuses a lone surrogate: only SQLite can hold such older data")
    case = instance_service().start("sample_review", {"org_name": STORED}, started_by="applicant",
                                    region_code="220000").instance
    session.commit()
    return case


def test_a_document_of_such_a_case_is_issued_with_a_replacement_character(stored_case, session):
    with unit_of_work(session):
        document = DocumentService(session).issue(stored_case, template="_example.html", title="受理通知书",
                                                  variables={"org_name": STORED})
    session.expire_all()
    html = session.get(Document, document.id).html
    assert "长春市\ufffd软件协会" in html
    html.encode("utf-8")


def test_the_case_page_shows_such_data_instead_of_failing(web, stored_case):
    response = Pages(web, "admin").get(f"/cases/{stored_case.id}")
    assert response.status_code == 200
    assert "长春市\ufffd软件协会" in text(response)
