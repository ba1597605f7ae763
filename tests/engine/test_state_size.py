"""A case's saved state and its cost per step do not grow with its history: the state codec gives the
same dict as Spiff's own, and finished branches (a standard loop's past rounds) leave the tree."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests.conftest import read_bundle
from tests.engine.test_deep_loops import deploy_looping
from workflow_app import db
from workflow_app.definitions.service import DefinitionService, compiled
from workflow_app.engine import runtime
from workflow_app.instances.models import ProcessInstance
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask, TaskStatus

REPEATED = Path(__file__).parent.parent / "data" / "repeated_review"
VARIABLES = {"when": datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC), "period": timedelta(days=3, seconds=5),
             "nested": {"list": [1, 2.5, "中文", None, True, {"deep": [[]]}], 7: "seven"}, "big": 2**62,
             "huge": 2**70 + 1, "account": "6222021234567890123"}


def open_task(session: Session, instance_id: str) -> HumanTask:
    return session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.READY)).one()


def rounds(session: Session, instance_id: str, count: int, again: bool = True) -> None:
    for _ in range(count):
        instance_service().complete_task(open_task(session, instance_id).id, {"again": again}, actor="window")


def test_the_state_codec_writes_what_spiffs_serializer_writes_and_reads_it_back_the_same(app, session):
    deploy_looping()
    engine = instance_service().engine
    definition = compiled(DefinitionService(session, engine, max_bytes=0).latest("looping"), engine)
    workflow = engine.create(definition, VARIABLES)
    engine.run(workflow)
    for _ in range(3):
        engine.complete(workflow, engine.ready_human_tasks(workflow)[0].id, {"again": True})
    ours = runtime.Engine.dump(workflow)
    assert json.loads(ours) == json.loads(runtime._serializer.serialize_json(workflow))
    again = engine.load(definition, ours)
    assert json.loads(runtime.Engine.dump(again)) == json.loads(ours)
    data = runtime.Engine.data(again)
    assert data["when"] == VARIABLES["when"] and data["period"] == VARIABLES["period"] and data["big"] == 2**62
    # Past orjson's 64 bits: written and read by json, as before (orjson would read a float).
    assert data["huge"] == 2**70 + 1 and isinstance(data["huge"], int)
    assert data["nested"] == {"list": [1, 2.5, "中文", None, True, {"deep": [[]]}], "7": "seven"}  # as json: str keys


def test_a_standard_loops_past_rounds_leave_the_saved_state(app, session):
    definition_service().deploy(read_bundle(REPEATED), deployed_by="test")
    instance_id = instance_service().start("repeated_review", {"n": 1}, started_by="window").instance.id
    rounds(session, instance_id, 5)
    few = len(json.loads(session.get(ProcessInstance, instance_id).state_json)["tasks"])
    rounds(session, instance_id, 40)
    instance = session.get(ProcessInstance, instance_id)
    many = len(json.loads(instance.state_json)["tasks"])
    assert many == few  # 40 more rounds, not one task more in the state
    # The rows of the pruned rounds closed as completed, each by whoever completed it.
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
    assert sorted(r.status.value for r in rows).count("completed") == 45
    assert {r.completed_by for r in rows if r.status is TaskStatus.COMPLETED} == {"window"}
    assert instance_service().engine.step_states(instance_service()._load(instance, None))["review"] == "ready"
    rounds(session, instance_id, 1, again=False)
    session.refresh(instance)
    assert instance.status.value == "completed"
    states = instance_service().engine.step_states(instance_service()._load(instance, None))
    assert states["review"] == "completed" and states["end"] == "completed"


def test_the_sync_after_a_step_reads_only_the_cases_open_rows(app, session):
    definition_service().deploy(read_bundle(REPEATED), deployed_by="test")
    instance_id = instance_service().start("repeated_review", {}, started_by="window").instance.id
    rounds(session, instance_id, 6)
    task_id = open_task(session, instance_id).id
    session.expunge_all()
    loaded: list[HumanTask] = []

    @event.listens_for(db.session(), "loaded_as_persistent")
    def seen(_session: Session, instance: object) -> None:
        if isinstance(instance, HumanTask):
            loaded.append(instance)

    instance_service().complete_task(task_id, {"again": True}, actor="window")
    # The task completed and nothing else of the case's six closed rounds.
    assert {row.id for row in loaded} == {task_id}


@pytest.mark.parametrize("text, long", [
    ('{"n": 1234567890123456789}', True), ('{"account": "6222021234567890123"}', True),
    ('{"n": 123456789012345678}', False), ('{"id": "2b1c9a0e-1f2d", "t": 1733512345.123456}', False),
    ('{"s": "１２３４５６７８９０１２３４５６７８９０"}', False),  # full-width digits are never a JSON number
])
def test_a_state_that_may_hold_an_integer_past_64_bits_is_read_by_json(text, long):
    assert runtime._may_hold_long_number(text.encode()) is long
    assert runtime._loads(text) == json.loads(text)
