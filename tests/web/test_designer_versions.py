"""流程设计 · 版本 pages: the version list's changes, the diff page, the ZIP export and the 迁移 page —
designer/admin only, CSRF on the forms, only an admin moves cases."""

from __future__ import annotations

from sqlalchemy import select

from tests.versions_support import sample_v2
from tests.web.test_session import csrf_from, login
from workflow_app.instances.models import ProcessInstance
from workflow_app.services import definition_service, instance_service

PAGES = ["/designer/sample_review/diff?from=1&to=2", "/designer/sample_review/v1.zip",
         "/designer/sample_review/migrate"]


def log_out(web) -> None:
    web.delete_cookie("session")  # a new browser session


def deploy_v2(sample_files) -> None:
    definition_service().deploy(sample_v2(sample_files), deployed_by="designer")


def test_version_pages_are_denied_to_other_roles(web, deployed_sample, sample_files):
    deploy_v2(sample_files)
    for user in ("window_cc", "applicant", "supervisor_cc"):
        login(web, user)
        for url in PAGES:
            assert web.get(url).status_code == 403, (user, url)
        log_out(web)
    assert web.get(PAGES[0]).status_code == 302  # no session: to the login page


def test_the_version_list_says_what_changed_and_links_the_diff_and_zip(web, deployed_sample, sample_files):
    deploy_v2(sample_files)
    login(web, "designer")
    page = web.get("/designer/sample_review").get_data(as_text=True)
    assert "首个版本" in page and "新增 1" in page and "删除 1" in page and "查看对比" in page
    assert "/designer/sample_review/v2.zip" in page and "迁移运行中的案件" in page
    diff = web.get("/designer/sample_review/diff?from=1&to=2").get_data(as_text=True)
    assert 'data-element="recheck"' in diff and "复核申请" in diff and "办理时限" in diff
    assert "新增" in diff and "删除" in diff and "修改" in diff
    export = web.get("/designer/sample_review/v2.zip")
    assert export.status_code == 200 and export.mimetype == "application/zip"
    assert 'filename="sample_review-v2.zip"' in export.headers["Content-Disposition"]
    assert web.get("/designer/sample_review/v9.zip").status_code == 404


def test_a_designer_dry_runs_a_migration_and_an_admin_executes_it(web, deployed_sample, sample_files, session):
    case = instance_service().start("sample_review", started_by="applicant").instance.id
    deploy_v2(sample_files)
    login(web, "designer")
    token = csrf_from(web.get("/designer/sample_review/migrate").get_data(as_text=True))
    form = {"csrf_token": token, "from_version": "1", "to_version": "2", "renames": "", "action": "dry-run"}
    assert web.post("/designer/sample_review/migrate", data={**form, "csrf_token": ""}).status_code == 400
    page = web.post("/designer/sample_review/migrate", data=form).get_data(as_text=True)
    assert "可迁移 1 件" in page and f'data-case="{case}"' in page and "确认并执行迁移" not in page
    assert web.post("/designer/sample_review/migrate", data={**form, "action": "move"}).status_code == 403
    bad = web.post("/designer/sample_review/migrate", data={**form, "renames": "no mapping here"})
    assert bad.status_code == 422 and "格式有误" in bad.get_data(as_text=True)
    session.rollback()
    assert session.get(ProcessInstance, case).definition.version == 1

    log_out(web)
    login(web, "admin")
    page = web.post("/designer/sample_review/migrate", data={**form, "csrf_token": csrf_from(
        web.get("/designer/sample_review/migrate").get_data(as_text=True))}).get_data(as_text=True)
    assert "确认并执行迁移（1 件）" in page
    lock = session.scalars(select(ProcessInstance.version).where(ProcessInstance.id == case)).one()
    done = web.post("/designer/sample_review/migrate", data={
        **form, "csrf_token": csrf_from(page), "action": "move", f"lock-{case}": str(lock)}).get_data(as_text=True)
    assert "已迁移 1 件" in done
    session.rollback()
    assert session.get(ProcessInstance, case).definition.version == 2
    history = web.get(f"/cases/{case}").get_data(as_text=True)
    assert "迁移到新版本流程" in history and "由第 1 版迁移到第 2 版" in history
