"""The case file over HTTP: submissions read back with labels and changes, filtered for the organization;
the archive ZIP with its summary and documents, for staff only."""

from __future__ import annotations

import io
import zipfile

from tests.tasks.conftest import APPLY, JILIN_CITY, Flow
from workflow_app.db import unit_of_work
from workflow_app.documents.service import DocumentService
from workflow_app.instances.models import ProcessInstance

URL = "/api/v1/process-instances"


def get(client, auth, who: str, path: str):
    return client.get(f"{URL}/{path}", headers=auth(who))


def test_staff_read_every_submission_with_titles_and_labels(flow: Flow, client, auth):
    instance_id, approve = flow.to("approve")
    response = get(client, auth, "approver_cc", f"{instance_id}/submissions")
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert [i["task_name"] for i in items] == ["apply", "accept", "review"]
    apply, _accept, review = items
    assert apply["data"] == APPLY and apply["submitted_by"] == "applicant" and apply["form_version"] == 1
    assert apply["labels"]["title"]["title"] == "事项名称" and apply["labels"]["amount"]["title"] == "金额（元）"
    assert review["labels"]["decision"] == {"title": "审核结论",
                                            "values": {"approve": "通过", "reject": "不通过", "return": "退回"}}
    assert review["data"]["opinion"] == "同意报批"


def test_the_organization_reads_only_its_own_submissions(flow: Flow, client, auth):
    instance_id, _ = flow.to("approve")
    items = get(client, auth, "applicant", f"{instance_id}/submissions").get_json()["items"]
    assert [i["task_name"] for i in items] == ["apply"]


def test_a_resubmission_shows_what_it_changed(flow: Flow, post, client, auth):
    instance_id, accept = flow.to("accept")
    response = post("window_cc", f"{accept.id}/return", {"opinion": "事项名称请写全称", "to_task": "apply"})
    assert response.status_code == 200, response.get_json()
    apply = flow.open(instance_id, "apply")
    response = post("applicant", f"{apply.id}/complete", {"data": {**APPLY, "title": "2026年度会员大会"}})
    assert response.status_code == 200, response.get_json()
    items = get(client, auth, "window_cc", f"{instance_id}/submissions").get_json()["items"]
    assert [i["task_name"] for i in items] == ["apply", "apply"]
    assert items[0]["changes"] == {}
    assert items[1]["changes"] == {"title": {"before": "年度会员大会", "after": "2026年度会员大会"}}


def test_a_case_out_of_reach_has_no_submissions_or_archive(flow: Flow, client, auth):
    instance_id = flow.start(region=JILIN_CITY)
    assert get(client, auth, "window_cc", f"{instance_id}/submissions").status_code == 404
    assert get(client, auth, "window_cc", f"{instance_id}/archive").status_code == 404


def test_the_archive_holds_the_summary_and_every_document(flow: Flow, client, auth, session):
    instance_id, _ = flow.to("approve")
    case = session.get(ProcessInstance, instance_id)
    with unit_of_work(session):
        DocumentService(session).issue(case, template="_example.html", title="受理通知书",
                                       variables={"org_name": "长春市软件行业协会"}, number_series="test_notice")
    response = get(client, auth, "approver_cc", f"{instance_id}/archive")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert names[0] == "卷宗目录.html" and any(n.startswith("文书/01-受理通知书-") for n in names)
    summary = archive.read("卷宗目录.html").decode()
    assert "年度会员大会" in summary and "同意报批" in summary and "受理通知书" in summary
    assert "事项名称" in summary  # the form's titles, not the field names


def test_the_organization_takes_no_archive(flow: Flow, client, auth):
    instance_id, _ = flow.to("approve")
    response = get(client, auth, "applicant", f"{instance_id}/archive")
    assert response.status_code == 403

