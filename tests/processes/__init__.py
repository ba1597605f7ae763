import pytest

# The shared checks assert inside helper modules; have pytest explain their failures as in a test.
pytest.register_assert_rewrite("tests.processes.layout", "tests.processes.dmn")
