from tests.tasks.conftest import approval, flow, get, post  # noqa: F401 - fixtures, registered by import
