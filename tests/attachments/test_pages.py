"""The task page: attachment fields are file inputs; the completion stores the files through the service."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from tests.attachments import samples
from tests.attachments.conftest import attachment_count
from tests.processes.test_registration import APPLICATION, MATERIAL_FILES
from tests.web.support import Pages, deploy_registration, open_task, refused, text, user
from workflow_app import db
from workflow_app.attachments.models import Attachment
from workflow_app.instances.queries import InstanceAccess
from workflow_app.services import instance_service
from workflow_app.tasks.models import HumanTask


def _application_post(files: dict[str, list[tuple[bytes, str]]]) -> dict:
    fields = {k: v for k, v in APPLICATION.items() if k not in MATERIAL_FILES and k != "founders"}
    post = {k: ("true" if v is True else "false" if v is False else v) for k, v in fields.items()}
    post.update({"founders.0.name": "李明", "founders.0.founder_kind": "individual"})
    for field, items in files.items():
        post[field] = [(io.BytesIO(content), name) for content, name in items]
    return post


def _application(web) -> tuple[Pages, dict]:
    """A registration the applicant just started: their pages and the case (its 填写申请 task is open)."""
    deploy_registration()
    return Pages(web, "applicant"), InstanceAccess(db.session(), user("applicant"), instance_service()).start(
        "registration")


def test_application_uploads_its_files_with_the_form_and_a_bad_file_comes_back_named(web, session):
    applicant, started = _application(web)
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


# -- 撤回: a file uploaded by mistake -----------------------------------------------------------------

WITHDRAW = re.compile(r'name="withdraw" value="([0-9a-f-]{36})" formaction="([^"]+)"')


def _refused_with_files(applicant: Pages, task_id: str) -> str:
    """The application posted with a wrong 章程 among its files, and refused (a bad 住所证明): the page that
    comes back, the files kept."""
    files = {field: [(samples.pdf(field), f"{field}.pdf")] for field in MATERIAL_FILES}
    files["charter_files"].append((samples.pdf("wrong"), "错误的章程.pdf"))
    files["residence_proof_files"] = [(samples.exe(), "住所证明.pdf")]
    return text(refused(applicant, applicant.post(f"/tasks/{task_id}/complete", _application_post(files))))


def _as_the_browser_posts(html: str, button: str) -> dict:
    """What the task form sends when ``button`` (a 撤回 button's value) is clicked: the typed fields, the
    ticked files and the button itself (no new files chosen)."""
    post = _application_post({})
    post["org_name"] = "长春市人工智能产业促进会（改）"  # typed after the page came back
    for field, ident in re.findall(r'type="checkbox" name="(\w+_files)" value="([0-9a-f-]{36})" checked', html):
        post[field] = [*post.get(field, []), ident]
    post["withdraw"] = button
    return post


def test_the_uploader_withdraws_a_wrong_file_and_keeps_what_was_typed(web, session):
    applicant, started = _application(web)
    task_id = started["active_tasks"][0]["id"]
    html = _refused_with_files(applicant, task_id)
    buttons = dict(WITHDRAW.findall(html))
    assert len(buttons) == attachment_count(session) == 5  # one per file uploaded, each the applicant's
    assert "<summary>撤回</summary>" in html and "确认撤回「错误的章程.pdf」" in html
    # Enter in a text field clicks the form's first button: the hidden 提交, before every 撤回.
    assert html.index('class="visually-hidden" tabindex="-1"') < html.index('name="withdraw"')

    wrong = re.search(r'value="([0-9a-f-]{36})" formaction="[^"]+" formnovalidate>确认撤回「错误的章程.pdf」', html)[1]
    answer = applicant.post(buttons[wrong], _as_the_browser_posts(html, wrong))
    page = text(refused(applicant, answer))
    assert "已撤回附件「错误的章程.pdf」，可以重新上传" in page
    form = page.split('id="complete-form"')[1].split("</form>")[0]
    assert attachment_count(session) == 4 and "错误的章程.pdf" not in form
    assert 'value="长春市人工智能产业促进会（改）"' in form  # what was typed came back
    assert len(re.findall(r'type="checkbox" name="charter_files" value="[0-9a-f-]{36}" checked', form)) == 1
    assert 'data-guard="dirty"' in page  # typed, not submitted: leaving the page asks first
    again = applicant.post(buttons[wrong], _as_the_browser_posts(html, wrong))
    assert again.status_code == 404  # withdrawn already


def test_a_withdrawal_needs_the_csrf_token_and_the_uploader(web, session):
    applicant, started = _application(web)
    task_id = started["active_tasks"][0]["id"]
    html = _refused_with_files(applicant, task_id)
    ident, url = WITHDRAW.findall(html)[0]
    assert applicant.web.post(url, data={"withdraw": ident}).status_code == 400  # no token: refused
    staff = Pages(web, "window_cc")  # sees the case, not the organization's step to work
    assert 'name="withdraw"' not in text(staff.get(f"/tasks/{task_id}"))
    assert staff.post(url).status_code in (403, 404)
    assert attachment_count(session) == 5
    # Posted by a plain form (no typed fields): withdrawn, and the page opens as it was.
    done = applicant.post(url)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/tasks/{task_id}")
    assert attachment_count(session) == 4


def test_a_completed_step_offers_no_withdrawal(web, session):
    from tests.web.support import registration_at_accept

    deploy_registration()
    case_id, _accept = registration_at_accept()
    applicant = Pages(web, "applicant")
    apply_task = db.session().scalar(select(HumanTask.id).where(HumanTask.instance_id == case_id,
                                                                HumanTask.name == "apply"))
    page = text(applicant.get(f"/tasks/{apply_task}"))
    form = page.split('id="complete-form"')[1].split("</form>")[0]
    assert "/files/" in form and 'name="withdraw"' not in form and 'aria-hidden="true"' not in form
    ident = db.session().scalar(select(Attachment.id).where(Attachment.task_id == apply_task))
    answer = applicant.post(f"/tasks/{apply_task}/files/{ident}/withdraw")
    assert answer.status_code == 302  # flashed and sent back: the step is done
    assert "已办理或已取消" in text(applicant.get(f"/tasks/{apply_task}"))
