"""The engine boundary. Everything else talks to SpiffWorkflow only through :class:`Engine`."""

from __future__ import annotations

from flask import Flask, current_app

from workflow_app.engine.runtime import (
    CompiledDefinition,
    Engine,
    EngineError,
    ReadyTask,
    ServiceCall,
    ServiceCaller,
    TaskNotReady,
    UnknownTask,
    current_service_call,
)

__all__ = [
    "CompiledDefinition", "Engine", "EngineError", "ReadyTask", "ServiceCall", "ServiceCaller", "TaskNotReady",
    "UnknownTask", "current_service_call", "get_engine", "init_app",
]


def init_app(app: Flask) -> None:
    """Build the app's one engine (it holds no per-case state)."""
    from workflow_app.engine.helpers import script_helpers

    app.extensions["socorg.engine"] = Engine(helpers=script_helpers(), time_limit=app.config["SCRIPT_TIME_LIMIT"])


def get_engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["socorg.engine"]
