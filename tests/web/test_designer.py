"""流程设计 pages: roles, upload with per-element problems, deploying from the modeler."""

from __future__ import annotations

import io

from tests.web.test_session import csrf_from, login


def test_designer_pages_are_denied_to_other_roles(web, deployed_sample):
    login(web, "window_cc")
    for url in ["/designer/", "/designer/sample_review", "/designer/sample_review/edit", "/designer/upload"]:
        assert web.get(url).status_code == 403, url


def test_designer_sees_versions_and_running_counts(web, deployed_sample):
    from workflow_app.services import instance_service

    instance_service().start("sample_review", started_by="applicant")
    login(web, "designer")
    page = web.get("/designer/").get_data(as_text=True)
    assert "sample_review" in page and "示例审核流程" in page
    versions = web.get("/designer/sample_review").get_data(as_text=True)
    assert "v1" in versions and "<td>1</td>" in versions


def test_upload_shows_problems_per_element_and_deploys_good_files(web, sample_files):
    login(web, "designer")
    token = csrf_from(web.get("/designer/upload").get_data(as_text=True))
    bad = sample_files["sample_review.bpmn"].replace(b'priority = "high"', b'priority = __import__("os")')
    response = web.post("/designer/upload", data={"csrf_token": token, "files": [
        (io.BytesIO(bad), "sample_review.bpmn"),
        (io.BytesIO(sample_files["forms/submit.json"]), "submit.json"),
        (io.BytesIO(sample_files["forms/review.json"]), "review.json"),
    ]}, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "classify" in page and "无法部署" in page
    assert "脚本无法编译" in page and "does not compile" not in page  # Chinese on the page only

    response = web.post("/designer/upload", data={"csrf_token": token, "files": [
        (io.BytesIO(sample_files["sample_review.bpmn"]), "sample_review.bpmn"),
        (io.BytesIO(sample_files["forms/submit.json"]), "submit.json"),
        (io.BytesIO(sample_files["forms/review.json"]), "review.json"),
    ]}, content_type="multipart/form-data")
    assert response.status_code == 200 and "sample_review：v1（新版本）" in response.get_data(as_text=True)


def test_modeler_deploy_endpoint_needs_the_csrf_header(web, deployed_sample):
    login(web, "designer")
    response = web.post("/designer/sample_review/deploy", json={"xml": "<x/>", "base_version": 1})
    assert response.status_code == 400


def test_every_lint_message_has_a_chinese_pattern():
    """Each message the lint and the deploy service write (as in their source) is translated, not the fallback."""
    import re
    from pathlib import Path

    from workflow_app.web.lint_zh import PATTERNS, chinese

    root = Path(__file__).resolve().parents[2] / "workflow_app" / "definitions"
    literals = []
    for source in root.glob("*.py"):
        code = source.read_text(encoding="utf-8")
        literals += re.findall(r'(?:add\([a-z_.]+, |message=|Problem\([a-z_]+, )f?"([^"]+)"', code)
    samples = [re.sub(r"\{[^}]*\}", "x", text) for text in literals if not text.startswith("{")]
    assert len(samples) > 30
    untranslated = [t for t in samples if chinese(t) == "流程文件校验未通过，请检查该元素的设置"]
    # Messages split over two source lines are matched by their whole text at run time: only those may miss here.
    assert len(untranslated) <= 2, untranslated
    assert len(PATTERNS) > 50
