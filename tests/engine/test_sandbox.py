"""Tests for the script sandbox: refusals, time bound, size guards, Spiff semantics and a BPMN run."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from datetime import datetime
from decimal import Decimal

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState

from workflow_app.engine.sandbox import (
    SAFE_HELPERS,
    SandboxedEnvironment,
    SandboxError,
    ScriptTimeout,
    compile_expression,
    compile_script,
)


class _Hung(BaseException):
    """Raised by the watchdog; a BaseException so no handler in a script can swallow it."""


@pytest.fixture(autouse=True)
def watchdog():
    # A broken time bound would hang the test run instead of failing it: interrupt after 10 s.
    def interrupt(signum, frame):
        raise _Hung("test still running after 10 s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 10)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment(time_limit=0.3)


# -- compilation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("compile_fn, source", [
    (compile_script, "y = x * 2\nz = y + 1"),
    (compile_expression, "amount > 10000 and kind == 'A'"),
])
def test_compiling_the_same_source_twice_returns_the_identical_code_object(compile_fn, source):
    assert compile_fn(source) is compile_fn(source)


def test_syntax_error_is_a_one_line_sandbox_error_naming_the_line():
    with pytest.raises(SandboxError) as info:
        compile_script("x = 1\ny = (2\n")
    assert not isinstance(info.value, SyntaxError)
    assert "Line 2" in str(info.value)
    assert "\n" not in str(info.value)


def test_error_found_by_the_compiler_stage_is_a_sandbox_error():
    with pytest.raises(SandboxError, match="Line 1: 'return' outside function"):
        compile_script("return 5")


def test_policy_violation_in_an_expression_is_a_sandbox_error():
    with pytest.raises(SandboxError, match='"_secret" is an invalid variable name'):
        compile_expression("_secret + 1")


def test_expression_with_leading_blanks_compiles_like_eval(env):
    assert env.evaluate("   x + 1", {"x": 1}) == 2


def test_restricted_builtins_lack_the_dangerous_names():
    forbidden = {"__import__", "open", "eval", "exec", "compile", "getattr", "type", "vars", "globals",
                 "locals", "input", "breakpoint", "__build_class__", "SystemExit", "BaseException"}
    assert forbidden.isdisjoint(SAFE_HELPERS)


# -- escapes --------------------------------------------------------------------------------------

# Each payload creates ``target`` when run by Spiff's unsandboxed TaskDataEnvironment.
WRITING_PAYLOADS = {
    "__import__": "__import__('os').mkdir({target!r})",
    "import statement": "import os\nos.mkdir({target!r})",
    "open": "open({target!r}, 'w').write('x')",
    "subclasses walk": (
        "w = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]\n"
        "w.__init__.__globals__['mkdir']({target!r})"
    ),
    "getattr": "getattr(json_loads, '__globals__')['__builtins__']['open']({target!r}, 'w').write('x')",
    "helper globals walk": "json_loads.__globals__['__builtins__']['open']({target!r}, 'w').write('x')",
    "generator frame walk": "(i for i in [1]).gi_frame.f_builtins['open']({target!r}, 'w').write('x')",
    "eval": "eval(\"open({target!r}, 'w').write('x')\")",
    "exec": "exec(\"open({target!r}, 'w').write('x')\")",
}


@pytest.mark.parametrize("payload", WRITING_PAYLOADS.values(), ids=WRITING_PAYLOADS.keys())
def test_hostile_script_is_refused_and_writes_nothing(env, tmp_path, payload):
    target = tmp_path / "escaped"
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do, success is the failure
        env.execute(payload.format(target=str(target)), {})
    assert not target.exists()


@pytest.mark.parametrize("payload", WRITING_PAYLOADS.values(), ids=WRITING_PAYLOADS.keys())
def test_hostile_payload_does_write_without_the_sandbox(tmp_path, payload):
    # Proves the payloads above are real escapes, so their "writes nothing" checks can fail.
    target = tmp_path / "escaped"
    TaskDataEnvironment({"json_loads": json.loads}).execute(payload.format(target=str(target)), {})
    assert target.exists()


COMPILE_TIME_REFUSALS = {
    "__import__": "__import__('os').system('true')",
    "subclasses": "x = ().__class__.__base__.__subclasses__()",
    "lambda globals": "x = (lambda: 0).__globals__",
    "mro": "x = type(1).__mro__",
    "eval": "x = eval('1')",
    "exec": "exec('x = 1')",
    "import": "import os",
    "from import": "from os import system",
    "bound method self": "x = datetime.now.__self__",
    "generator frame": "g = (i for i in [1])\nx = g.gi_frame",
    "frame globals": "x = f.f_globals",
    "traceback": "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    x = e.__traceback__",
    "class statement": "class A:\n    pass",
    "async": "async def f():\n    pass",
    "call in except clause": "try:\n    pass\nexcept (lambda: ValueError)():\n    pass",
}


@pytest.mark.parametrize("source", COMPILE_TIME_REFUSALS.values(), ids=COMPILE_TIME_REFUSALS.keys())
def test_escape_is_refused_at_compile_time(env, source):
    with pytest.raises(SandboxError):
        compile_script(source)
    context = {"f": None}
    with pytest.raises(SandboxError):
        env.execute(source, context)
    assert context == {"f": None}


RUNTIME_REFUSALS = {
    "getattr": ("x = getattr(1, '__class__')", NameError),
    "type": ("x = type(1)", NameError),
    "open": ("x = open('/etc/passwd').read()", NameError),
    "vars": ("x = vars()", NameError),
    "globals": ("x = globals()", NameError),
    "str.format": ("x = '{0.__class__}'.format(1)", NotImplementedError),
    "str.format_map": ("x = '{0.__class__}'.format_map({})", NotImplementedError),
    "unbound str.format": ("x = str.format('{0.__class__}', 1)", NotImplementedError),
    "SystemExit": ("raise SystemExit(1)", NameError),
    "setattr on a helper": ("setattr(datetime, 'now', None)", TypeError),
}


@pytest.mark.parametrize("source, error", RUNTIME_REFUSALS.values(), ids=RUNTIME_REFUSALS.keys())
def test_escape_fails_at_run_time(env, source, error):
    with pytest.raises(error):
        env.execute(source, {})
    assert datetime.now is not None


# -- time bound -----------------------------------------------------------------------------------

ENDLESS = {
    "while true pass": "while True: pass",
    "while true body": "while True:\n    x = 1",
    "huge range": "for i in range(10**12): pass",
    "comprehension": "x = [i for i in range(10**12)]",
    "timeout caught by except": "try:\n    while True: pass\nexcept Exception:\n    pass\nwhile True: pass",
    "timeout caught by bare except": (
        "def f():\n    while True:\n        try:\n            while True: pass\n        except:\n            pass\nf()"
    ),
    "loop in finally": "try:\n    while True: pass\nfinally:\n    while True: pass",
    "for loop after caught timeout": (
        "try:\n    for i in range(10**12): pass\nexcept Exception:\n    pass\nfor i in range(10**12): pass"
    ),
    "for loop in finally": "try:\n    for i in range(10**12): pass\nfinally:\n    for i in range(10**12): pass",
    # Hitting the recursion limit inside the trace function switches tracing off.
    "for loop after caught recursion error": (
        "def f():\n    f()\ntry:\n    f()\nexcept Exception:\n    pass\nfor i in range(10**12): pass"
    ),
}


@pytest.mark.parametrize("source", ENDLESS.values(), ids=ENDLESS.keys())
def test_endless_script_stops_with_script_timeout_within_the_limit(env, source):
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.execute(source, {})
    assert time.monotonic() - started < 5  # stopped, not run on (a bound with room for a loaded machine)


def test_endless_expression_stops_with_script_timeout(env):
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.evaluate("any(i < 0 for i in range(10**12))", {})
    assert time.monotonic() - started < 2


def test_endless_script_in_a_worker_thread_stops_with_script_timeout(env):
    errors = []

    def run():
        try:
            env.execute("for i in range(10**12): pass", {})
        except ScriptTimeout as exc:
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=2)
    assert not worker.is_alive()
    assert len(errors) == 1


def test_timeout_message_names_the_line_and_the_limit(env):
    with pytest.raises(ScriptTimeout, match=r"timed out at line 2: .*0\.3 s time limit"):
        env.execute("x = 1\nwhile True: x += 1", {})


def test_handlers_and_finally_still_work_before_the_deadline(env):
    context = {}
    env.execute("try:\n    1 / 0\nexcept ZeroDivisionError:\n    a = 1\nfinally:\n    b = 2", context)
    assert context == {"a": 1, "b": 2}


@pytest.mark.parametrize("source", ["y = x + 1", "while True: pass"], ids=["normal", "timeout"])
def test_previous_trace_function_is_restored(env, source):
    def tracer(frame, event, arg):
        return None

    original = sys.gettrace()
    sys.settrace(tracer)
    try:
        try:
            env.execute(source, {"x": 1})
        except ScriptTimeout:
            pass
        assert sys.gettrace() is tracer
        env.evaluate("x", {"x": 1})
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(original)


# -- size guards ----------------------------------------------------------------------------------

BOMBS = {
    "power tower": "x = 10**10**10",
    "pow builtin": "x = pow(10, 10**10)",
    "in-place power": "x = 2\nx **= 10**6",
    "string repetition": "x = 'a' * 10**10",
    "repetition on the left": "x = 10**10 * 'a'",
    "list repetition": "x = [0] * 10**10",
    "in-place list repetition": "x = [0]\nx *= 10**10",
    "shift": "x = 1 << 10**10",
    "repeated squaring": "x = 2**5000\nwhile True:\n    x = x * x",
}


@pytest.mark.parametrize("source", BOMBS.values(), ids=BOMBS.keys())
def test_resource_bomb_is_refused_fast(env, source):
    started = time.monotonic()
    with pytest.raises(SandboxError, match="refused"):
        env.execute(source, {})
    assert time.monotonic() - started < 0.25


def test_guarded_operators_keep_their_ordinary_results(env):
    context = {}
    env.execute(
        "a = 2**100\nb = 'ab' * 3\nc = [0] * 3\nd = 1.5 ** 2\ne = Decimal('1.5') * 2\nf = pow(2, 10, 7)\n"
        "g = 1 << 8\nh = 3\nh *= 2\nh **= 2\ni = 2 ** -1\nj = (1, 2) * 2", context)
    assert context == {"a": 2**100, "b": "ababab", "c": [0, 0, 0], "d": 2.25, "e": Decimal("3.0"), "f": 2,
                       "g": 256, "h": 36, "i": 0.5, "j": (1, 2, 1, 2)}


# -- Spiff semantics ------------------------------------------------------------------------------

def test_script_assignments_become_task_data_in_the_same_dict(env):
    context = {"x": 3, "data": {"x": 7}}
    same = context
    env.execute(
        "y = x * 2\nitems = [a for a in range(3)]\ntotal = 0\ntotal += 1\nd = {'k': 1}\nd['k'] = 2\n"
        "label = f'{x}-{total}'\nstamp = datetime.now()\nprice = Decimal('1.5') * 2\nname = 'abc'.upper()\n"
        "got = data.get('x')\nfor i, j in [(1, 2)]:\n    total += i + j\nitems += [9]\nparsed = json_loads('[1]')",
        context)
    assert context is same
    stamp = context.pop("stamp")
    assert isinstance(stamp, datetime)
    assert context == {"x": 3, "data": {"x": 7}, "y": 6, "items": [0, 1, 2, 9], "total": 4, "d": {"k": 2},
                       "label": "3-1", "price": Decimal("3.0"), "name": "ABC", "got": 7, "i": 1, "j": 2,
                       "parsed": [1]}


def test_helpers_callables_and_sandbox_names_are_not_left_in_task_data():
    env = SandboxedEnvironment(helpers={"now_iso": lambda: "2024-01-01T00:00:00"})
    context = {"x": 1}
    env.execute("def f():\n    return 1\ng = lambda: 2\nh = datetime\nstamp = now_iso()\nprint('hello')", context)
    assert context == {"x": 1, "stamp": "2024-01-01T00:00:00"}


def test_external_context_is_visible_to_the_script_but_not_kept(env):
    context = {"x": 1}
    env.execute("y = x + outside", context, external_context={"outside": 10})
    assert context == {"x": 1, "y": 11}


def test_evaluate_reads_helpers_external_context_and_task_data_without_changing_them(env):
    context = {"x": 2, "shadow": "task"}
    value = env.evaluate("(x, shadow, extra, len([1, 2]), timedelta(days=1).days)", context,
                         external_context={"shadow": "external", "extra": 5})
    assert value == (2, "task", 5, 2, 1)
    assert context == {"x": 2, "shadow": "task"}


def test_comprehension_in_an_expression_sees_task_data(env):
    assert env.evaluate("[a for a in items if a > limit]", {"items": [1, 5, 9], "limit": 4}) == [5, 9]


@pytest.mark.parametrize("name", ["datetime", "json_loads", "now_iso"])
def test_task_data_overwriting_a_helper_raises_value_error(name):
    env = SandboxedEnvironment(helpers={"now_iso": lambda: ""})
    with pytest.raises(ValueError, match=name):
        env.execute("y = 1", {name: "x"})


def test_task_data_overwriting_external_context_raises_value_error(env):
    with pytest.raises(ValueError, match="outside"):
        env.execute("y = 1", {"outside": 1}, external_context={"outside": 2})


def test_task_data_named_like_a_python_builtin_is_kept(env):
    context = {"sum": 5, "round": 2}
    env.execute("total = sum + round", context)
    assert context == {"sum": 5, "round": 2, "total": 7}


def test_missing_attribute_raises_attribute_error(env):
    with pytest.raises(AttributeError):
        env.evaluate("'abc'.no_such_method", {})


@pytest.mark.parametrize("source, error", [
    ("y = missing + 1", NameError), ("y = 1 / 0", ZeroDivisionError), ("y = {}['k']", KeyError),
])
def test_runtime_errors_propagate_unchanged(env, source, error):
    with pytest.raises(error):
        env.execute(source, {})


# -- a BPMN process through SpiffWorkflow -------------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://example.org/bpmn">
  <bpmn:process id="double" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>to_script</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="to_script" sourceRef="start" targetRef="script" />
    <bpmn:scriptTask id="script">
      <bpmn:incoming>to_script</bpmn:incoming><bpmn:outgoing>to_gateway</bpmn:outgoing>
      <bpmn:script>SCRIPT</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="to_gateway" sourceRef="script" targetRef="gateway" />
    <bpmn:exclusiveGateway id="gateway">
      <bpmn:incoming>to_gateway</bpmn:incoming>
      <bpmn:outgoing>to_big</bpmn:outgoing><bpmn:outgoing>to_small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_big" sourceRef="gateway" targetRef="end_big">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">y &gt; 5</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_small" sourceRef="gateway" targetRef="end_small">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">y &lt;= 5</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="end_big"><bpmn:incoming>to_big</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small"><bpmn:incoming>to_small</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def _start_workflow(script: str, data: dict, time_limit: float = 2.0) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(BPMN.replace("SCRIPT", script).encode(), filename="double.bpmn")
    engine = PythonScriptEngine(environment=SandboxedEnvironment(time_limit=time_limit))
    workflow = BpmnWorkflow(parser.get_spec("double"), script_engine=engine)
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    return workflow


def _ids_in_state(workflow: BpmnWorkflow, state: TaskState) -> set[str]:
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=state)}


@pytest.mark.parametrize("x, taken, skipped", [(3, "end_big", "end_small"), (2, "end_small", "end_big")])
def test_bpmn_process_runs_the_sandboxed_script_and_takes_the_matching_branch(x, taken, skipped):
    workflow = _start_workflow("y = x * 2", {"x": x})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    end = next(t for t in workflow.get_tasks() if t.task_spec.bpmn_id == taken)
    assert end.state == TaskState.COMPLETED
    assert end.data == {"x": x, "y": 2 * x}
    assert taken in _ids_in_state(workflow, TaskState.COMPLETED)
    assert skipped not in _ids_in_state(workflow, TaskState.COMPLETED)
    # Leftover helpers or functions in task data would break saving the case.
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    restored = serializer.deserialize_json(serializer.serialize_json(workflow))
    assert restored.last_task.data["y"] == 2 * x


def test_bpmn_endless_script_puts_the_task_in_error_with_a_timeout_message():
    workflow = _start_workflow("while True: pass", {"x": 1}, time_limit=0.3)
    started = time.monotonic()
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert time.monotonic() - started < 2
    assert info.value.error_type == "ScriptTimeout"
    assert "timed out" in str(info.value)
    assert info.value.line_number == 1
    assert _ids_in_state(workflow, TaskState.ERROR) == {"script"}


def test_bpmn_script_refused_at_compile_time_fails_as_a_workflow_task_exception():
    workflow = _start_workflow("y = x.__class__", {"x": 1})
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert info.value.error_type == "SandboxError"
    assert "__class__" in str(info.value)
    assert _ids_in_state(workflow, TaskState.ERROR) == {"script"}
