"""DELETE /api/v1/attachments/{id} (撤回): the uploader withdraws a wrong file of an open step; nobody else,
never after the step is done, never a file something recorded names; the bytes stay in the store."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select

from tests.attachments import samples
from tests.attachments.conftest import attachment_count, stored_files
from tests.processes.test_registration import APPLICATION, MATERIAL_FILES, REVIEW_PASS
from tests.web.support import accept, deploy_registration, open_task, registration_at_accept, user, with_files
from workflow_app import clock, db
from workflow_app.attachments.service import attachment_service
from workflow_app.db import unit_of_work
from workflow_app.directory.models import User
from workflow_app.documents.models import Document
from workflow_app.errors import InvalidInput
from workflow_app.instances.models import AuditEvent
from workflow_app.tasks.service import TaskService, task_service

PDF = samples.pdf("charter")


@pytest.fixture
def withdraw(client, auth):
    """DELETE one attachment as a demo user; the response."""

    def send(attachment_id: str, who: str = "applicant"):
        return client.delete(f"/api/v1/attachments/{attachment_id}", headers=auth(who))

    return send


def _events(instance_id: str) -> list[AuditEvent]:
    session = db.session()
    session.rollback()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                         AuditEvent.action == "attachment_withdraw")))


def test_the_uploader_withdraws_a_wrong_file_and_may_upload_past_the_limit_again(
        app, session, client, auth, start_registration, upload, withdraw):
    case, task = start_registration()
    ids = [upload(task, samples.pdf(f"page {n}"), f"章程{n}.pdf").get_json()["id"] for n in range(10)]
    assert upload(task, PDF, "章程（定稿）.pdf").status_code == 422  # the field is full
    answer = withdraw(ids[3])
    assert answer.status_code == 204 and answer.data == b""
    assert client.get(f"/api/v1/attachments/{ids[3]}", headers=auth("applicant")).status_code == 404
    assert attachment_count(session) == 9
    assert upload(task, PDF, "章程（定稿）.pdf").status_code == 201  # its place is free again
    [event] = _events(case)
    assert (event.actor, event.task_id, event.opinion) == ("applicant", task, "撤回附件「章程3.pdf」")
    assert event.details["attachment_id"] == ids[3] and event.details["field"] == "charter_files"
    history = client.get(f"/api/v1/process-instances/{case}/history", headers=auth("applicant")).get_json()
    assert "attachment_withdraw" in [e["action"] for e in history["items"]]  # the organization's own act


def test_a_second_withdrawal_and_ids_that_name_nothing_are_404(app, start_registration, upload, withdraw):
    _case, task = start_registration()
    ident = upload(task, PDF).get_json()["id"]
    assert withdraw(ident).status_code == 204
    for missing in (ident, "00000000-0000-4000-8000-000000000000", "not-a-uuid", "x" * 300):
        answer = withdraw(missing)
        assert answer.status_code == 404, missing
        assert answer.get_json()["error"]["code"] == "attachment_not_found"


@pytest.mark.parametrize("who", ["applicant_jl", "window_jl", "reviewer_jl", "designer"])
def test_whoever_may_not_see_the_file_gets_404_and_it_stays(app, session, start_registration, upload, withdraw, who):
    _case, task = start_registration()
    ident = upload(task, PDF).get_json()["id"]
    answer = withdraw(ident, who)
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "attachment_not_found"
    assert attachment_count(session) == 1


def test_staff_who_see_the_case_may_not_withdraw_the_organizations_file(
        app, session, start_registration, upload, withdraw):
    _case, task = start_registration()
    ident = upload(task, PDF).get_json()["id"]
    for who in ("window_cc", "supervisor_cc", "supervisor_prov"):
        assert withdraw(ident, who).status_code in (403, 404), who
    # An admin may work every task, and still not withdraw another person's file.
    answer = withdraw(ident, "admin")
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "attachment_not_uploader"
    assert "只有上传人可以撤回" in answer.get_json()["error"]["message"]
    assert attachment_count(session) == 1


def test_after_completion_the_steps_files_are_kept(app, session, start_registration, upload, withdraw):
    case, task = start_registration()
    applicant = user("applicant")
    data = with_files(applicant, task, APPLICATION)
    stray = upload(task, PDF, "多余.pdf").get_json()["id"]  # uploaded, left out of the submission
    task_service().complete(applicant, task, data, None)
    for ident in [stray, *data["charter_files"]]:
        answer = withdraw(ident)
        assert answer.status_code == 409
        assert answer.get_json()["error"]["code"] == "attachment_locked"
        assert "已办理或已取消" in answer.get_json()["error"]["message"]
    assert attachment_count(session) == sum(len(data[f]) for f in MATERIAL_FILES) + 1 and _events(case) == []


def test_a_cancelled_case_keeps_its_files(app, session, client, auth, start_registration, upload, withdraw):
    case, task = start_registration()
    ident = upload(task, PDF).get_json()["id"]
    cancel = client.post(f"/api/v1/process-instances/{case}/cancel", json={"reason": "申请人撤回申请"},
                         headers=auth("admin"))
    assert cancel.status_code == 200, cancel.get_json()
    assert withdraw(ident).status_code in (404, 409)  # the step is cancelled (or no longer the applicant's)
    assert attachment_count(session) == 1


def test_the_bytes_stay_in_the_store_shared_or_not(app, session, client, auth, start_registration, upload, withdraw):
    _case, task = start_registration()
    _other_case, other_task = start_registration()
    first = upload(task, PDF, "章程.pdf").get_json()["id"]
    second = upload(other_task, PDF, "章程副本.pdf").get_json()["id"]
    digest = hashlib.sha256(PDF).hexdigest()
    assert [p.name for p in stored_files(app)] == [digest]
    assert withdraw(first).status_code == 204
    kept = client.get(f"/api/v1/attachments/{second}", headers=auth("applicant"))
    assert kept.status_code == 200 and kept.data == PDF
    assert withdraw(second).status_code == 204
    # Never deleted in the request: an upload of the same bytes may be on its way (the sweep reclaims them).
    assert [p.name for p in stored_files(app)] == [digest] and attachment_count(session) == 0


def test_a_withdrawal_that_fails_changes_nothing(app, session, start_registration, upload, withdraw, monkeypatch):
    from workflow_app.instances import audit

    case, task = start_registration()
    ident = upload(task, PDF).get_json()["id"]

    def broken(*_args, **_kwargs):
        raise RuntimeError("the audit trail is unwritable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        attachment_service().withdraw(user("applicant"), ident)
    monkeypatch.undo()
    assert attachment_count(session) == 1 and len(stored_files(app)) == 1 and _events(case) == []


# -- what recorded submissions and documents name stays ---------------------------------------------------


def _review_delegated(reviewer_files: int = 1) -> tuple[str, str, list[str]]:
    """A registration at 审核: the reviewer claims it, uploads site photos and delegates it to approver_cc."""
    deploy_registration()
    case, accept_id = registration_at_accept()
    accept(accept_id)
    review = open_task(case, "review").id
    tasks, reviewer = task_service(), user("reviewer_cc")
    tasks.claim(reviewer, review)
    photos = [attachment_service().upload(reviewer, review, "site_photos", f"现场{n}.png",
                                          io.BytesIO(samples.png((n, 1, 2)))).id for n in range(reviewer_files)]
    tasks.delegate(reviewer, review, "approver_cc")
    return case, review, photos


def test_the_delegate_may_not_withdraw_the_delegators_file_and_an_answer_keeps_it(
        app, session, client, auth, withdraw):
    case, review, [photo, spare] = _review_delegated(2)
    refused = withdraw(photo, "approver_cc")  # holds the step now, did not upload it
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "attachment_not_uploader"
    assert withdraw(photo, "reviewer_cc").status_code == 409  # task_claimed: the delegate holds it
    task_service().complete(user("approver_cc"), review, {
        **REVIEW_PASS, "site_check": True, "site_check_on": clock.local_now().date().isoformat(),
        "site_check_findings": "办公场所真实。", "site_photos": [photo]}, "请确认")
    # Back with the reviewer: the delegate's answer names the photo, which is now part of the record.
    answer = withdraw(photo, "reviewer_cc")
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "attachment_locked"
    assert "已在提交的表单或送达记录中引用" in answer.get_json()["error"]["message"]
    assert withdraw(spare, "reviewer_cc").status_code == 204  # the one the answer left out may go
    assert len(_events(case)) == 1
    history = client.get(f"/api/v1/process-instances/{case}/history", headers=auth("applicant")).get_json()
    assert "attachment_withdraw" not in [e["action"] for e in history["items"]]  # staff's: internal


def test_a_file_recorded_as_a_service_receipt_stays(app, session, client, auth, start_registration, upload, withdraw):
    case, task = start_registration()
    ident = upload(task, PDF, "送达回证.pdf").get_json()["id"]
    with unit_of_work(session):
        document = Document(instance_id=case, template="t.html", kind="t", title="受理通知书", html="<p></p>")
        session.add(document)
    served = client.post(f"/api/v1/documents/{document.id}/service", headers=auth("window_cc"), json={
        "method": "direct", "served_at": clock.local_now().date().isoformat(), "receipt": ident})
    assert served.status_code == 200, served.get_json()
    answer = withdraw(ident)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "attachment_locked"
    assert attachment_count(session) == 1


def test_a_completion_that_names_a_file_withdrawn_meanwhile_is_refused(
        app, session, new_session, start_registration, upload, monkeypatch):
    """The completion checks its files, then the uploader withdraws one (in another request), then the
    completion takes the case lock: it must see the file gone, not record a dangling id."""
    case, task = start_registration()
    applicant = user("applicant")
    files = {f: [upload(task, samples.pdf(f), field=f).get_json()["id"]] for f in MATERIAL_FILES}
    validated = TaskService.validated

    def then_withdrawn(self, *args, **kwargs):
        checked = validated(self, *args, **kwargs)
        other = new_session()
        attachment_service(other).withdraw(other.get(User, applicant.id), files["charter_files"][0])
        return checked

    monkeypatch.setattr(TaskService, "validated", then_withdrawn)
    with pytest.raises(InvalidInput) as refused:
        task_service().complete(applicant, task, {**APPLICATION, **files}, None)
    assert list(refused.value.details["fields"]) == ["charter_files"]
    session.rollback()
    assert open_task(case, "apply").id == task  # still open, nothing recorded


def test_a_receipt_being_recorded_holds_off_the_withdrawal_of_its_file(
        app, database_url, new_session, start_registration, upload):
    """PostgreSQL: the 送达回证 record share-locks the file; a withdrawal waits, then sees the record."""
    import threading

    from workflow_app.attachments.service import AttachmentLocked
    from workflow_app.documents.life import mark_served
    from workflow_app.documents.models import ServiceMethod

    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: nothing to interleave")
    case, task = start_registration()
    ident = upload(task, PDF, "送达回证.pdf").get_json()["id"]
    recorder = new_session()
    with unit_of_work(recorder):
        document = Document(instance_id=case, template="t.html", kind="t", title="受理通知书", html="<p></p>")
        recorder.add(document)
    outcome: dict[str, object] = {}

    def withdraw_meanwhile() -> None:
        with app.app_context():
            other = new_session()
            try:
                outcome["done"] = attachment_service(other).withdraw(other.get(User, user("applicant").id), ident)
            except Exception as exc:  # the test reads it
                outcome["error"] = exc

    with unit_of_work(recorder):
        mark_served(recorder, recorder.get(Document, document.id), method=ServiceMethod.DIRECT,
                    served_on=clock.local_now().date(), receipt=ident, note=None, consent=False, actor="window_cc")
        waiting = threading.Thread(target=withdraw_meanwhile)
        waiting.start()
        waiting.join(timeout=1.5)
        assert waiting.is_alive()  # held off by the share lock until the record commits
    waiting.join(timeout=30)
    assert isinstance(outcome.get("error"), AttachmentLocked), outcome
    assert attachment_count(new_session()) == 1
