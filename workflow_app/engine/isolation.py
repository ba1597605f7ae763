"""The script environment the app uses: designer code runs in a worker process, not here.

SpiffWorkflow and the workflow object stay in the web (or scheduler) process. Each ``evaluate`` and
``execute`` Spiff asks for is sent, with the task data, to a worker (``workers.py``); ``execute``
takes back the task data as the script left it and updates Spiff's dict in place.

One exception, for cost: an expression that is *statically bounded* is evaluated here, in the
same RestrictedPython sandbox. Its AST may contain only names, constants, attribute and subscript
reads (slices included), comparisons, ``and``/``or``/``not``, unary ``-``/``+``/``~``, ``x if c else
y``, tuple/list/set displays and at most ``MAX_FAST_OPERATORS`` binary ``+``, ``-`` or ``/``: no
calls, comprehensions, lambdas, f-strings, ``%``, ``*``, ``**``, ``//``, ``<<``, ``>>``, walrus or dict
displays. Such an expression runs a fixed number of operations, each linear in its operands (task
data, itself bounded), so it can neither loop nor build anything much larger than its inputs.
``decision == "approve"`` and most DMN cells are of this kind.

A script is statically bounded when it is a few assignments of such expressions to plain names
(``six_sync = party_members >= 3``), the binary operators of all of them counted together, and no
expression reads a name an earlier line of the script assigned: each line is then a bounded
expression over the task data as the script found it, so chaining lines cannot compound sizes
(``a = x + x`` then ``b = a + a`` would double at every line). The in-process sandbox checks the
task data's size after the script as the worker does.
"""

from __future__ import annotations

import ast
import builtins
import functools
import itertools
import types
import weakref
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from workflow_app.engine import workers
from workflow_app.engine.helpers import CALENDAR_HELPERS, build_helpers
from workflow_app.engine.limits import CaseDataRefused, FormatRefused
from workflow_app.engine.sandbox import (
    SCRIPT_FILENAME,
    SandboxedEnvironment,
    SandboxError,
    ScriptTimeout,
    compile_expression,
    compile_script,
)
from workflow_app.engine.workers import ScriptKilled, WorkerSettings

__all__ = ["MAX_FAST_OPERATORS", "IsolatedEnvironment", "is_statically_bounded", "is_statically_bounded_script"]

MAX_FAST_OPERATORS = 16
MAX_FAST_ASSIGNMENTS = 16

_FAST_NODES = (
    ast.Expression, ast.Name, ast.Load, ast.Constant, ast.Attribute, ast.Subscript, ast.Slice,
    ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.Tuple, ast.List, ast.Set, ast.BinOp,
    ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Invert, ast.Add, ast.Sub, ast.Div,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
)

_OUR_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls for cls in (SandboxError, ScriptTimeout, ScriptKilled, FormatRefused, CaseDataRefused)
}


@functools.lru_cache(maxsize=4096)
def is_statically_bounded(expression: str) -> bool:
    """True when ``expression`` may run in-process: see the module docstring for the exact rule."""
    try:
        tree = ast.parse(expression.lstrip(" \t"), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return False  # the worker (or the compiler) reports the error
    operators = _bounded_operators(tree)
    return operators is not None and operators <= MAX_FAST_OPERATORS


@functools.lru_cache(maxsize=4096)
def is_statically_bounded_script(script: str) -> bool:
    """True when ``script`` may run in-process: see the module docstring for the exact rule."""
    try:
        tree = ast.parse(script, mode="exec")
    except (SyntaxError, ValueError, RecursionError):
        return False
    if not 0 < len(tree.body) <= MAX_FAST_ASSIGNMENTS:
        return False
    assigned: set[str] = set()
    operators = 0
    for line in tree.body:
        if not (isinstance(line, ast.Assign) and len(line.targets) == 1 and isinstance(line.targets[0], ast.Name)):
            return False
        found = _bounded_operators(line.value, unreadable=assigned)
        if found is None:
            return False
        operators += found
        assigned.add(line.targets[0].id)
    return operators <= MAX_FAST_OPERATORS


def _bounded_operators(tree: ast.AST, unreadable: Collection[str] = ()) -> int | None:
    """The number of binary operators in ``tree``, or None when it holds a node outside the bounded set
    or reads one of the names ``unreadable``."""
    operators = 0
    for node in ast.walk(tree):
        if not isinstance(node, _FAST_NODES) or (isinstance(node, ast.Name) and node.id in unreadable):
            return None
        if isinstance(node, ast.BinOp):
            operators += 1
    return operators


@functools.lru_cache(maxsize=4096)
def _names(code: types.CodeType) -> frozenset[str]:
    """Every global name ``code`` and the functions, lambdas and comprehensions inside it refer to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return frozenset(names)


# A small number per calendar object the parent built, so a worker can keep its copy and be sent
# only the number next time. Calendars are rebuilt (new objects) when an admin changes them.
_calendar_tokens: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_token_counter = itertools.count(1)


def _token(calendar: Any) -> int:
    token = _calendar_tokens.get(calendar)
    if token is None:
        token = _calendar_tokens.setdefault(calendar, next(_token_counter))
    return token


def _rebuild(name: str, args: tuple[Any, ...], line: int | None) -> Exception:
    """The worker's exception as the same type here, carrying the script line it failed on."""
    cls = _OUR_ERRORS.get(name) or getattr(builtins, name, None)
    exc: Exception
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            exc = cls(*args)
        except Exception:
            exc = SandboxError(f"{name}: {', '.join(map(str, args))}")
    else:
        exc = SandboxError(f"{name}: {', '.join(map(str, args))}")
    exc.script_line = line  # type: ignore[attr-defined] - read by the engine's error line lookup
    return exc


def _script_line(exc: BaseException) -> int | None:
    """The line of the sandboxed script ``exc`` was raised on (the innermost frame of the script)."""
    line, trace = None, exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


class IsolatedEnvironment(SandboxedEnvironment):
    """Spiff script environment that runs designer code in worker processes under OS limits."""

    def __init__(self, settings: WorkerSettings, now: Callable[[], datetime],
                 calendar: Callable[[], Any]) -> None:
        """Run code in ``settings``' workers; ``now`` and ``calendar`` are read here and sent along."""
        super().__init__(helpers=build_helpers(now, calendar), time_limit=settings.time_limit,
                         max_data_bytes=settings.max_data_bytes)
        self.settings = settings
        self._now = now
        self._calendar = calendar

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> object:
        """The value of ``expression``: here when statically bounded, else from a worker."""
        if is_statically_bounded(expression):
            return super().evaluate(expression, context, external_context)
        code = compile_expression(expression, SCRIPT_FILENAME)  # refusals are reported without a round trip
        return self._remote("eval", expression, code, context, external_context)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run ``script`` here when statically bounded, else in a worker; either way ``context`` (the
        same dict) ends as the task data the script left."""
        if is_statically_bounded_script(script):
            return self._execute_here(script, context, external_context)
        external = external_context or {}
        self.check_for_overwrite(context, external)
        code = compile_script(script, SCRIPT_FILENAME)
        data = self._remote("exec", script, code, context, external)
        context.clear()
        context.update(data)
        return True

    def _execute_here(self, script: str, context: dict, external_context: dict | None) -> bool:
        # As from a worker: a failed script leaves the task data as it was, and its error names its line.
        scope = dict(context)
        try:
            super().execute(script, scope, external_context)
        except Exception as exc:
            exc.script_line = _script_line(exc)  # type: ignore[attr-defined] - read like a worker's error
            raise
        context.clear()
        context.update(scope)
        return True

    def _remote(self, kind: str, source: str, code: types.CodeType, context: Mapping[str, Any],
                external: Mapping[str, Any] | None) -> Any:
        token, calendar = None, None
        if not CALENDAR_HELPERS.isdisjoint(_names(code)):
            token = _token(self._calendar())
        now = self._now()
        for _attempt in range(2):
            answer = workers.call(self.settings, workers.request(
                kind, source, context, external, now, self.settings, token, calendar))
            if answer[0] == "calendar":  # this worker has no copy of the calendar yet: send it
                calendar = self._calendar()
                token = _token(calendar)
                continue
            if answer[0] == "error":
                raise _rebuild(*answer[1:])
            return answer[1]
        raise SandboxError("the script worker kept asking for the calendar")
