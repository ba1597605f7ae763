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
    """Build the app's one engine (it holds no per-case state); designer code runs in worker processes."""
    from workflow_app import clock
    from workflow_app.engine.helpers import database_calendar, script_helpers
    from workflow_app.engine.isolation import IsolatedEnvironment
    from workflow_app.engine.sandbox import SandboxedEnvironment
    from workflow_app.engine.workers import WorkerSettings

    config = app.config
    settings = WorkerSettings(workers=config["SCRIPT_WORKERS"], memory_mb=config["SCRIPT_MEMORY_MB"],
                              time_limit=config["SCRIPT_TIME_LIMIT"], max_data_bytes=config["MAX_CASE_DATA_BYTES"])
    mode = config["SCRIPT_ISOLATION"]
    environment: SandboxedEnvironment
    if mode == "process":
        environment = IsolatedEnvironment(settings, now=clock.now, calendar=database_calendar)
    elif mode == "inline" and config.get("TESTING"):
        environment = SandboxedEnvironment(helpers=script_helpers(), time_limit=settings.time_limit,
                                           max_data_bytes=settings.max_data_bytes)
    else:
        raise RuntimeError(f"SOCORG_SCRIPT_ISOLATION={mode!r}: use 'process' ('inline' runs designer code in "
                           "this process and is allowed only in tests)")
    app.extensions["socorg.engine"] = Engine(environment=environment)


def get_engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["socorg.engine"]
