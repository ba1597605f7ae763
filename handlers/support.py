"""What the shipped handlers share: parameter checks with bilingual messages, the case data, atomicity.

Every handler validates its parameters before it writes anything and raises ``ValueError``
with a Chinese + English message naming the operator and the parameter; the engine puts
the case into ``error`` with that message. :func:`atomic` wraps a handler in a savepoint,
so a handler that fails half-way leaves nothing of itself behind in the saved error state.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from handlers import Handler, HandlerContext

USERNAME_RE = re.compile(r"[A-Za-z0-9_.@-]{1,64}", re.ASCII)
REGION_RE = re.compile(r"\d{6}", re.ASCII)


def fail(operator: str, zh: str, en: str) -> ValueError:
    """The error a handler raises for a bad parameter: ``op: 中文说明 / English explanation``."""
    return ValueError(f"{operator}: {zh} / {en}")


def text(params: Mapping[str, Any], name: str, operator: str, *, required: bool = True, max_length: int = 255,
         default: str | None = None) -> str | None:
    """A text parameter, stripped; required ones must be non-empty, none may exceed ``max_length``."""
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise fail(operator, f"缺少参数 {name}", f"parameter '{name}' is required")
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise fail(operator, f"参数 {name} 应为文本", f"parameter '{name}' must be text, got {type(value).__name__}")
    value = str(value).strip()
    if len(value) > max_length:
        raise fail(operator, f"参数 {name} 超过 {max_length} 个字符", f"parameter '{name}' is longer than {max_length}")
    return value


def boolean(params: Mapping[str, Any], name: str, operator: str, *, default: bool | None = None) -> bool | None:
    """A bool parameter (True/False; 是/否 and 'true'/'false' text accepted)."""
    from workflow_app.organizations.labels import parse_bool

    value = params.get(name)
    if value is None:
        return default
    try:
        return parse_bool(value)
    except ValueError:
        raise fail(operator, f"参数 {name} 应为是/否", f"parameter '{name}' must be true or false, got {value!r}") from None


def integer(params: Mapping[str, Any], name: str, operator: str, *, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    """An int parameter (digit strings accepted), within bounds."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().lstrip("-").isdigit():
        raise fail(operator, f"参数 {name} 应为整数", f"parameter '{name}' must be an integer, got {value!r}")
    number = int(str(value).strip())
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise fail(operator, f"参数 {name} 超出范围", f"parameter '{name}' = {number} is out of range")
    return number


def mapping(params: Mapping[str, Any], name: str, operator: str) -> dict[str, Any]:
    """A dict parameter with text keys (empty when absent)."""
    value = params.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise fail(operator, f"参数 {name} 应为字典", f"parameter '{name}' must be a dict with text keys")
    return dict(value)


def text_list(params: Mapping[str, Any], name: str, operator: str) -> list[str]:
    """A list of texts; a single text with commas is split (``"a, b"`` → ``["a", "b"]``)."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise fail(operator, f"参数 {name} 应为文本列表", f"parameter '{name}' must be a list of texts")
    return [v.strip() for v in value if v.strip()]


def region_code(context: HandlerContext, code: object, operator: str, name: str = "region_code") -> str:
    """A region code that exists in the directory."""
    from workflow_app.directory.models import Region

    code = str(code or "").strip()
    if not REGION_RE.fullmatch(code) or context.session.get(Region, code) is None:
        raise fail(operator, f"区划 {code!r} 不存在", f"parameter '{name}': no region {code!r}")
    return code


def task_id(context: HandlerContext) -> str | None:
    """The id of the service task being run (None when a handler is called outside the engine)."""
    from workflow_app.engine import current_service_call

    call = current_service_call()
    return call.task_id if call is not None else None


def task_name(context: HandlerContext) -> str | None:
    """The BPMN id of the service task being run."""
    from workflow_app.engine import current_service_call

    call = current_service_call()
    return call.task_name if call is not None else None


def case_variables(context: HandlerContext) -> dict[str, Any]:
    """The case's variables as the service task sees them (its saved data when run outside the engine)."""
    from workflow_app.engine import current_service_call

    call = current_service_call()
    if call is not None:
        return dict(call.data)
    if not context.instance.state_json or context.instance.state_json == "{}":
        return {}
    from workflow_app.services import instance_service

    return instance_service(context.session).variables(context.instance)


def atomic(func: Handler) -> Handler:
    """Run the handler in a savepoint: if it raises, none of its writes stay in the transaction."""

    @functools.wraps(func)
    def wrapper(context: HandlerContext, params: dict[str, Any]) -> Any:
        with context.session.begin_nested():
            return func(context, params)

    return wrapper


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register an atomic handler under operator ``name``."""
    from handlers import registry

    def decorate(func: Handler) -> Handler:
        return registry.register(name)(atomic(func))

    return decorate
