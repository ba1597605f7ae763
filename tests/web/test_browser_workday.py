"""The working day in a real browser: 首页 per role, the 消息 bell and page, the alerts page's bulk
确认 and 催办 (a screenshot of each under test-output/screenshots)."""

from __future__ import annotations

from tests.web.conftest import SCREENSHOTS, log_in


def test_a_caseworker_starts_the_day_on_the_home_page(page, live_server, flow):
    flow.to("review")
    log_in(page, live_server, "window_cc")
    assert page.locator("#fig-done strong").inner_text() == "1"
    assert page.locator("#recent-cases tbody tr").count() == 1
    assert page.locator("#start-shortcuts a").count() >= 1
    page.click("#fig-done")
    page.wait_for_load_state("networkidle")
    assert "tab=done" in page.url and page.locator("table").count() >= 1


def test_a_supervisor_sees_open_alerts_on_home_and_in_the_menu(page, live_server, far_overdue):
    log_in(page, live_server, "supervisor_cc")
    assert page.locator("#fig-alerts strong").inner_text() == "2"
    assert page.locator("#nav-alerts .nav-count").inner_text() == "2"
    assert page.locator("#to-dashboard").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "workday_home_supervisor.png"), full_page=True)


def test_the_bell_counts_unread_messages_and_they_are_marked_read(page, live_server, flow, client, auth):
    for _ in range(2):
        _case, review = flow.to("review")
        client.post(f"/api/v1/tasks/{review.id}/urge", json={"message": "请加快"}, headers=auth("applicant"))
    log_in(page, live_server, "reviewer_cc")
    assert page.locator("#unread-badge").inner_text() == "2"
    page.click("#nav-messages")
    page.wait_for_selector("#messages")
    assert page.locator("#messages .message.unread").count() == 2
    assert "请加快" in page.locator("#messages").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "workday_messages.png"), full_page=True)
    page.locator("#messages .message.unread .mark-read").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#unread-badge").inner_text() == "1"
    page.locator("#messages .message.unread .message-title").first.click()  # opens the task, read
    page.wait_for_load_state("networkidle")
    assert "/tasks/" in page.url and page.locator("#unread-badge").count() == 0


def test_a_supervisor_urges_from_an_alert_and_acknowledges_alerts_in_bulk(page, live_server, far_overdue):
    log_in(page, live_server, "supervisor_cc")
    page.click("#nav-alerts")
    page.wait_for_selector("#alerts")
    rows = page.locator("#alerts tr[data-alert]")
    assert rows.count() == 2 and all(rows.nth(i).get_attribute("data-level") == "3" for i in range(2))
    rows.first.locator("button.urge").click()
    page.wait_for_load_state("networkidle")
    assert "已催办" in page.locator(".flash").inner_text()
    page.check("#check-all")
    page.screenshot(path=str(SCREENSHOTS / "workday_alerts_bulk.png"), full_page=True)
    page.click("#bulk-ack-button")
    page.wait_for_load_state("networkidle")
    assert "已确认 4 条预警" in page.locator(".flash").inner_text()
    assert page.locator("#alerts tr[data-alert]").count() == 0
    assert page.locator("#nav-alerts .nav-count").count() == 0


def test_a_returned_task_reads_as_returned_with_its_reason(page, live_server, flow, client, auth):
    case, review = flow.to("review")
    client.post(f"/api/v1/tasks/{review.id}/claim", headers=auth("reviewer_cc"))
    client.post(f"/api/v1/tasks/{review.id}/return", json={"opinion": "章程缺少第三章，请窗口核对"},
                headers=auth("reviewer_cc"))
    accept = flow.open(case, "accept")
    log_in(page, live_server, "window_cc")
    page.goto(f"{live_server}/tasks")
    row = page.locator(f"#tasks tr[data-task='{accept.id}']")
    assert row.locator(".sent-back").inner_text() == "被退回"
    page.screenshot(path=str(SCREENSHOTS / "workday_inbox_returned.png"), full_page=True)
    row.locator("a").first.click()
    page.wait_for_selector("#sent-back")
    assert "章程缺少第三章" in page.locator("#return-reason").inner_text()


def test_the_submit_button_says_what_the_step_does(page, live_server, app):
    from tests.web.support import deploy_registration, registration_at_accept

    deploy_registration()
    _case, task_id = registration_at_accept()
    log_in(page, live_server, "window_cc")
    page.goto(f"{live_server}/tasks/{task_id}")
    assert page.locator("#submit-task").inner_text() == "提交受理结论"
    page.locator("#task-form").screenshot(path=str(SCREENSHOTS / "workday_submit_label.png"))


def test_conditional_fields_follow_the_answers_as_they_change(page, live_server, app):
    from tests.web.support import deploy_registration, registration_at_accept

    deploy_registration()
    _case, task_id = registration_at_accept()
    log_in(page, live_server, "window_cc")
    page.goto(f"{live_server}/tasks/{task_id}")
    missing, reason = page.locator(".field[data-field=missing_items]"), page.locator(".field[data-field=not_accepted_reason]")
    assert missing.is_hidden() and reason.is_hidden()  # nothing decided: the if/then rules require neither
    page.check("input[name=decision][value=incomplete]")
    assert missing.is_visible() and reason.is_hidden()
    assert missing.locator(".req").count() == 1  # required now, as the server will check
    page.locator("#task-form").screenshot(path=str(SCREENSHOTS / "workday_conditional_fields.png"))
    page.check("input[name=decision][value=out_of_scope]")
    assert missing.is_hidden() and reason.is_visible()
    page.check("input[name=decision][value=accept]")
    assert missing.is_hidden() and reason.is_hidden()
    # The page agrees with the server's validator on every answer: a field shows exactly when a rule whose
    # `if` the answer meets (as jsonschema reads it) requires it.
    import json

    from jsonschema import Draft202012Validator

    schema = json.loads(page.get_attribute("#complete-form", "data-schema"))
    for value in schema["properties"]["decision"]["enum"]:
        page.check(f"input[name=decision][value={value}]")
        for name in page.evaluate("() => window.socorgConditionalFields.fields"):
            expected = any(Draft202012Validator(rule["if"]).is_valid({"decision": value})
                           for rule in schema["allOf"] if name in rule["then"].get("required", []))
            assert page.locator(f".field[data-field={name}]").is_visible() is expected, (value, name)
    # The server's rule is unchanged: 不予受理 without its reason is refused, and the field is shown with the message.
    page.check("input[name=decision][value=out_of_scope]")
    page.fill("#f-opinion", "不属于本机关登记范围")
    page.click("#submit-task")
    page.wait_for_selector(".form-errors")
    assert reason.is_visible() and reason.locator(".field-error").count() >= 1


def test_the_inbox_keyword_finds_a_task_by_its_organizations_credit_code(page, live_server, flow, session):
    from workflow_app.organizations.models import Organization

    _case, accept = flow.to("accept")
    uscc = session.get(Organization, flow.org_of("applicant")).uscc
    log_in(page, live_server, "window_cc")
    page.goto(f"{live_server}/tasks")
    page.fill("input[name=q]", uscc)
    page.click("form.filters button[type=submit], form button:has-text('筛选')")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#tasks tr[data-task='{accept.id}']").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "workday_inbox_search.png"), full_page=True)
