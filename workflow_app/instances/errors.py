"""Errors raised by the instance service."""

from workflow_app.errors import Conflict, InvalidInput, NotFound


class InstanceNotFound(NotFound):
    """No case with that id (or not visible to the caller)."""

    code = "instance_not_found"


class TaskNotFound(NotFound):
    """No human task with that id (or not visible to the caller)."""

    code = "task_not_found"


class VersionConflict(Conflict):
    """Someone else saved the case since it was loaded; nothing was overwritten."""

    code = "version_conflict"


class TaskNotReady(Conflict):
    """The task was already completed or cancelled, or is not reached yet."""

    code = "task_not_ready"


class InstanceNotRunning(Conflict):
    """The case has ended, was cancelled, or is in error."""

    code = "instance_not_running"


class InvalidVariables(InvalidInput):
    """Start variables or task data that the engine cannot store."""

    code = "invalid_variables"


class VersionIncompatible(Conflict):
    """The case cannot move to another version of its process: a step it passed through is missing there."""

    code = "version_incompatible"
