"""A looping case is never called completed without reaching its end (Spiff's walks stop at depth 1000)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import read_bundle
from workflow_app.engine import runtime
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask, TaskStatus

LOOPING = Path(__file__).parent.parent / "data" / "looping"


def deploy_looping() -> None:
    definition_service().deploy(read_bundle(LOOPING), deployed_by="test")


def ready_task(session: Session, instance_id: str) -> HumanTask | None:
    return session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.READY)).one_or_none()


def test_a_loop_driven_past_the_engine_depth_is_stopped_in_error_never_completed(app, session):
    deploy_looping()
    instance_id = instance_service().start("looping", started_by="applicant").instance.id
    passes = 0
    # 3 tree levels a pass: Spiff's iterator (depth 1000) loses the next task after ~333 passes.
    while passes < 360:
        task = ready_task(session, instance_id)
        if task is None:
            break
        advance = instance_service().complete_task(task.id, {"again": True}, actor="window")
        passes += 1
        if advance.instance.status is not InstanceStatus.RUNNING:
            break
    instance = session.get(ProcessInstance, instance_id)
    session.refresh(instance)
    assert instance.status is InstanceStatus.ERROR, (instance.status, passes)
    assert instance.ended_at is None
    assert "循环" in instance.error["message"] and "deep" in instance.error["message"]
    assert passes < 334  # stopped while the tree is still walkable
    workflow = instance_service()._load(instance, None)
    assert not instance_service().engine.is_completed(workflow)
    assert runtime.tree_depth(workflow) > runtime.MAX_TREE_DEPTH
    assert runtime.tree_depth(workflow) < 1000


def test_a_few_passes_then_the_end_complete_the_case(app, session):
    deploy_looping()
    instance_id = instance_service().start("looping", started_by="applicant").instance.id
    for again in (True, True, True, False):
        advance = instance_service().complete_task(ready_task(session, instance_id).id, {"again": again},
                                                   actor="window")
    assert advance.instance.status is InstanceStatus.COMPLETED
    assert ready_task(session, instance_id) is None


def test_the_engine_walks_see_tasks_spiff_loses_below_depth_1000(app, session, monkeypatch):
    # With the guard lifted the loop runs until Spiff's own engine steps no longer see the gateway:
    # Spiff then calls the workflow completed, the engine boundary does not.
    monkeypatch.setattr(runtime, "MAX_TREE_DEPTH", 10**6)
    deploy_looping()
    instance = instance_service().start("looping", started_by="applicant").instance
    engine = instance_service().engine
    workflow = instance_service()._load(instance, None)
    for _ in range(400):
        ready = engine.ready_human_tasks(workflow)
        if not ready:
            break
        engine.complete(workflow, ready[0].id, {"again": True})
    assert runtime.tree_depth(workflow) >= 1000
    assert workflow.is_completed()  # Spiff itself is fooled at this depth
    assert not engine.is_completed(workflow)
    assert engine.step_states(workflow)["merge"] == "ready"  # the stuck gateway, found past depth 1000


def test_deploy_warns_about_a_gateway_loop_but_deploys(app):
    [result] = definition_service().deploy(read_bundle(LOOPING), deployed_by="test")
    assert result.created
    [warning] = result.warnings
    assert warning.element_id == "again" and "merge → review → again" in warning.message
    assert "循环" in warning.message and "loopMaximum" in warning.message


def test_a_process_without_a_loop_deploys_without_warnings(app, sample_files):
    [result] = definition_service().deploy(sample_files, deployed_by="test")
    assert result.warnings == ()


def test_the_cli_deploy_prints_the_loop_warning(app):
    from workflow_app.cli import main

    result = app.test_cli_runner().invoke(main, ["deploy", str(LOOPING)])
    assert result.exit_code == 0, result.output
    assert "looping: version 1 (deployed)" in result.output
    assert "warning: looping.bpmn [again]" in result.output and "循环" in result.output


def test_the_api_deploy_answers_201_with_the_loop_warning(client, auth):
    from tests.definitions.test_api import multipart

    response = client.post("/api/v1/process-definitions", headers=auth("designer"),
                           data=multipart(read_bundle(LOOPING)), content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    [warning] = response.get_json()["deployed"][0]["warnings"]
    assert warning["element_id"] == "again" and warning["file"] == "looping.bpmn" and "循环" in warning["message"]
