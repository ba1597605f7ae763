"""The sandbox every BPMN script, condition, timer expression, service parameter and DMN cell runs in.

Code is compiled by RestrictedPython (no underscore names, no imports, guarded attribute access),
runs against a whitelist of builtins, and is bounded in time by a line trace. Operators that can
allocate without bound in one C call (``**``, ``*``, ``<<``, ``%`` formatting) are rewritten to
size-checking guards, and so are padding methods and f-string format specs (``limits.py``).
A single long C-level call (e.g. ``sum(range(10**12))``) cannot be interrupted from Python: that is
why the app runs this sandbox inside worker processes with OS limits (``isolation.py``, ``workers.py``).
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import math
import operator
import sys
import threading
import types
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from time import monotonic
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from workflow_app.engine.limits import check_case_data, check_format_spec, guarded_mod, padding_guard

__all__ = [
    "SAFE_HELPERS", "SandboxError", "SandboxedEnvironment", "ScriptTimeout", "compile_expression", "compile_script",
]

MAX_INT_BITS = 10_000
MAX_SEQUENCE_ITEMS = 1_000_000
# Spiff finds the failing line of a script by looking for traceback frames named '<string>'.
SCRIPT_FILENAME = "<string>"


class SandboxError(Exception):
    """Code refused at compile time or stopped by a sandbox limit while running."""


class ScriptTimeout(SandboxError):  # noqa: N818 - name fixed by the engine's interface
    """Sandboxed code ran past its time limit."""


# -- guards the rewritten code calls ------------------------------------------------------------

_SEQUENCES = (str, bytes, bytearray, list, tuple)


def _refuse_product(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise SandboxError(f"'*' refused: the result would exceed {MAX_INT_BITS} bits")
    elif isinstance(a, _SEQUENCES) and isinstance(b, int) or isinstance(b, _SEQUENCES) and isinstance(a, int):
        items = len(a) * b if isinstance(a, _SEQUENCES) else len(b) * a
        if items > MAX_SEQUENCE_ITEMS:
            raise SandboxError(f"'*' refused: the result would exceed {MAX_SEQUENCE_ITEMS} items")


def _guarded_mul(a: Any, b: Any) -> Any:
    _refuse_product(a, b)
    return a * b


def _guarded_imul(a: Any, b: Any) -> Any:
    _refuse_product(a, b)
    return operator.imul(a, b)


def _guarded_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    # With a modulus the result is smaller than the modulus, so only plain powers are checked;
    # the first test keeps huge exponents away from the float arithmetic of the second.
    if mod is None and isinstance(base, int) and isinstance(exp, int) and exp > 0 and abs(base) > 1:
        if exp > MAX_INT_BITS or exp * math.log2(abs(base)) > MAX_INT_BITS:
            raise SandboxError(f"'**' refused: the result would exceed {MAX_INT_BITS} bits")
    return pow(base, exp) if mod is None else pow(base, exp, mod)


def _guarded_lshift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0 and a.bit_length() + b > MAX_INT_BITS:
        raise SandboxError(f"'<<' refused: the result would exceed {MAX_INT_BITS} bits")
    return a << b


_INPLACE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": _guarded_imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": guarded_mod, "**=": _guarded_pow, "<<=": _guarded_lshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    return _INPLACE_OPS[op](target, value)


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


# (deadline, time limit, script filename, call tracer, line tracer) of this thread's sandbox call.
_local = threading.local()


def _timeout(limit: float, frame: types.FrameType | None, filename: str) -> ScriptTimeout:
    while frame is not None and frame.f_code.co_filename != filename:
        frame = frame.f_back  # in a helper or guard called from the script: name the script's line
    where = f" at line {frame.f_lineno}" if frame is not None and frame.f_code.co_filename == filename else ""
    return ScriptTimeout(f"脚本超出时间限制（script timed out{where}: it ran past its {limit:g} s time limit）")


def _check_deadline() -> None:
    # An exception inside a trace function (our timeout, or a RecursionError hit while calling it)
    # switches tracing off, so a script catching it would run on unbounded. Every except and
    # finally body (and while loop) starts with this call, which re-raises or re-arms the trace.
    run = getattr(_local, "run", None)
    if run is None:
        raise ScriptTimeout("sandboxed code ran outside a sandbox call")
    deadline, limit, filename, on_call, on_line = run
    caller = sys._getframe(1)
    if monotonic() > deadline:
        raise _timeout(limit, caller, filename)
    if sys.gettrace() is not on_call:
        sys.settrace(on_call)
        caller.f_trace = on_line


def _guarded_getattr(obj: Any, name: str) -> Any:
    # safer_getattr_raise refuses underscore names and str.format; padding methods get a width check.
    return padding_guard(obj, name, safer_getattr_raise(obj, name))


_GUARDS: dict[str, object] = {
    "_getattr_": _guarded_getattr, "_getitem_": operator.getitem, "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard, "_inplacevar_": _inplacevar, "_apply_": _apply, "_print_": PrintCollector,
    "_pow_": _guarded_pow, "_mul_": _guarded_mul, "_lshift_": _guarded_lshift, "_mod_": guarded_mod, "_check_deadline_": _check_deadline,
}

# Class statements and exceptions outside Exception (SystemExit would escape Spiff's handlers
# and stop the worker) are left out of RestrictedPython's safe set.
_LEFT_OUT = {"__build_class__", "_getattr_", "BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"}

SAFE_HELPERS: dict[str, object] = {
    **{name: value for name, value in safe_builtins.items() if name not in _LEFT_OUT},
    "pow": _guarded_pow,
    **{name: getattr(builtins, name) for name in (
        "len", "min", "max", "sum", "sorted", "any", "all", "enumerate", "zip", "range", "round", "abs",
        "list", "dict", "set", "tuple", "str", "int", "float", "bool", "isinstance")},
    "datetime": datetime, "date": date, "time": time, "timedelta": timedelta, "timezone": timezone,
    "Decimal": Decimal, "json_loads": json.loads,
}


# -- compilation --------------------------------------------------------------------------------

class _SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus size guards, no imports and deadline checks in handlers."""

    _BINOP_GUARDS = {ast.Pow: "_pow_", ast.Mult: "_mul_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802 - ast.NodeTransformer dispatch name
        """Rewrite ``a ** b``, ``a * b`` and ``a << b`` to calls of the size guards."""
        node = self.node_contents_visit(node)
        guard = self._BINOP_GUARDS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:  # noqa: N802 - ast dispatch name
        """Refuse f-string format specs with nested fields (``{x:>{n}}``) or huge literal widths."""
        spec = node.format_spec
        if isinstance(spec, ast.JoinedStr):
            if not all(isinstance(part, ast.Constant) for part in spec.values):
                self.error(node, "nested fields in an f-string format spec are not allowed.")
            elif reason := check_format_spec("".join(str(part.value) for part in spec.values)):
                self.error(node, reason + ".")
        return super().visit_FormattedValue(node)

    def visit_Import(self, node: ast.Import) -> ast.AST:  # noqa: N802 - ast.NodeTransformer dispatch name
        """Refuse imports at compile time rather than failing later on a missing __import__."""
        self.error(node, "import statements are not allowed.")
        return node

    visit_ImportFrom = visit_Import  # noqa: N815 - the name NodeTransformer dispatches on

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:  # noqa: N802 - ast.NodeTransformer dispatch name
        """Refuse class statements at compile time (there is no class builder to run them)."""
        self.error(node, "class statements are not allowed.")
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:  # noqa: N802 - ast.NodeTransformer dispatch name
        """Re-raise a timeout first thing in every handler; only plain names may be caught."""
        # A call in the except clause would run before the handler body could check the deadline.
        kinds = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        if node.type is not None and not all(isinstance(kind, ast.Name) for kind in kinds):
            self.error(node, "an except clause may only name exception classes.")
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _deadline_check_at(node.body[0]))
        return node

    def visit_While(self, node: ast.While) -> ast.AST:  # noqa: N802 - ast.NodeTransformer dispatch name
        """Check the deadline on every pass of a while loop."""
        # CPython 3.11 reports no 'line' event for a loop that jumps to itself (`while True: pass`).
        node = super().visit_While(node)
        node.body.insert(0, _deadline_check_at(node.body[0]))
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:  # noqa: N802 - ast.NodeTransformer dispatch name
        """Re-raise a timeout first thing in every finally block."""
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, _deadline_check_at(node.finalbody[0]))
        return node


def _deadline_check_at(where: ast.stmt) -> ast.stmt:
    stmt = ast.Expr(ast.Call(func=ast.Name("_check_deadline_", ast.Load()), args=[], keywords=[]))
    copy_locations(stmt, where)
    return stmt


@functools.lru_cache(maxsize=4096)
def _compile(mode: str, source: str, filename: str) -> types.CodeType:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, filename=filename, policy=_SandboxPolicy)
    except SyntaxError as exc:  # raised by compile() itself, e.g. 'return' outside a function
        raise SandboxError(f"Line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # null bytes; nesting too deep for the compiler
        raise SandboxError(f"cannot compile: {exc}") from None
    if result.errors:
        raise SandboxError("; ".join(result.errors))
    return result.code


def compile_expression(source: str, filename: str = "<expression>") -> types.CodeType:
    """Compile a restricted expression (cached); raise SandboxError if it is refused."""
    # eval() ignores leading blanks and BPMN editors indent condition text, so do the same.
    return _compile("eval", source.lstrip(" \t"), filename)


def compile_script(source: str, filename: str = "<script>") -> types.CodeType:
    """Compile a restricted script (cached); raise SandboxError if it is refused."""
    return _compile("exec", source, filename)


# -- the Spiff environment ----------------------------------------------------------------------

_PYTHON_BUILTINS = frozenset(vars(builtins))
_INJECTED = frozenset({"__builtins__", "_print"})  # _print holds RestrictedPython's print collector


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """Spiff script environment running RestrictedPython code with a time bound per call."""

    def __init__(self, helpers: Mapping[str, object] | None = None, time_limit: float = 2.0,
                 max_data_bytes: int | None = None) -> None:
        """Offer SAFE_HELPERS plus ``helpers`` to scripts; bound each call to ``time_limit`` seconds; with
        ``max_data_bytes``, refuse a script that leaves unstorable or larger case data."""
        super().__init__({**SAFE_HELPERS, **(helpers or {})})
        self.time_limit = time_limit
        self.max_data_bytes = max_data_bytes
        # Helpers live in __builtins__, so task data shadows them just as it would in Python.
        self._builtins = {**self.globals, **_GUARDS}
        # Builtin names (sum, round, type...) stay usable as task data, as under Spiff's own
        # environment; the other helper names are reserved like Spiff's environment globals.
        self._reserved = frozenset(name for name in self.globals if name not in _PYTHON_BUILTINS)

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> object:
        """Return the value of ``expression`` over helpers, ``external_context`` and task data."""
        code = compile_expression(expression, SCRIPT_FILENAME)
        scope = {**external_context, **context} if external_context else dict(context)
        scope["__builtins__"] = self._builtins
        return self._run(code, scope)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run ``script`` with task data ``context`` as its globals, so assignments become task data."""
        external = external_context or {}
        self.check_for_overwrite(context, external)
        code = compile_script(script, SCRIPT_FILENAME)
        context.update(external)
        context["__builtins__"] = self._builtins
        try:
            self._run(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external)
        if self.max_data_bytes is not None:
            check_case_data(context, self.max_data_bytes)
        return True

    def check_for_overwrite(self, context: dict, external_context: Mapping[str, object]) -> None:
        """Raise ValueError when task data would hide a helper (Spiff's rule, same message)."""
        overwrites = {name for name in context if name in self._reserved or name in external_context}
        if overwrites:
            raise ValueError(
                "You have task data that overwrites a predefined function(s). Please change the "
                f"following variable or field name(s) to something else: {overwrites}")

    def _remove_globals_and_functions_from_context(self, context: dict, external: Mapping[str, object]) -> None:
        for key in list(context):
            if key in _INJECTED or key in self._reserved or key in external or callable(context[key]):
                del context[key]

    def _run(self, code: types.CodeType, scope: dict) -> object:
        limit = self.time_limit
        filename = code.co_filename
        outer = getattr(_local, "run", None)
        deadline = monotonic() + limit
        if outer is not None:  # sandboxed code calling back into the sandbox gets no extra time
            deadline = min(deadline, outer[0])

        def on_line(frame: types.FrameType, event: str, arg: object) -> Callable[..., Any]:
            if monotonic() > deadline:
                raise _timeout(limit, frame, filename)
            return on_line

        def on_call(frame: types.FrameType, event: str, arg: object) -> Callable[..., Any] | None:
            # Called for every new frame: trace lines of sandboxed code only, but check the
            # deadline on calls into anything else too (helpers, generators resumed from C).
            if frame.f_code.co_filename == filename:
                return on_line(frame, event, arg)
            if monotonic() > deadline:
                raise _timeout(limit, frame, filename)
            return None

        previous_trace = sys.gettrace()  # coverage and debuggers trace too: put theirs back
        _local.run = (deadline, limit, filename, on_call, on_line)
        sys.settrace(on_call)
        try:
            return eval(code, scope)  # noqa: S307 - restricted code object, restricted builtins
        finally:
            sys.settrace(previous_trace)
            _local.run = outer
