"""The caseworkers' main journey in a real browser, on the shipped registration process: the applicant
applies (a refused form keeps what was typed) and acknowledges the prior notice, the window accepts,
the reviewer sends the case back (退回), the window accepts again, the reviewer passes it, the approver
approves; each step asserts what is on screen, and the case diagram marks the current step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.attachments import samples
from tests.processes.test_registration import MATERIAL_FILES
from tests.web.conftest import SCREENSHOTS, log_in

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules" / "bpmn-js" / "dist"


@pytest.fixture(autouse=True)
def _needs_bpmn_js():
    if not NODE_MODULES.is_dir():
        pytest.fail("bpmn-js is not installed: make install runs npm ci")


@pytest.fixture
def shipped(app, demo) -> None:
    """Every shipped process deployed (the approval starts a party_building case)."""
    from workflow_app.definitions.service import collect_files
    from workflow_app.services import definition_service

    definition_service().deploy(collect_files([BPMN_DIR]), deployed_by="test")


class Journey:
    """One browser tab walking through the case, saving a numbered screenshot per step."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base, self.step = page, base, 0

    def shot(self, name: str) -> None:
        """Save a full-page screenshot of what is on screen now."""
        self.step += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"journey_{self.step:02d}_{name}.png"), full_page=True)

    def as_user(self, username: str) -> None:
        """Log out whoever is logged in and log in as ``username``."""
        if self.page.locator("header button:has-text('退出')").count():
            self.page.click("header button:has-text('退出')")
            self.page.wait_for_load_state("networkidle")
        log_in(self.page, self.base, username)

    def open_task(self, title: str) -> None:
        """Open a task from the 待办 tab by its title."""
        self.page.goto(f"{self.base}/tasks")
        self.page.click(f"#tasks a:has-text('{title}')")
        self.page.wait_for_selector("#diagram[data-ready=true]")
        assert self.page.locator("h1").inner_text().startswith(title)

    def flash(self) -> str:
        """The success message on screen."""
        return self.page.locator(".flash.success").inner_text()

    def submit(self) -> None:
        """Submit the task form."""
        self.page.click("#submit-task")
        self.page.wait_for_load_state("networkidle")

    def marker(self, element_id: str) -> str:
        """The diagram element's class list (its step-* marker)."""
        self.page.wait_for_selector("#diagram[data-ready=true]")
        return self.page.locator(f'#diagram g.djs-element[data-element-id="{element_id}"]').get_attribute("class")


def test_registration_from_application_to_approval(page, live_server, shipped):
    j = Journey(page, live_server)

    # The applicant starts a registration and lands on the application form.
    j.as_user("applicant")
    page.click("nav.mainnav a:has-text('发起业务')")
    page.check("input[name=process_key][value=registration]")
    j.shot("start_a_case")
    page.click("#start")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("填写成立登记申请")
    assert "已发起" in j.flash() and "请填写「填写成立登记申请」" in j.flash()
    assert "step-ready" in j.marker("apply")

    # First try: a malformed phone number and no legal representative → errors in place, typing kept.
    page.fill("#f-org_name", "长春市人工智能产业促进会")
    page.check("input[name=org_type][value=social_group]")
    page.select_option("#f-category", "科技类")
    page.check("input[name=is_remote_chamber][value=false]")
    page.select_option("#f-region_code", "220100")
    page.fill("#f-residence", "吉林省长春市朝阳区人民大街1号")
    page.fill("#f-founders-0-name", "李明")
    page.check("input[name='founders.0.founder_kind'][value=individual]")
    page.fill("#f-founders-1-name", "吉林大学")
    page.check("input[name='founders.1.founder_kind'][value=unit]")
    page.fill("#f-party_members", "3")
    page.check("input[name=party_org_formed][value=false]")
    page.fill("#f-registered_funds", "50000")
    page.check("input[name=charter_party_clause][value=true]")
    page.fill("#f-purpose", "团结人工智能产业从业者，促进产业发展。")
    page.fill("#f-business_scope", "行业交流、咨询服务")
    page.fill("#f-activity_area", "长春市")
    for material in ("application_form", "charter_draft", "capital_verification", "residence_proof",
                     "officers_info", "founders_list", "party_building_commitment"):
        page.check(f"input[name=materials][value={material}]")
    for field in MATERIAL_FILES:  # one real small PDF per required material
        page.set_input_files(f"input[type=file][name={field}]",
                             [{"name": f"{field}.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(field)}])
    page.fill("#f-contact_phone", "电话号码")
    j.submit()
    assert "提交未成功" in page.locator(".form-errors").inner_text()
    assert "格式不正确，例如：0431-88888888" in page.locator("[data-field=contact_phone] .field-error").inner_text()
    assert "此项必填" in page.locator("[data-field=legal_representative] .field-error").inner_text()
    assert page.input_value("#f-org_name") == "长春市人工智能产业促进会"
    assert page.input_value("#f-contact_phone") == "电话号码"
    assert page.input_value("#f-founders-1-name") == "吉林大学"
    assert page.is_checked("input[name=materials][value=officers_info]")
    assert page.input_value("#f-region_code") == "220100"
    assert page.is_checked("[data-field=charter_files] input[type=checkbox]")  # the files stay attached
    j.shot("application_refused_in_place")

    page.fill("#f-legal_representative", "李明")
    page.fill("#f-contact_phone", "0431-88886666")
    j.submit()
    assert "已提交「填写成立登记申请」" in j.flash()
    assert page.locator("h1").inner_text().startswith("签收告知书并承诺")  # the applicant's next task
    assert "成立登记事先告知书" in page.locator("#documents").inner_text()
    assert "step-completed" in j.marker("apply") and "step-ready" in j.marker("acknowledge")
    business_key = re.search(r"业务编号 (\S+)", page.locator(".task-head .meta").inner_text()).group(1)
    assert "登申" in business_key
    j.shot("prior_notice")

    page.check("#f-acknowledged")
    page.fill("#f-signatory", "李明")
    j.submit()
    assert "受理审查（窗口受理）" in j.flash()

    # The window of 长春市 accepts with an opinion.
    j.as_user("window_cc")
    page.goto(f"{live_server}/tasks")
    assert business_key in page.locator("#tasks").inner_text()
    assert re.search(r"剩余 \d+ 个工作日|今日到期", page.locator("#tasks").inner_text())
    j.shot("window_inbox")
    j.open_task("受理审查")
    # The window sees what was applied for, as entered, under the application form's titles.
    application = page.locator("#submissions details[data-task=apply]")
    assert application.get_attribute("open") is not None
    shown = application.inner_text()
    assert "吉林省长春市朝阳区人民大街1号" in shown and "李明" in shown and "吉林大学" in shown
    assert "住所" in shown and "长春市人工智能产业促进会" in shown
    j.shot("window_sees_application")
    page.check("input[name=decision][value=accept]")
    j.submit()  # no opinion: a decision needs one
    assert "此项必填" in page.locator("[data-field=opinion] .field-error").inner_text()
    assert page.is_checked("input[name=decision][value=accept]")
    page.fill("#f-opinion", "材料齐全，符合法定形式，予以受理。")
    j.submit()
    assert "已提交「受理审查」" in j.flash() and "审查（审查）" in j.flash()

    # The reviewer sends it back to the window (退回) with an opinion.
    j.as_user("reviewer_cc")
    j.open_task("审查")
    assert "材料齐全，符合法定形式，予以受理。" in page.locator("#history").inner_text()
    assert "step-ready" in j.marker("review") and "step-completed" in j.marker("accept")
    page.click("#op-return summary")
    page.click("#op-return button[type=submit]")  # no opinion: refused in place
    assert "请填写退回意见" in page.locator("#op-return .field-error").inner_text()
    page.fill("#op-return textarea[name=opinion]", "请补充住所使用权证明的原件核验记录。")
    page.click("#op-return button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已退回至「受理审查」" in j.flash()

    # The window sees the case again with the reviewer's opinion in the history, and accepts again.
    j.as_user("window_cc")
    j.open_task("受理审查")
    history = page.locator("#history").inner_text()
    assert "退回" in history and "请补充住所使用权证明的原件核验记录。" in history
    j.shot("returned_to_window")
    page.check("input[name=decision][value=accept]")
    page.fill("#f-opinion", "已核验住所证明原件，予以受理。")
    j.submit()
    assert "已提交「受理审查」" in j.flash()

    j.as_user("reviewer_cc")
    j.open_task("审查")
    page.check("input[name=decision][value=approve]")
    page.check("input[name=materials_verified][value=true]")
    page.check("input[name=charter_has_party_clause][value=true]")
    page.check("input[name=site_check][value=false]")
    page.fill("#f-opinion", "材料真实有效，章程已载明党建工作内容，提请审批。")
    j.submit()
    assert "审批（审批）" in j.flash()

    # The approver grants the registration: the decision and the certificate are issued.
    j.as_user("approver_cc")
    j.open_task("审批")
    assert re.search(r"剩余 \d+ 个工作日", page.locator("#statutory-clock").inner_text())
    j.shot("approver_task")
    page.check("input[name=decision][value=approve]")
    page.fill("#f-opinion", "同意登记。")
    j.submit()
    assert "已提交「审批」" in j.flash() and "送达登记证书（窗口受理）" in j.flash()

    page.goto(f"{live_server}/tasks?tab=done")
    page.click("#tasks a:has-text('审批')")
    page.click("a:has-text('查看案件')")
    page.wait_for_selector("#diagram[data-ready=true]")
    documents = page.locator("#documents").inner_text()
    assert "准予登记决定书" in documents and "社会团体法人登记证书" in documents
    history = page.locator("#history").inner_text()
    for opinion in ("材料齐全，符合法定形式，予以受理。", "请补充住所使用权证明的原件核验记录。", "同意登记。"):
        assert opinion in history
    assert "结论：准予登记" in history
    assert "step-ready" in j.marker("deliver_certificate") and "step-completed" in j.marker("approve")
    assert "送达登记证书" in page.locator("#current-tasks").inner_text()
    j.shot("case_after_approval")

    # The print view of the certificate is the stored document.
    with page.expect_popup() as popup:
        page.click("#documents a:has-text('社会团体法人登记证书') >> nth=0")
    printed = popup.value
    printed.wait_for_load_state()
    assert "长春市人工智能产业促进会" in printed.content()
    printed.close()

    # The applicant follows the case from 我发起的.
    j.as_user("applicant")
    page.click("nav.mainnav a:has-text('我发起的')")
    row = page.locator(f"#cases tr:has-text('{business_key}')")
    assert "办理中" in row.inner_text() and "送达登记证书" in row.inner_text()
    j.shot("applicant_cases")
    row.locator("a").first.click()
    page.wait_for_selector("#diagram[data-ready=true]")
    assert "准予登记决定书" in page.locator("#documents").inner_text()
    assert "step-ready" in j.marker("deliver_certificate")
