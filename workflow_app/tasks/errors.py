"""Errors of the task inbox and its approval operations (claim, complete, 委派, 转办, 退回, 撤回, 抄送, 催办)."""

from __future__ import annotations

from typing import Any

from workflow_app.errors import Conflict, DomainError, Forbidden, InvalidInput


class NotActionable(Forbidden):
    """The caller may see the task but not work on it (read-only: a copy, oversight, another group's claim)."""

    code = "task_not_actionable"


class TaskClaimed(Conflict):
    """Someone else holds the task; they must complete or release it first."""

    code = "task_claimed"


class AlreadyDelegated(Conflict):
    """The task is out with a delegate; it comes back when they are done (or decline it)."""

    code = "task_delegated"


class FormInvalid(InvalidInput):
    """The form data fails the task's JSON Schema (or a decision lacks its opinion); details name the fields."""

    code = "form_invalid"


class UnknownUser(InvalidInput):
    """A username in the body names no active user."""

    code = "unknown_user"


class UserNotEligible(InvalidInput):
    """The named user exists but could not take this task (another group, region or organization)."""

    code = "user_not_eligible"


class NoEarlierStep(Conflict):
    """退回 needs a completed human step before this one; there is none."""

    code = "no_earlier_step"


class InvalidReturnTarget(InvalidInput):
    """``to_task`` is not an earlier completed step of this task's path."""

    code = "invalid_return_target"


class NotWithdrawable(Conflict):
    """撤回 is only possible while the next step has not acted on the case."""

    code = "not_withdrawable"


class UrgeTooSoon(DomainError):
    """催办 is limited to once per task per hour; ``retry_after`` says how many seconds to wait."""

    status = 429
    code = "urge_rate_limited"

    def __init__(self, message: str, *, retry_after: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details={"retry_after": retry_after, **(details or {})})
        self.retry_after = retry_after
