"""The case row's Core write after a step: the optimistic lock, what it leaves for the ORM, one UPDATE."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.instances.state_write import StaleCase, write_step
from workflow_app.services import instance_service


def _step(instance: ProcessInstance, **changes: object) -> dict[str, object]:
    values = {"state_json": instance.state_json, "next_timer_at": None, "status": InstanceStatus.RUNNING,
              "error": None, "ended_at": None}
    values.update(changes)
    return values


def _case() -> str:
    return instance_service().start("sample_review", started_by="applicant", region_code=None).instance.id


def test_a_moved_version_is_refused_and_nothing_is_written(deployed_sample, session, new_session):
    instance_id = _case()
    mine = session.get(ProcessInstance, instance_id)
    session.commit()  # the read ends (a form was shown); the object stays in memory with its version
    other = new_session()
    other.get(ProcessInstance, instance_id).business_key = "别人先保存"
    other.commit()
    with pytest.raises(StaleCase):
        write_step(session, mine, **_step(mine, state_json="{}"))
    session.rollback()
    check = new_session().get(ProcessInstance, instance_id)
    assert check.state_json != "{}" and check.business_key == "别人先保存"


def test_written_values_are_committed_on_the_object_and_a_later_flush_writes_only_its_own(
        deployed_sample, session):
    instance_id = _case()
    instance = session.get(ProcessInstance, instance_id)
    before = instance.version
    updates: list[str] = []
    engine = session.get_bind()

    def seen(conn, cursor, statement, params, context, many):  # noqa: ANN001
        if statement.startswith("UPDATE process_instances"):
            updates.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        write_step(session, instance, **_step(instance, status=InstanceStatus.COMPLETED))
        assert instance.version == before + 1 and instance.status is InstanceStatus.COMPLETED
        assert instance not in session.dirty
        session.flush()
        assert len(updates) == 1  # nothing left for the ORM to repeat
        instance.business_key = "之后的修改"  # a later ORM change checks and bumps the version written
        session.flush()
        assert len(updates) == 2 and instance.version == before + 2
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    session.commit()
    row = session.execute(text("SELECT status, version FROM process_instances WHERE id = :i"),
                          {"i": instance_id}).one()
    assert (row.status, row.version) == ("completed", before + 2)


def test_changes_made_on_the_row_before_the_step_are_kept(deployed_sample, session):
    instance_id = _case()
    instance = session.get(ProcessInstance, instance_id)
    before = instance.version
    instance.business_key = "步骤前的修改"
    write_step(session, instance, **_step(instance))
    session.commit()
    row = session.execute(text("SELECT business_key, version FROM process_instances WHERE id = :i"),
                          {"i": instance_id}).one()
    assert (row.business_key, row.version) == ("步骤前的修改", before + 2)
