"""The task page: attachment fields are file inputs; the completion stores the files through the service."""

from __future__ import annotations

import io
import re

from tests.attachments import samples
from tests.attachments.conftest import attachment_count
from tests.processes.test_registration import APPLICATION, MATERIAL_FILES
from tests.web.support import Pages, deploy_registration, open_task, refused, text, user
from workflow_app import db
from workflow_app.instances.queries import InstanceAccess
from workflow_app.services import instance_service


def _application_post(files: dict[str, list[tuple[bytes, str]]]) -> dict:
    fields = {k: v for k, v in APPLICATION.items() if k not in MATERIAL_FILES and k != "founders"}
    post = {k: ("true" if v is True else "false" if v is False else v) for k, v in fields.items()}
    post.update({"founders.0.name": "李明", "founders.0.founder_kind": "individual"})
    for field, items in files.items():
        post[field] = [(io.BytesIO(content), name) for content, name in items]
    return post


def test_application_uploads_its_files_with_the_form_and_a_bad_file_comes_back_named(web, session):
    deploy_registration()
    applicant = Pages(web, "applicant")
    started = InstanceAccess(db.session(), user("applicant"), instance_service()).start("registration")
    task_id = started["active_tasks"][0]["id"]
    page = text(applicant.get(f"/tasks/{task_id}"))
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="charter_files" multiple accept=".pdf,.jpg,.png"' in page

    files = {field: [(samples.pdf(field), f"{field}.pdf")] for field in MATERIAL_FILES}
    files["residence_proof_files"] = [(samples.exe(), "住所证明.pdf")]
    html = text(refused(applicant, applicant.post(f"/tasks/{task_id}/complete", _application_post(files))))
    assert "住所证明.pdf：文件内容是EXE 文件" in html
    assert attachment_count(session) == 4  # the good files stay attached, listed and kept (checked)
    assert html.count('type="checkbox" name="charter_files"') == 1 and "charter_files.pdf" in html

    kept = {field: [] for field in MATERIAL_FILES}
    kept["residence_proof_files"] = [(samples.png(), "住所.png")]
    post = _application_post(kept)
    for field in MATERIAL_FILES:  # what the page showed checked comes back as kept ids
        post.setdefault(field, [])

    for field, ident in re.findall(r'type="checkbox" name="(\w+_files)" value="([0-9a-f-]{36})" checked', html):
        post[field] = [*post[field], ident]
    done = applicant.post(f"/tasks/{task_id}/complete", post)
    assert done.status_code == 302, text(done)[:3000]
    assert attachment_count(session) == 5
    assert open_task(started["id"], "acknowledge") is not None

    # The completed step shows its files as links.
    readonly = text(applicant.get(f"/tasks/{task_id}"))
    assert "住所.png" in readonly and "/files/" in readonly


def test_a_form_post_may_carry_files_larger_than_other_request_bodies(web, session, app):
    deploy_registration()
    assert app.config["MAX_CONTENT_LENGTH"] < 6 * 1024 * 1024 < app.config["MAX_ATTACHMENT_BYTES"]
    applicant = Pages(web, "applicant")
    started = InstanceAccess(db.session(), user("applicant"), instance_service()).start("registration")
    task_id = started["active_tasks"][0]["id"]
    big = samples.pdf("big") + b"%" + b"z" * (6 * 1024 * 1024)
    answer = applicant.post(f"/tasks/{task_id}/complete", {"charter_files": [(io.BytesIO(big), "章程.pdf")]})
    assert answer.status_code == 303  # the rest of the form is missing (shown on the task page); the file was taken
    assert attachment_count(session) == 1
