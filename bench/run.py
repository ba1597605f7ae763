"""make bench: what one case step, one request and one scan cost; printed as `name: value` lines.

Figures are medians (or p95 where named) of repeated runs in one process, on a fresh SQLite
database and, when SOCORG_BENCH_POSTGRES_URL is set, on a fresh PostgreSQL database too.
Designer code runs in script worker processes, as in production; the isolation figures compare
completions with the in-process (inline) sandbox, alternating the two on the same kind of case.
`--quick` shrinks the data sizes for a smoke run (the figures are then not comparable).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench import seed  # noqa: E402
from bench.databases import throwaway_database  # noqa: E402
from workflow_app import clock, create_app, db, migrations  # noqa: E402


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def timed(action: Callable[[], Any]) -> float:
    """Milliseconds one call takes."""
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


# A tiny script that still goes to a worker: a call is never statically bounded (a plain `y = x + 1`
# now runs in-process, engine/isolation.py).
ROUND_TRIP_SCRIPT = "y = abs(x) + 1"

# The bench's parts (--only picks some): one case step, a case's growing history, the million-row scans.
PARTS = ("completion", "history", "inbox")


class Bench:
    """One backend's run: a fresh database, the shipped processes deployed, the demo users loaded."""

    def __init__(self, url: str, sizes: dict[str, int]) -> None:
        from workflow_app.definitions.service import collect_files
        from workflow_app.demo import load_demo
        from workflow_app.services import definition_service

        self.sizes = sizes
        self.app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SCRIPT_TIME_LIMIT": 5.0})
        self.ctx = self.app.app_context()
        self.ctx.push()
        migrations.upgrade(db.engine())
        load_demo(db.session(), organizations=50)
        definition_service().deploy(collect_files([ROOT / "bpmn"]), deployed_by="bench")
        self.client = self.app.test_client()
        self.tokens: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        db.session().close()
        db.engine().dispose()
        self.ctx.pop()

    @contextlib.contextmanager
    def as_production(self) -> Iterator[None]:
        """Requests in this block each get their own app context (own session), as under a WSGI server;
        the bench's own context (for seeding) is set aside meanwhile."""
        db.session().close()
        self.ctx.pop()
        try:
            yield
        finally:
            self.ctx.push()

    def auth(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            answer = self.client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"})
            self.tokens[username] = {"Authorization": f"Bearer {answer.get_json()['token']}"}
        return self.tokens[username]

    # -- the figures ------------------------------------------------------------------------

    def engine_only(self, instance_id: str) -> float:
        """Bare SpiffWorkflow: deserialize a full serialization, complete 审查, run on, serialize."""
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
        from SpiffWorkflow.util.task import TaskState

        from workflow_app.definitions.service import compiled
        from workflow_app.engine import get_engine
        from workflow_app.instances.models import ProcessInstance

        instance = db.session().get(ProcessInstance, instance_id)
        engine = get_engine()
        workflow = engine.load(compiled(instance.definition, engine), instance.state_json)
        stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
        full = stock.serialize_json(workflow)  # what a plain Spiff integration stores: state and spec

        def one() -> None:
            loaded = stock.deserialize_json(full)
            [task] = [t for t in loaded.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == "review"]
            task.set_data(**seed.REVIEW_PASS)
            task.run()
            loaded.do_engine_steps()
            stock.serialize_json(loaded)

        for _ in range(20):
            one()
        return p50([timed(one) for _ in range(self.sizes["engine_runs"])])

    def review(self, task_id: str, headers: dict[str, str]) -> None:
        """POST /tasks/{id}/complete for a registration's 审查 step, passing it."""
        answer = self.client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers,
                                  json={"data": seed.REVIEW_PASS, "opinion": seed.REVIEW_PASS["opinion"]})
        assert answer.status_code == 200, answer.get_json()

    def complete_through_api(self, tasks: list[tuple[str, str]]) -> tuple[float, float]:
        """POST /tasks/{id}/complete as the reviewer: (median ms, completions per second)."""
        headers = self.auth("reviewer_cc")
        samples = []
        with self.as_production():
            started = time.perf_counter()
            for _instance_id, task_id in tasks:
                samples.append(timed(lambda task_id=task_id: self.review(task_id, headers)))
            elapsed = time.perf_counter() - started
        return p50(samples), len(tasks) / elapsed

    def database_share(self, tasks: list[tuple[str, str]]) -> dict[str, float]:
        """What the same completion spends in the database driver: statements per completion and the
        median milliseconds inside their executes (server round trips plus the driver; commits not
        counted)."""
        from sqlalchemy import event

        headers = self.auth("reviewer_cc")
        engine = db.engine()
        spent, counted = [0.0], [0]

        def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            context.socorg_bench_started = time.perf_counter()

        def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            spent[0] += time.perf_counter() - context.socorg_bench_started
            counted[0] += 1

        waits, statements = [], []
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            with self.as_production():
                for _instance_id, task_id in tasks:
                    spent[0], counted[0] = 0.0, 0
                    self.review(task_id, headers)
                    waits.append(spent[0] * 1000)
                    statements.append(counted[0])
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
        return {"complete_db_ms_p50": p50(waits), "complete_statements": statistics.median(statements)}

    def python_calls(self, tasks: list[tuple[str, str]]) -> float:
        """Python function calls (and C calls made from Python) per completion, counted by a profile hook:
        unlike the timings, this does not move with the machine's speed, so a change shows in it at once."""
        headers = self.auth("reviewer_cc")
        counted = [0]

        def count(frame: Any, event: str, arg: Any) -> None:
            if event == "call" or event == "c_call":
                counted[0] += 1

        with self.as_production():
            self.review(tasks[0][1], headers)  # warm: first-use imports and caches are not the step's cost
            sys.setprofile(count)
            try:
                for _instance_id, task_id in tasks[1:]:
                    self.review(task_id, headers)
            finally:
                sys.setprofile(None)
        return counted[0] / (len(tasks) - 1)

    def isolation_cost(self, tasks: list[tuple[str, str]]) -> dict[str, float]:
        """Completions alternating worker-process and inline script environments, and a bare script round trip."""
        from workflow_app import clock
        from workflow_app.engine.helpers import script_helpers
        from workflow_app.engine.sandbox import SandboxedEnvironment

        engine = self.app.extensions["socorg.engine"]
        isolated = engine._environment
        # Inline is test-only in config; the bench builds it directly, to measure what isolation costs.
        inline = SandboxedEnvironment(helpers=script_helpers(), time_limit=isolated.time_limit,
                                      max_data_bytes=isolated.max_data_bytes)
        headers = self.auth("reviewer_cc")
        samples: dict[str, list[float]] = {"process": [], "inline": []}
        try:
            with self.as_production():
                for n, (_instance_id, task_id) in enumerate(tasks):
                    mode = "inline" if n % 2 else "process"
                    engine._environment = inline if mode == "inline" else isolated
                    samples[mode].append(timed(lambda task_id=task_id: self.review(task_id, headers)))
        finally:
            engine._environment = isolated
        context = {"x": 1}
        with clock.frozen(clock.now()):
            for _ in range(50):
                isolated.execute(ROUND_TRIP_SCRIPT, context)
            round_trip = p50([timed(lambda: isolated.execute(ROUND_TRIP_SCRIPT, context)) for _ in range(300)])
            in_process = p50([timed(lambda: inline.execute(ROUND_TRIP_SCRIPT, context)) for _ in range(300)])
        # Neighbouring completions form a pair; the median of the pairs' differences resists this machine's drift.
        paired = [a - b for a, b in zip(samples["process"], samples["inline"], strict=False)]
        return {"complete_task_ms_p50_isolated": p50(samples["process"]),
                "complete_task_ms_p50_inline": p50(samples["inline"]), "isolation_cost_ms_p50": p50(paired),
                "script_round_trip_ms_p50": round_trip, "script_inline_ms_p50": in_process}

    def history_growth(self) -> dict[str, float]:
        """What a completion costs as its case's history grows: a review repeated as a standard loop
        (bench/data/repeated_review), completed through the API by the window clerk; the median of the
        completions around round 1 (of fresh cases), 100 and 500."""
        from workflow_app.definitions.service import collect_files
        from workflow_app.services import definition_service, instance_service

        definition_service().deploy(collect_files([ROOT / "bench" / "data" / "repeated_review"]), deployed_by="bench")
        service = instance_service(db.session())
        first_tasks = [service.start("repeated_review", dict(seed.APPLICATION), started_by="window_cc",
                                     region_code="220100").new_tasks[0].id
                       for _ in range(self.sizes["history_fresh"] + 1)]
        headers = self.auth("window_cc")
        around = {1: [], 100: [], 500: []}  # type: dict[int, list[float]]
        body = {"data": {"again": True, "opinion": "请补充材料后再审。"}}

        def complete(task_id: str) -> str:
            answer = self.client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json=body)
            assert answer.status_code == 200, answer.get_json()
            return answer.get_json()["next_tasks"][0]["id"]

        with self.as_production():
            for first in first_tasks[1:]:  # round 1 of fresh cases
                around[1].append(timed(lambda task_id=first: complete(task_id)))
            task_id = first_tasks[0]
            for round_ in range(1, self.sizes["history_rounds"] + 6):
                started = time.perf_counter()
                task_id = complete(task_id)
                spent = (time.perf_counter() - started) * 1000
                for mark in (100, 500):
                    if mark <= self.sizes["history_rounds"] and abs(round_ - mark) <= 5:
                        around[mark].append(spent)
        figures = {"complete_ms_hist1": p50(around[1]), "complete_ms_hist100": p50(around[100])}
        if around[500]:
            figures["complete_ms_hist500"] = p50(around[500])
        last = figures.get("complete_ms_hist500", figures["complete_ms_hist100"])
        figures["history_growth_ratio"] = last / figures["complete_ms_hist1"]
        return figures

    def starts_through_api(self) -> float:
        """POST /process-instances as the applicant: starts per second."""
        headers = self.auth("applicant")
        count = self.sizes["starts"]
        with self.as_production():
            started = time.perf_counter()
            for _ in range(count):
                answer = self.client.post("/api/v1/process-instances", headers=headers,
                                          json={"process_key": "registration", "variables": {}})
                assert answer.status_code == 201, answer.get_json()
            return count / (time.perf_counter() - started)

    def tab_and_counts(self, username: str, scope: str) -> tuple[float, float]:
        """ms of one inbox page (GET /tasks?scope=…, 50 soonest due) and of one GET /tasks/counts."""
        headers = self.auth(username)
        page = timed(lambda: self.client_get(f"/api/v1/tasks?scope={scope}&sort=due_at&per_page=50", headers))
        return page, timed(lambda: self.client_get("/api/v1/tasks/counts", headers))

    def client_get(self, url: str, headers: dict[str, str]) -> None:
        answer = self.client.get(url, headers=headers)
        assert answer.status_code == 200, answer.get_json()

    def inbox(self) -> dict[str, float]:
        """p95 ms of a caseworker's inbox page plus its tab counts, over the bulk rows; and of the page
        alone per tab, and of the counts alone."""
        samples: dict[str, list[float]] = {"both": [], "counts": [], "group": [], "mine": [], "all": []}
        with self.as_production():
            for n in range(self.sizes["inbox_runs"]):
                scope = ("group", "mine", "all")[n % 3]
                page, counts = self.tab_and_counts("window_cc", scope)
                samples["both"].append(page + counts)
                samples["counts"].append(counts)
                samples[scope].append(page)
        return {"inbox_p95_ms_1m": p95(samples["both"]), "inbox_counts_p95_ms_1m": p95(samples["counts"]),
                **{f"inbox_{scope}_page_p95_ms_1m": p95(samples[scope]) for scope in ("mine", "group", "all")}}

    def supervisor_overview(self) -> dict[str, float]:
        """p95 ms of the province supervisor's 'all' tab (every open task of the province) plus counts;
        and of each alone."""
        samples: dict[str, list[float]] = {"both": [], "page": [], "counts": []}
        with self.as_production():
            for _ in range(self.sizes["overview_runs"]):
                page, counts = self.tab_and_counts("supervisor_prov", "all")
                samples["both"].append(page + counts)
                samples["page"].append(page)
                samples["counts"].append(counts)
        return {"inbox_supervisor_all_p95_ms_1m": p95(samples["both"]),
                "inbox_supervisor_all_page_p95_ms_1m": p95(samples["page"]),
                "inbox_supervisor_counts_p95_ms_1m": p95(samples["counts"])}

    def escalation(self) -> float:
        """Seconds of one escalation pass over the overdue open tasks."""
        from workflow_app.alerts.service import EscalationService

        session = db.session()
        started = time.perf_counter()
        EscalationService(session).scan(clock.now())
        return time.perf_counter() - started

    def run(self, parts: Collection[str] = PARTS) -> dict[str, float]:
        figures: dict[str, float] = {}
        session = db.session()
        if "completion" in parts:
            size = self.sizes["cases"]
            cases = seed.cases_at_review(session, 2 * size + 1 + size // 5 + 21)
            figures["engine_only_ms_p50"] = self.engine_only(cases[0][0])
            regular, compared = cases[1:size + 1], cases[size + 1:2 * size + 1]
            listened, counted = cases[2 * size + 1:-21], cases[-21:]
            figures["complete_task_ms_p50"], figures["complete_per_s"] = self.complete_through_api(regular)
            figures["overhead_ratio"] = figures["complete_task_ms_p50"] / figures["engine_only_ms_p50"]
            figures.update(self.isolation_cost(compared))
            figures.update(self.database_share(listened))
            figures["complete_python_calls"] = self.python_calls(counted)
            figures["start_per_s"] = self.starts_through_api()
        if "history" in parts:
            figures.update(self.history_growth())
        if "inbox" in parts:
            seeded = seed.million_tasks(session, self.sizes["tasks"], self.sizes["open"])
            session.close()
            figures.update(self.inbox())
            figures.update(self.supervisor_overview())
            figures["escalation_scan_s_100k"] = self.escalation()
            figures["seeded_tasks"] = seeded["tasks"]
            figures["seeded_open_tasks"] = seeded["open"]
        return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, not comparable figures")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--skip-sqlite", action="store_true",
                        help="only PostgreSQL (needs SOCORG_BENCH_POSTGRES_URL)")
    parser.add_argument("--only", action="append", choices=PARTS,
                        help="run only this part (repeatable); default: every part")
    args = parser.parse_args()
    sizes = ({"cases": 30, "engine_runs": 50, "starts": 30, "inbox_runs": 30, "overview_runs": 30, "tasks": 20_000,
              "open": 2_000, "history_fresh": 5, "history_rounds": 100}
             if args.quick else
             {"cases": 300, "engine_runs": 300, "starts": 300, "inbox_runs": 300, "overview_runs": 300,
              "tasks": 1_000_000,
              "open": 100_000, "history_fresh": 11, "history_rounds": 500})
    backends: list[tuple[str, str, Callable[[], None]]] = []
    if not args.skip_sqlite:
        folder = tempfile.mkdtemp(prefix="socorg-bench-")
        # The million-row database is ~1 GB: gone with the run.
        backends.append(("sqlite", f"sqlite:///{folder}/bench.sqlite3",
                         lambda: shutil.rmtree(folder, ignore_errors=True)))
    if os.environ.get("SOCORG_BENCH_POSTGRES_URL"):
        url, drop = throwaway_database(os.environ["SOCORG_BENCH_POSTGRES_URL"], "socorg_bench")
        backends.append(("postgres", url, drop))
    if not backends:
        parser.error("--skip-sqlite needs SOCORG_BENCH_POSTGRES_URL")
    results = {}
    for name, url, cleanup in backends:
        print(f"# {name} ({'quick' if args.quick else 'full'} sizes)", flush=True)
        bench = Bench(url, sizes)
        try:
            figures = bench.run(args.only or PARTS)
        finally:
            bench.close()
            cleanup()
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for key, value in figures.items():
            print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}", flush=True)
        results[name] = figures
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
