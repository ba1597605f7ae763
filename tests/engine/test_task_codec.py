"""The lean task restore (engine/task_codec.py) gives the tree Spiff's own converter gives."""

from __future__ import annotations

import json

from tests.engine.test_deep_loops import deploy_looping
from tests.engine.test_state_size import VARIABLES
from workflow_app.definitions.service import DefinitionService, compiled
from workflow_app.engine import runtime
from workflow_app.engine.task_codec import FastTaskConverter, uuid_of
from workflow_app.services import instance_service


def looping_workflow(session, passes: int):
    deploy_looping()
    engine = instance_service().engine
    definition = compiled(DefinitionService(session, engine, max_bytes=0).latest("looping"), engine)
    workflow = engine.create(definition, VARIABLES)
    engine.run(workflow)
    for n in range(passes):
        engine.complete(workflow, engine.ready_human_tasks(workflow)[0].id,
                        {"again": True, "round": n, "notes": [n, {"at": VARIABLES["when"]}]})
    return engine, definition, workflow


def test_a_tree_restored_lean_is_the_tree_spiff_restores(app, session):
    engine, definition, workflow = looping_workflow(session, 4)
    text = runtime.Engine.dump(workflow)
    ours = engine.load(definition, text)
    # Spiff throughout: its stock serializer, spec included, and its stock task converter.
    stock = runtime._full_serializer.deserialize_json(runtime._full_serializer.serialize_json(workflow))
    assert type(runtime._serializer.registry.convert_from_dict["Task"].args[0].__self__) is FastTaskConverter
    assert set(ours.tasks) == set(stock.tasks)
    for task_id, task in stock.tasks.items():
        mine = ours.tasks[task_id]
        assert (mine.state, mine.task_spec.name, mine._parent, mine._children, mine.triggered,
                mine.last_state_change) == (task.state, task.task_spec.name, task._parent, task._children,
                                            task.triggered, task.last_state_change)
        assert mine.data == task.data and mine.internal_data == task.internal_data
        assert type(mine.data.get("when")) is type(task.data.get("when"))  # typed values restored
    assert json.loads(runtime.Engine.dump(ours)) == json.loads(text)


def test_a_restored_tasks_data_is_its_own(app, session):
    engine, definition, workflow = looping_workflow(session, 2)
    restored = engine.load(definition, runtime.Engine.dump(workflow))
    for task in restored.tasks.values():
        parent = task.parent
        if parent is None:
            continue
        for key, value in task.data.items():
            if isinstance(value, (dict, list)) and key in parent.data:
                assert value is not parent.data[key]  # a change to one task's list is not its parent's


def test_an_id_string_is_parsed_once():
    text = "2b1c9a0e-1f2d-4c3b-9a8e-7d6c5b4a3f21"
    assert uuid_of(text) is uuid_of(text) and str(uuid_of(text)) == text
