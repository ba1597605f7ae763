"""Size limits the sandbox enforces on strings a single C call could make huge, and on the case data.

A line trace cannot interrupt one C-level call, so calls that build a string of a size the script
chooses (a width in ``'%*d'``, an f-string format spec, ``ljust``/``rjust``/``center``/``zfill``/
``expandtabs``) are checked *before* they run. Whatever C-level call still slips through (``sum`` over
a huge range, ``str.replace`` with a long replacement) is stopped by the worker process's OS limits
(see ``workers.py``). After a script, the case data it leaves must be storable and not too big.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MAX_FORMAT_WIDTH", "CaseDataRefused", "check_case_data", "check_format_spec", "guarded_mod",
           "padding_guard"]

# The sum of the widths and precisions one formatting operation may ask for (characters).
MAX_FORMAT_WIDTH = 10_000

# One %-conversion: %[(key)][flags][width][.precision][length]type — as CPython's parser reads it.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)
_DIGITS = re.compile(r"\d+")
_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_TEXT_TYPES = (str, bytes, bytearray)


class FormatRefused(Exception):  # noqa: N818 - a refusal, named for what happened
    """A formatting or padding call would build a string past MAX_FORMAT_WIDTH."""


class CaseDataRefused(Exception):  # noqa: N818 - a refusal, named for what happened
    """A script left case data that cannot be stored or is larger than the configured size."""


def _refuse(what: str) -> FormatRefused:
    return FormatRefused(f"格式宽度过大（{what} refused: widths above {MAX_FORMAT_WIDTH} characters are not allowed）")


def _check_percent(template: str | bytes | bytearray) -> None:
    text = template.decode("latin-1") if isinstance(template, bytes | bytearray) else template
    if "%" not in text:
        return
    total = 0
    for width, precision, _kind in _PERCENT_SPEC.findall(text):
        if "*" in (width, precision):
            raise FormatRefused("格式宽度不允许用 *（'%' refused: a '*' width or precision is not allowed）")
        total += int(width or 0) + int(precision or 0)
    if total > MAX_FORMAT_WIDTH:
        raise _refuse("'%' formatting")


def guarded_mod(a: Any, b: Any) -> Any:
    """``a % b`` with %-format strings checked for '*' and huge widths first."""
    if isinstance(a, _TEXT_TYPES):
        _check_percent(a)
    return a % b


def check_format_spec(spec: str) -> str | None:
    """The reason an f-string format spec is refused (its numbers add up past the bound), or None."""
    if sum(int(n) for n in _DIGITS.findall(spec)) > MAX_FORMAT_WIDTH:
        return f"format spec {spec[:40]!r} refused: widths above {MAX_FORMAT_WIDTH} characters are not allowed"
    return None


def _padding_width(name: str, text: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    if name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        tabs = text.count("\t" if isinstance(text, str) else b"\t") if isinstance(text, _TEXT_TYPES) else 0
        return tabsize * tabs if isinstance(tabsize, int) else 0
    width = args[0] if args else kwargs.get("width", 0)
    return width if isinstance(width, int) else 0


def padding_guard(obj: Any, name: str, attribute: Any) -> Any:
    """Wrap ``str.ljust``-like methods (bound or unbound) so a huge width is refused before the C call."""
    if name not in _PADDING:
        return attribute
    if isinstance(obj, _TEXT_TYPES):
        def bound(*args: Any, **kwargs: Any) -> Any:
            if _padding_width(name, obj, args, kwargs) > MAX_FORMAT_WIDTH:
                raise _refuse(f"'{name}'")
            return attribute(*args, **kwargs)
        return bound
    if isinstance(obj, type) and issubclass(obj, _TEXT_TYPES):
        def unbound(text: Any, *args: Any, **kwargs: Any) -> Any:
            if _padding_width(name, text, args, kwargs) > MAX_FORMAT_WIDTH:
                raise _refuse(f"'{name}'")
            return attribute(text, *args, **kwargs)
        return unbound
    return attribute


def _encoder() -> type[json.JSONEncoder]:
    # The encoder the case's state is saved with: what it cannot write, the save would fail on.
    from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder

    from workflow_app.engine.runtime import _serializer

    return create_encoder(_serializer.registry)


_encoder_cls: type[json.JSONEncoder] | None = None


def check_case_data(context: Mapping[str, Any], max_bytes: int,
                    skip: Callable[[str, Any], bool] = lambda name, value: False) -> None:
    """Raise CaseDataRefused if ``context`` (task data after a script) is not storable or too large."""
    global _encoder_cls
    if _encoder_cls is None:
        _encoder_cls = _encoder()
    data = {name: value for name, value in context.items() if not skip(name, value)}
    try:
        size = len(json.dumps(data, cls=_encoder_cls))
    except (TypeError, ValueError, RecursionError):
        bad = []
        for name, value in data.items():
            try:
                json.dumps(value, cls=_encoder_cls)
            except (TypeError, ValueError, RecursionError):
                bad.append(f"{name} ({type(value).__name__})")
        raise CaseDataRefused(
            "脚本留下了无法保存的变量（the script left variables that cannot be saved as JSON: "
            + ", ".join(bad) + "）") from None
    if max_bytes and size > max_bytes:
        raise CaseDataRefused(
            f"脚本留下的案件数据过大（the case data after the script is {size} bytes, "
            f"more than the {max_bytes}-byte limit）")
