"""Service-task handlers, found by operator name.

A BPMN service task names an operator (``spiffworkflow:serviceTaskOperator id="..."``);
the engine calls the handler registered under that name with a :class:`HandlerContext`
(the case, the acting user and the database session of the running transaction) and
the task's evaluated parameters. A handler's return value is stored in the task's
result variable; an exception puts the case into ``error`` with the handler's message.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

BUILTIN_MODULES = (
    "handlers.case", "handlers.clock", "handlers.numbering", "handlers.documents", "handlers.organizations",
    "handlers.announcements", "handlers.notify", "handlers.annual_report", "handlers.registry_changes",
    "handlers.registration",
)


@dataclass
class HandlerContext:
    """What a handler may use: the running transaction's session and the case it acts for."""

    session: Session
    instance: Any  # workflow_app.instances.models.ProcessInstance (kept untyped: no import cycle)
    actor: str | None


Handler = Callable[[HandlerContext, dict[str, Any]], Any]


class UnknownOperator(LookupError):
    """No handler is registered under the operator name a service task uses."""


class HandlerRegistry:
    """Operator name → handler function."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator: register the function as the handler of operator ``name``."""

        def decorate(func: Handler) -> Handler:
            if name in self._handlers and self._handlers[name] is not func:
                raise ValueError(f"operator '{name}' already has a handler")
            self._handlers[name] = func
            return func

        return decorate

    def names(self) -> frozenset[str]:
        """Every registered operator name (the deploy lint checks service tasks against these)."""
        return frozenset(self._handlers)

    def call(self, name: str, context: HandlerContext, params: dict[str, Any]) -> Any:
        """Run the handler of ``name``."""
        try:
            handler = self._handlers[name]
        except KeyError:
            raise UnknownOperator(f"no handler for operator '{name}'") from None
        return handler(context, params)


registry = HandlerRegistry()


def load_builtin() -> HandlerRegistry:
    """Import the shipped handler modules (each registers itself) and return the registry."""
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    return registry
