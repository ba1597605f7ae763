"""Attachments in a real browser: the applicant uploads the 章程 with the application, the reviewer
downloads it from the review task page, and a 长春 caseworker gets 404 for a 吉林市 case's file."""

from __future__ import annotations

import io
from pathlib import Path

from tests.attachments import samples
from tests.processes.test_registration import APPLICATION, MATERIAL_FILES
from tests.web.conftest import SCREENSHOTS, log_in
from tests.web.support import deploy_registration, open_task, user, with_files
from workflow_app import db
from workflow_app.attachments.service import attachment_service
from workflow_app.instances.queries import InstanceAccess
from workflow_app.services import instance_service
from workflow_app.tasks.service import task_service

CHARTER = samples.pdf("Charter of the Changchun AI Society")


def _pdf(name: str, content: bytes) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": content}


def _log_out(page) -> None:
    page.click("header button:has-text('退出')")
    page.wait_for_load_state("networkidle")


def test_reviewer_downloads_the_charter_the_applicant_uploaded(page, live_server, app):
    deploy_registration()
    started = InstanceAccess(db.session(), user("applicant"), instance_service()).start("registration")
    apply_id = started["active_tasks"][0]["id"]

    log_in(page, live_server, "applicant")
    page.goto(f"{live_server}/tasks/{apply_id}")
    page.fill("#f-org_name", "长春市人工智能产业促进会")
    page.check("input[name=org_type][value=social_group]")
    page.select_option("#f-category", "科技类")
    page.check("input[name=is_remote_chamber][value=false]")
    page.select_option("#f-region_code", "220100")
    page.fill("#f-residence", "吉林省长春市朝阳区人民大街1号")
    page.fill("#f-legal_representative", "李明")
    page.fill("#f-founders-0-name", "李明")
    page.check("input[name='founders.0.founder_kind'][value=individual]")
    page.fill("#f-party_members", "3")
    page.check("input[name=party_org_formed][value=false]")
    page.fill("#f-registered_funds", "50000")
    page.check("input[name=charter_party_clause][value=true]")
    page.fill("#f-purpose", "团结人工智能产业从业者，促进产业发展。")
    page.fill("#f-business_scope", "行业交流、咨询服务")
    page.fill("#f-activity_area", "长春市")
    for material in ("application_form", "charter_draft", "capital_verification", "residence_proof",
                     "officers_info", "founders_list", "party_building_commitment"):  # 受理 needs them all
        page.check(f"input[name=materials][value={material}]")
    page.set_input_files("input[type=file][name=charter_files]", [_pdf("章程.pdf", CHARTER)])
    for field in MATERIAL_FILES:
        if field != "charter_files":
            page.set_input_files(f"input[type=file][name={field}]", [_pdf(f"{field}.pdf", samples.pdf(field))])
    page.click("#submit-task")
    page.wait_for_load_state("networkidle")
    assert "已提交「填写成立登记申请」" in page.locator(".flash.success").inner_text()

    # The applicant acknowledges and the window accepts (through the services: not what this test is about).
    applicant = user("applicant")
    task_service().complete(applicant, open_task(started["id"], "acknowledge").id,
                            {"acknowledged": True, "signatory": "李明"}, None)
    task_service().complete(user("window_cc"), open_task(started["id"], "accept").id,
                            {"decision": "accept", "opinion": "材料齐全，予以受理。"}, None)
    review_id = open_task(started["id"], "review").id

    _log_out(page)
    log_in(page, live_server, "reviewer_cc")
    page.goto(f"{live_server}/tasks/{review_id}")
    link = page.locator("#case-files a:has-text('章程.pdf')")
    assert link.count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "attachments_review_page.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "章程.pdf"
    assert Path(download.value.path()).read_bytes() == CHARTER


def test_a_changchun_caseworker_gets_404_for_a_jilin_city_file(page, live_server, app):
    deploy_registration()
    applicant = user("applicant")
    started = InstanceAccess(db.session(), applicant, instance_service()).start("registration")
    apply_id = started["active_tasks"][0]["id"]
    # The case is filed with 吉林市's authority; the 长春 window never worked on it.
    data = with_files(applicant, apply_id, {**APPLICATION, "region_code": "220200"})
    task_service().complete(applicant, apply_id, data, None)
    ids = data["charter_files"]
    assert [a.id for a in attachment_service().of_task(apply_id) if a.field == "charter_files"] == ids

    log_in(page, live_server, "window_cc")
    answer = page.goto(f"{live_server}/files/{ids[0]}")
    assert answer.status == 404
    _log_out(page)
    log_in(page, live_server, "admin")
    shown = page.goto(f"{live_server}/files/{ids[0]}?inline=1")
    assert shown.status == 200 and shown.headers["content-disposition"].startswith("inline;")


def test_the_applicant_withdraws_a_wrong_file_in_the_browser_and_enter_still_submits(page, live_server, app):
    deploy_registration()
    applicant = user("applicant")
    started = InstanceAccess(db.session(), applicant, instance_service()).start("registration")
    apply_id = started["active_tasks"][0]["id"]
    wrong = attachment_service().upload(applicant, apply_id, "charter_files", "错误的章程.pdf",
                                        io.BytesIO(samples.pdf("wrong")))

    log_in(page, live_server, "applicant")
    page.goto(f"{live_server}/tasks/{apply_id}")
    # Enter in a text field submits the form (the hidden 提交 first in it), never a 撤回.
    page.fill("#f-org_name", "长春市人工智能产业促进会")
    page.press("#f-org_name", "Enter")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/tasks/{apply_id}") and page.locator(".form-errors").count() == 1
    assert [a.id for a in attachment_service().of_task(apply_id)] == [wrong.id]

    # 撤回 asks first (a details to open), then keeps what was typed.
    item = page.locator(f"details[data-withdraw='{wrong.id}']")
    page.fill("#f-legal_representative", "李明")
    item.locator("summary").click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("[data-field=charter_files]").screenshot(path=str(SCREENSHOTS / "attachments_withdraw_confirm.png"))
    item.locator("button:has-text('确认撤回')").click()
    page.wait_for_load_state("networkidle")
    assert "已撤回附件「错误的章程.pdf」" in page.locator(".flash.success").inner_text()
    assert page.input_value("#f-org_name") == "长春市人工智能产业促进会"
    assert page.input_value("#f-legal_representative") == "李明"
    assert page.locator("details.withdraw-file").count() == 0
    db.session().rollback()
    assert attachment_service().of_task(apply_id) == []
