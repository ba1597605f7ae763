"""Comparing versions: elements added, removed and changed by id; files changed; a version as a ZIP."""

from __future__ import annotations

import io
import zipfile

from tests.versions_support import sample_v2
from workflow_app.definitions.versions import change_summaries, diff_versions, diff_xml, export_zip
from workflow_app.services import definition_service


def test_the_diff_between_v1_and_v2_marks_the_added_task_the_removed_one_and_the_changed_limit(
        app, deployed_sample, sample_files):
    definition_service().deploy(sample_v2(sample_files), deployed_by="designer")
    v1, v2 = definition_service().get("sample_review", 1), definition_service().get("sample_review", 2)
    changes = diff_versions(v1, v2)
    assert changes.files_changed == ["sample_review.bpmn"] and not changes.files_added
    added = {c.element_id: c for c in changes.added}
    assert added["recheck"].kind == "userTask" and added["recheck"].name == "复核申请"
    assert added["recheck"].kind_label == "用户任务"
    assert [c.element_id for c in changes.removed] == ["review"]
    changed = {c.element_id: c for c in changes.changed}
    assert "property:timeLimit" in changed["submit"].what and "办理时限" in changed["submit"].what_label
    # The boundary timer moved to the new step, the flows were rewired, the lane lists the new step.
    assert "attachedToRef" in changed["review_timeout"].what
    assert {"f_classify_review", "f_review_gateway", "Lane_reviewer"} <= set(changed)
    assert changes.markers()["recheck"] == "added" and changes.markers()["review"] == "removed"
    assert "classify" not in changed and "start" not in changed


def test_moving_a_shape_is_not_a_change_but_a_script_or_condition_is(sample_files):
    xml = sample_files["sample_review.bpmn"].decode()
    moved = xml.replace('<dc:Bounds x="390" y="120"', '<dc:Bounds x="400" y="130"')
    assert diff_xml(xml, moved) == ([], [], [])
    scripted = xml.replace('priority = "high"', 'priority = "top"').replace('decision == "approve"', 'decision == "ok"')
    _, _, changed = diff_xml(xml, scripted)
    assert {(c.element_id, c.what) for c in changed} == {("classify", ("script",)),
                                                         ("f_gateway_approved", ("conditionExpression",))}


def test_each_version_is_summarized_against_the_one_before(app, deployed_sample, sample_files):
    definition_service().deploy(sample_v2(sample_files), deployed_by="designer")
    summaries = change_summaries(definition_service().list(all_versions=True))
    assert summaries[1] is None
    assert (len(summaries[2].added), len(summaries[2].removed)) == (1, 1)


def test_a_version_exports_as_a_zip_that_deploys_back_unchanged(app, deployed_sample):
    definition = definition_service().get("sample_review", 1)
    archive = zipfile.ZipFile(io.BytesIO(export_zip(definition)))
    names = set(archive.namelist())
    assert names == {"sample_review.bpmn", "forms/submit.json", "forms/review.json", "MANIFEST.txt"}
    assert "version: 1" in archive.read("MANIFEST.txt").decode()
    files = {n: archive.read(n) for n in names if n != "MANIFEST.txt"}
    [result] = definition_service().deploy(files, deployed_by="test")
    assert (result.version, result.created) == (1, False)  # the same content: no new version
