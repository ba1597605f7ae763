"""Property-based fuzzing of every documented operation with schemathesis: no request may cause a 5xx.

Runs on SQLite only (the PostgreSQL run would double the time and the engine paths are the same).
Each operation gets schema-conforming and schema-violating examples, as an admin and as a 长春市
caseworker, plus a run on a real case id and a real process key. The request budget is fixed
(``SOCORG_FUZZ_REQUESTS``, default 1500: about 30 s here) and shared by however many operations the
document has; ``SOCORG_FUZZ_EXAMPLES=N`` sets the examples per run directly. Examples are
derandomized so CI is repeatable; ``SOCORG_FUZZ_RANDOM=1`` explores new ones.
"""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error

REQUESTS = int(os.environ.get("SOCORG_FUZZ_REQUESTS", "1500"))
EXAMPLES = int(os.environ.get("SOCORG_FUZZ_EXAMPLES", "0"))  # 0: derived from REQUESTS
RANDOM = os.environ.get("SOCORG_FUZZ_RANDOM") == "1"
# Logging out revokes every token of the user: the rest of the run would only see 401s.
SKIPPED = {("POST", "/api/v1/auth/logout")}


def fuzz(operation, headers: dict[str, str], mode: schemathesis.GenerationMode, failures: list[str],
         examples: int, path_parameters: dict[str, str] | None = None) -> int:
    """Send up to ``examples`` generated requests to one operation; record every 5xx in ``failures``."""
    calls = 0

    @settings(max_examples=examples, deadline=None, database=None, derandomize=not RANDOM,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case) -> None:
        nonlocal calls
        calls += 1
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:
        pass  # nothing to negate in this operation (e.g. no parameters at all)
    except (Exception, BaseExceptionGroup) as exc:  # collected: the test reports every failing operation at once
        failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {exc}"[:3000])
    return calls


@pytest.fixture
def fuzz_data(app, client, auth, deployed_sample) -> dict[str, str]:
    """A real case and a real process key, so generated requests also reach found objects."""
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("fuzzing runs on SQLite only")
    response = client.post("/api/v1/process-instances", json={"process_key": deployed_sample},
                           headers=auth("window_cc"))
    assert response.status_code == 201
    return {"instance_id": response.get_json()["id"], "key": deployed_sample, "id": response.get_json()["id"]}


def test_no_documented_operation_answers_with_a_server_error(app, auth, fuzz_data):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    failures: list[str] = []
    calls = 0
    # Two users x (positive + negative + real ids) runs per operation.
    examples = EXAMPLES or max(3, REQUESTS // (len(operations) * 2 * 3))
    started = time.monotonic()
    for username in ["admin", "window_cc"]:
        headers = auth(username)
        for operation in operations:
            if (operation.method.upper(), operation.path) in SKIPPED:
                continue
            for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
                calls += fuzz(operation, headers, mode, failures, examples)
            names = {p.name for p in operation.path_parameters}
            if names and names <= set(fuzz_data):
                real = {name: fuzz_data[name] for name in names}
                calls += fuzz(operation, headers, schemathesis.GenerationMode.POSITIVE, failures, examples, real)
    elapsed = time.monotonic() - started
    print(f"fuzzing: {calls} requests to {len(operations)} operations in {elapsed:.1f} s")
    assert not failures, "\n\n".join(failures)
    assert calls >= len(operations) * 2, calls  # the run really sent requests
