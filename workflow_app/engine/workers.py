"""Script worker processes: where designer code runs, under OS limits, away from the web and scheduler.

One pebble ``ProcessPool`` per process (created on first use, started with ``forkserver`` so that a
threaded web server never forks itself, stopped at exit). pebble kills a worker whose call runs past
its timeout and starts a fresh one; we only add the limits a worker sets on itself:

- ``RLIMIT_AS``: the worker's current address space plus ``SCRIPT_MEMORY_MB``, re-armed per call, so
  an allocation past it fails with ``MemoryError`` inside the script;
- ``RLIMIT_CPU``: soft limit = CPU seconds used so far + the time limit + 1, re-armed per call, so a
  C-level loop that ignores everything else gets SIGXCPU;
- the wall-clock kill: pebble's per-call timeout (time limit + ``KILL_GRACE``), SIGTERM at its
  default action (the worker does not catch it, so it dies even inside a long C call).

The line trace inside the sandbox still stops Python-level loops at the time limit without a kill.
"""

from __future__ import annotations

import atexit
import gc
import math
import multiprocessing
import os
import pickle
import resource
import signal
import threading
import traceback
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pebble import ProcessExpired, ProcessPool

__all__ = ["KILL_GRACE", "ScriptKilled", "WorkerSettings", "call", "shutdown"]

KILL_GRACE = 0.5  # seconds past the time limit before the wall-clock kill
_PLAIN = (bool, int, float, str, type(None))


class ScriptKilled(Exception):  # noqa: N818 - what happened to the script
    """A script's worker was stopped by a limit (time, CPU, memory) or died."""


@dataclass(frozen=True)
class WorkerSettings:
    """How script workers run: pool size, per-call limits, the case data bound."""

    workers: int = 2
    memory_mb: int = 512
    time_limit: float = 2.0
    max_data_bytes: int = 1024 * 1024


# -- the worker side ----------------------------------------------------------------------------

class _WorkerState:
    """What one worker keeps between calls: the sandbox, this call's "now", calendars by token."""

    def __init__(self) -> None:
        from workflow_app.engine.helpers import build_helpers
        from workflow_app.engine.sandbox import SandboxedEnvironment

        self.now: datetime | None = None
        self.token: int | None = None
        self.calendars: OrderedDict[int, Any] = OrderedDict()
        self.environment = SandboxedEnvironment(helpers=build_helpers(self._now, self._calendar))

    def _now(self) -> datetime:
        assert self.now is not None
        return self.now

    def _calendar(self) -> Any:
        found = self.calendars.get(self.token) if self.token is not None else None
        if found is None:
            raise _NeedCalendar
        return found


class _NeedCalendar(Exception):  # noqa: N818 - a request to the parent, not an error
    """The code asked for the calendar and this worker has no copy of the current one."""


_state: _WorkerState | None = None


def _initialize(memory_mb: int) -> None:
    """Worker start: die on SIGTERM even inside a C call, drop app secrets, build the sandbox, limit memory."""
    global _state
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # pebble's handler is Python-level: a C loop never runs it
    for name in [n for n in os.environ if n.startswith("SOCORG_")]:
        del os.environ[name]  # the database URL and secret key are no business of designer code
    _state = _WorkerState()
    from workflow_app.engine import limits, runtime  # noqa: F401 - warm imports before the memory limit
    limits.check_case_data({}, 0)
    _arm(2.0, memory_mb)


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _arm(time_limit: float, memory_mb: int) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + time_limit + 1)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    if memory_mb > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = _address_space() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))


def _script_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<string>":
            line = frame.lineno
    return line


def _plain_args(exc: BaseException) -> tuple[Any, ...]:
    args = exc.args
    return args if all(isinstance(a, _PLAIN) for a in args) else (str(exc),)


def run(request: tuple[Any, ...]) -> tuple[Any, ...]:
    """Worker entry: run one evaluate/execute request; answer with a value, the new data, or an error."""
    kind, source, context, external, now, time_limit, max_data_bytes, memory_mb, token, calendar = request
    state = _state
    assert state is not None, "worker not initialized"
    _arm(time_limit, memory_mb)
    state.now, state.token = now, token
    if calendar is not None:
        state.calendars[token] = calendar
        while len(state.calendars) > 4:
            state.calendars.popitem(last=False)
    environment = state.environment
    environment.time_limit, environment.max_data_bytes = time_limit, max_data_bytes
    try:
        if kind == "eval":
            value = environment.evaluate(source, context, external)
            return ("value", value) if isinstance(value, _PLAIN) else _portable(value)
        environment.execute(source, context, external)
        return ("data", context)
    except _NeedCalendar:
        return ("calendar",)
    except MemoryError:
        gc.collect()
        return ("error", "ScriptKilled", (_memory_message(memory_mb),), None)
    except Exception as exc:  # the script's own failure: its type, message and line go back
        return ("error", type(exc).__name__, _plain_args(exc), _script_line(exc))


def _portable(value: Any) -> tuple[Any, ...]:
    try:
        pickle.dumps(value)
    except Exception:  # a generator, a function: nothing the engine could use or store
        message = f"表达式的值无法使用（the expression's value is a {type(value).__name__}, which cannot be used）"
        return ("error", "SandboxError", (message,), None)
    return ("value", value)


def _memory_message(memory_mb: int) -> str:
    return f"脚本超出内存限制（script exceeded its memory limit of {memory_mb} MiB）"


# -- the parent side ----------------------------------------------------------------------------

_lock = threading.Lock()
_pool: ProcessPool | None = None
_pool_key: tuple[int, int, int] | None = None  # (pid, workers, memory_mb)


def _get_pool(settings: WorkerSettings) -> ProcessPool:
    global _pool, _pool_key
    key = (os.getpid(), settings.workers, settings.memory_mb)
    with _lock:
        if _pool is not None and (_pool_key != key or not _pool.active):
            if _pool_key is not None and _pool_key[0] == os.getpid():
                _pool.stop()
            _pool = None
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["workflow_app.engine.workers", "workflow_app.engine.runtime"])
            _pool = ProcessPool(max_workers=settings.workers, initializer=_initialize,
                                initargs=(settings.memory_mb,), context=context)
            _pool_key = key
        return _pool


def call(settings: WorkerSettings, request: tuple[Any, ...]) -> tuple[Any, ...]:
    """Run ``request`` in a worker; raise ScriptKilled when a limit stopped it."""
    future = _get_pool(settings).schedule(run, args=(request,), timeout=settings.time_limit + KILL_GRACE)
    try:
        return future.result()
    except FutureTimeout:
        raise ScriptKilled(f"脚本超出时间限制（script exceeded its time limit of {settings.time_limit:g} s "
                           "and was stopped）") from None
    except BrokenProcessPool as exc:  # every worker died (e.g. at start): the next call builds a new pool
        raise ScriptKilled(f"脚本工作进程不可用（the script workers failed: {exc}）") from None
    except ProcessExpired as exc:
        if exc.exitcode == -signal.SIGXCPU:
            raise ScriptKilled("脚本超出CPU时间限制（script exceeded its CPU time limit and was stopped）") from None
        raise ScriptKilled(f"脚本工作进程意外退出（the script worker exited unexpectedly, code {exc.exitcode}）"
                           ) from None


def shutdown() -> None:
    """Stop this process's workers (at exit, or when a test wants a clean slate)."""
    global _pool, _pool_key
    with _lock:
        if _pool is not None and _pool_key is not None and _pool_key[0] == os.getpid():
            _pool.stop()
            _pool.join(timeout=5)
        _pool, _pool_key = None, None


atexit.register(shutdown)


def request(kind: str, source: str, context: Mapping[str, Any], external: Mapping[str, Any] | None,
            now: datetime, settings: WorkerSettings, token: int | None = None,
            calendar: Any = None) -> tuple[Any, ...]:
    """The tuple :func:`run` takes (a tuple: it pickles faster than an object)."""
    # No copies: the caller waits for the answer, so nothing changes the dicts while they are pickled.
    return (kind, source, context, external or None, now, settings.time_limit,
            settings.max_data_bytes, settings.memory_mb, token, calendar)
