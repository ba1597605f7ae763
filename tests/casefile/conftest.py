"""The case file's tests drive the inbox tests' approval process (window → reviewer → approver)."""

from tests.tasks.conftest import approval, flow, post  # noqa: F401 - fixtures, registered by import
