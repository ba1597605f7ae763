"""The isolated environment: designer code runs in worker processes with OS limits, same results as inline."""

from __future__ import annotations

import multiprocessing
import signal
import time
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime

import pytest
from pebble import ProcessExpired

from workflow_app import create_app
from workflow_app.calendar.workdays import WorkCalendar
from workflow_app.engine import workers
from workflow_app.engine.helpers import build_helpers
from workflow_app.engine.isolation import (
    IsolatedEnvironment,
    is_statically_bounded,
    is_statically_bounded_script,
)
from workflow_app.engine.limits import CaseDataRefused, FormatRefused
from workflow_app.engine.sandbox import SandboxedEnvironment, SandboxError
from workflow_app.engine.workers import ScriptKilled, WorkerSettings

# The app's pool size and memory budget, so these tests share the pool the case tests use.
SETTINGS = WorkerSettings(workers=2, memory_mb=512, time_limit=1.0, max_data_bytes=64 * 1024)
MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing


class Calendars:
    """A calendar provider that counts how often the engine asked for it."""

    def __init__(self) -> None:
        self.calendar = WorkCalendar()
        self.asked = 0

    def __call__(self) -> WorkCalendar:
        self.asked += 1
        return self.calendar


@pytest.fixture
def calendars() -> Calendars:
    return Calendars()


@pytest.fixture
def env(calendars: Calendars) -> IsolatedEnvironment:
    return IsolatedEnvironment(SETTINGS, now=lambda: MONDAY, calendar=calendars)


# -- what stays in-process ------------------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    'decision == "approve"', "amount > 10000 and kind == 'A'", "not joint_problem", "1 <= party_members <= 2",
    'decision in ["approve", "reject"]', "a.b[0] + c[1:3]", "x / 2 - -y", "'a' if flag else 'b'", "None",
    "response == 'stop' or objection_action == 'stop'",
])
def test_bounded_expressions_run_in_process(expression):
    assert is_statically_bounded(expression)


@pytest.mark.parametrize("expression", [
    "sum(range(10**12))", "x * 2", "x ** 2", "x % 2", "x // 2", "x << 2", "[i for i in y]", "lambda: 1",
    "f'{x}'", "{'k': v}", "(y := 1)", "workdays_later(2)", "len(x) > 0", " + ".join(["x"] * 18), "x(",
])
def test_anything_else_goes_to_a_worker(expression):
    assert not is_statically_bounded(expression)


def test_bounded_expression_does_not_use_a_worker(env, monkeypatch):
    monkeypatch.setattr(workers, "call", lambda *a: pytest.fail("a bounded expression went to a worker"))
    assert env.evaluate('decision == "approve"', {"decision": "approve"}) is True


@pytest.mark.parametrize("script", [
    "six_sync = party_members >= 3", "a = x + 1\nb = y - 2", "x = x + 1", "flag = 'a' if ok else 'b'\nlevel = 2",
    "names = [a, b]",
])
def test_bounded_scripts_run_in_process(script, env, monkeypatch):
    assert is_statically_bounded_script(script)
    monkeypatch.setattr(workers, "call", lambda *a: pytest.fail("a bounded script went to a worker"))
    context = {"party_members": 3, "x": 1, "y": 5, "ok": True, "a": 1, "b": 2}
    env.execute(script, context)


@pytest.mark.parametrize("script", [
    # a line reading what an earlier line built could double a value at every line
    "a = x + x\nb = a + a", "a = x\nb = [a, a]",
    "y = x * 2", "y = len(x)", "for i in x:\n    y = i", "a, b = x", "a.b = 1", "a[0] = 1", "a = b = 1",
    "y += 1", "def f():\n    return 1", "import os", "y = [i for i in x]", "x", "",
    "\n".join(f"v{n} = 1" for n in range(17)), "\n".join(f"v{n} = x + 1" for n in range(17)),
    "  y = 1", "y = (",
])
def test_other_scripts_go_to_a_worker(script):
    assert not is_statically_bounded_script(script)


def test_a_bounded_script_in_process_is_still_sandboxed(env, monkeypatch):
    monkeypatch.setattr(workers, "call", lambda *a: pytest.fail("a bounded script went to a worker"))
    with pytest.raises(SandboxError):
        env.execute("y = x.__class__", {"x": 1})  # refused when compiled, as anywhere
    context = {"x": "a"}
    env.execute("y = x.upper\nz = now", context)  # a method or a helper is never left in the task data
    assert context == {"x": "a"}


def test_a_bounded_script_in_process_still_checks_the_case_data_size(env):
    context = {"x": "x" * 40_000}
    with pytest.raises(CaseDataRefused):
        env.execute("y = x + x", context)


def test_a_bounded_script_in_process_fails_as_in_a_worker(env):
    context = {"x": 1}
    with pytest.raises(TypeError) as info:
        env.execute("y = 1\nz = x + 'a'", context)
    assert info.value.script_line == 2
    assert context == {"x": 1}  # nothing of the failed script stays in the task data


# -- same results as the inline sandbox -----------------------------------------------------------

def test_script_assignments_replace_the_task_data_in_the_same_dict(env):
    context = {"x": 3, "items": [1]}
    same = context
    env.execute("y = x * 2\nitems = items + [2]\ndef f():\n    return 1\nstamp = now_iso()", context,
                external_context={"outside": 1})
    assert context is same
    assert context == {"x": 3, "items": [1, 2], "y": 6, "stamp": MONDAY.isoformat()}


def test_expressions_see_external_context_and_helpers(env):
    assert env.evaluate("len(items) + extra", {"items": [1, 2]}, external_context={"extra": 10}) == 12
    assert env.evaluate("now().hour", {}) == 9  # the app clock's now, sent along, in Beijing time


def test_calendar_helpers_in_a_worker_match_the_in_process_helpers(env, calendars):
    inline = build_helpers(lambda: MONDAY, calendars)
    assert env.evaluate("workdays_later(2)", {}) == inline["workdays_later"](2)
    assert env.evaluate("workdays_until('2026-03-20')", {}) == inline["workdays_until"]("2026-03-20") == 13
    context = {}
    env.execute("due = deadline('5wd')\nlater = days_later(3)", context)
    assert context == {"due": inline["deadline"]("5wd"), "later": inline["days_later"](3)}


def test_the_calendar_is_read_only_for_code_that_names_a_calendar_helper(env, calendars):
    env.execute("y = 1\nstamp = now_iso()", {})
    assert env.evaluate("len('ab')", {}) == 2
    assert calendars.asked == 0
    env.evaluate("workdays_later(1)", {})
    assert calendars.asked >= 1


@pytest.mark.parametrize("source, error, line", [
    ("y = 1\nz = 1 / 0", ZeroDivisionError, 2), ("y = missing + 1", NameError, 1), ("y = {}['k']", KeyError, 1),
    ("raise ValueError('bad value')", ValueError, 1),
])
def test_errors_come_back_with_their_type_and_script_line(env, source, error, line):
    context = {"x": 1}
    with pytest.raises(error) as info:
        env.execute(source, context)
    assert info.value.script_line == line
    assert context == {"x": 1}  # a failed script leaves the task data as it was


def test_refused_code_fails_before_any_worker_is_asked(env, monkeypatch):
    monkeypatch.setattr(workers, "call", lambda *a: pytest.fail("refused code went to a worker"))
    with pytest.raises(SandboxError, match="__class__"):
        env.execute("y = x.__class__", {"x": 1})


def test_an_expression_value_that_cannot_leave_the_worker_is_a_sandbox_error(env):
    with pytest.raises(SandboxError, match="generator"):
        env.evaluate("(i for i in range(3))", {})


def test_size_guards_apply_inside_the_worker(env):
    with pytest.raises(FormatRefused):
        env.execute("x = '%*d' % (10**9, 1)", {})
    with pytest.raises(CaseDataRefused, match="65536-byte limit"):
        env.execute("x = 'a' * 100000", {})


# -- OS limits -------------------------------------------------------------------------------------

def test_c_level_loop_is_killed_at_the_time_limit_and_the_next_call_gets_a_fresh_worker(env):
    started = time.monotonic()
    with pytest.raises(ScriptKilled, match="脚本超出时间限制（script exceeded its time limit of 1 s"):
        env.execute("x = sum(range(15 * 10**8))", {})
    assert time.monotonic() - started < SETTINGS.time_limit + workers.KILL_GRACE + 2.0
    for _ in range(SETTINGS.workers + 1):  # every worker answers, the replaced one included
        assert env.evaluate("len([1, 2, 3])", {}) == 3


def test_allocation_past_the_memory_budget_fails_in_the_worker(env):
    with pytest.raises(ScriptKilled, match="脚本超出内存限制（script exceeded its memory limit of 512 MiB"):
        env.execute("x = list(range(10**8))", {})
    assert env.evaluate("len([1])", {}) == 1


def _burn_cpu_under_limits() -> None:
    workers._arm(0.5, 0)
    sum(range(10**11))  # one C call: only the CPU limit can stop it


def test_cpu_limit_armed_per_call_stops_a_c_level_loop():
    process = multiprocessing.get_context("spawn").Process(target=_burn_cpu_under_limits)
    started = time.monotonic()
    process.start()
    process.join(timeout=30)
    assert process.exitcode == -signal.SIGXCPU
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("failure, message", [
    (ProcessExpired("Abnormal termination", code=-signal.SIGXCPU), "脚本超出CPU时间限制"),
    (ProcessExpired("Abnormal termination", code=-signal.SIGSEGV), "脚本工作进程意外退出"),
    (BrokenProcessPool("All workers expired"), "脚本工作进程不可用"),
], ids=["sigxcpu", "crash", "broken pool"])
def test_a_dead_worker_becomes_a_readable_script_killed(monkeypatch, failure, message):
    class Dead:
        def result(self):
            raise failure

    class Pool:
        def schedule(self, *args, **kwargs):
            return Dead()

    monkeypatch.setattr(workers, "_get_pool", lambda settings: Pool())
    with pytest.raises(ScriptKilled, match=message):
        workers.call(SETTINGS, ())


# -- configuration ----------------------------------------------------------------------------------

def test_inline_isolation_is_refused_outside_tests(tmp_path):
    config = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3", "SECRET_KEY": "x", "SCRIPT_ISOLATION": "inline"}
    with pytest.raises(RuntimeError, match="SOCORG_SCRIPT_ISOLATION"):
        create_app(config)
    app = create_app({**config, "TESTING": True})
    assert type(app.extensions["socorg.engine"]._environment) is SandboxedEnvironment


def test_the_app_runs_designer_code_in_workers_by_default(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3", "SECRET_KEY": "x"})
    environment = app.extensions["socorg.engine"]._environment
    assert isinstance(environment, IsolatedEnvironment)
    assert environment.settings == WorkerSettings(workers=2, memory_mb=512, time_limit=2.0,
                                                  max_data_bytes=1024 * 1024)


def _initialize_and_report_environment(queue) -> None:  # noqa: ANN001 - a multiprocessing queue
    import os

    os.environ["SOCORG_SECRET_KEY"] = "not for scripts"
    workers._initialize(0)
    queue.put(sorted(name for name in os.environ if name.startswith("SOCORG_")))


def test_a_worker_drops_the_app_settings_from_its_environment():
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_initialize_and_report_environment, args=(queue,))
    process.start()
    assert queue.get(timeout=30) == []
    process.join(timeout=30)
