"""Deploying bundles: versions follow the files each process really uses."""

from __future__ import annotations

import pytest

from tests.conftest import read_bundle
from tests.processes.conftest import BPMN
from workflow_app.definitions.errors import DefinitionInvalid
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.services import definition_service


def deploy(files):
    return {r.key: (r.version, r.created) for r in definition_service().deploy(files, deployed_by="test")}


def test_a_changed_decision_table_makes_a_new_version_only_of_the_process_using_it(app, session):
    files = read_bundle(BPMN)
    first = deploy(files)
    assert first["major_event"] == (1, True) and first["registration"] == (1, True)
    stored = session.query(ProcessDefinition).filter_by(key="major_event", version=1).one()
    assert "major_event_classification.dmn" in stored.files

    table = files["major_event_classification.dmn"].decode()
    files["major_event_classification.dmn"] = table.replace("</definitions>", "<!-- 修订 --></definitions>").encode()
    second = deploy(files)
    assert second["major_event"] == (2, True)
    assert second["registration"] == (1, False) and second["zombie_cleanup"] == (1, False)


def test_a_changed_form_makes_a_new_version_of_its_process(app, sample_files):
    assert deploy(sample_files)["sample_review"] == (1, True)
    changed = dict(sample_files)
    changed["forms/review.json"] = changed["forms/review.json"].replace("审核结论".encode(), "审核意见".encode())
    assert deploy(changed)["sample_review"] == (2, True)
    assert deploy(changed)["sample_review"] == (2, False)


def test_an_empty_or_foreign_bundle_is_refused_with_reasons(app):
    with pytest.raises(DefinitionInvalid, match="no files"):
        definition_service().deploy({})
    with pytest.raises(DefinitionInvalid) as refused:
        definition_service().deploy({"notes.txt": b"hello"})
    assert refused.value.problems[0].file == "notes.txt"
