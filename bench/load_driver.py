"""The scale run's load driver: threads that work cases to their end through the REST API over loopback.

Each case is driven the way its people would: its watcher (the starter) opens the case to see its
open tasks; the user of the task's lane and region opens their inbox, claims the task (签收: every
other staff step) and completes it with the scenario's data for that BPMN id. A case with nothing to
do is waiting on a timer (fired by the scheduler processes and the ``tick --now`` runs) and is
polled again later. A thread owns a case for one step at a time; a case is never worked twice
at once.

Requests that fail with a connection error (a worker killed mid-request) are retried; a share of
completions (``drop_share``) is sent and then hung up on, so that the lost-answer path is walked
every run, not only when the killed worker happened to be between commit and answer. A retried
start first looks for the case by its business key; a retried completion that answers 409 counts
as done only when the task reads back completed by this user — so nothing is counted twice.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import random
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bench.scale_scenarios import Ctx, Scenario, user_for

RETRYABLE = (ConnectionError, http.client.HTTPException, socket.timeout, TimeoutError)


class AnswerDropped(ConnectionError):
    """The driver closed the connection right after sending, on purpose: the server still does the work,
    the client never hears of it (the lost answer a killed worker or a network cut leaves behind)."""
MAX_ATTEMPTS = 8
API = "/api/v1"


class Stats:
    """Latencies per endpoint kind, answers per (kind, status, code), connection errors; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.answers: Counter[tuple[str, int, str]] = Counter()
        self.conn_errors: Counter[tuple[str, str]] = Counter()
        self.events: Counter[str] = Counter()

    def answer(self, kind: str, status: int, code: str, ms: float) -> None:
        """Record an answer and how long it took."""
        with self.lock:
            self.latency[kind].append(ms)
            self.answers[(kind, status, code)] += 1

    def conn_error(self, kind: str, exc: BaseException) -> None:
        """Record a request that got no answer."""
        with self.lock:
            self.conn_errors[(kind, type(exc).__name__)] += 1

    def count(self, event: str, n: int = 1) -> None:
        """Count a driver event."""
        with self.lock:
            self.events[event] += n


class Api:
    """JSON over HTTP/1.1 to the server on loopback, one connection per request (sync workers close them)."""

    def __init__(self, port: int, stats: Stats, timeout: float = 120.0, drop_share: float = 0.0,
                 seed: int = 7) -> None:
        self.port = port
        self.stats = stats
        self.timeout = timeout
        self.tokens: dict[str, str] = {}
        self.drop_share = drop_share
        self.random = random.Random(seed)

    def _once(self, method: str, path: str, user: str | None, body: Any, drop: bool = False) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            headers = {"Accept": "application/json"}
            payload = None
            if body is not None:
                payload = json.dumps(body, ensure_ascii=False).encode()
                headers["Content-Type"] = "application/json"
            if user is not None:
                headers["Authorization"] = f"Bearer {self.tokens[user]}"
            conn.request(method, path, body=payload, headers=headers)
            if drop:
                raise AnswerDropped("closed before the answer, on purpose")
            response = conn.getresponse()
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
        finally:
            conn.close()

    def call(self, method: str, path: str, user: str | None, body: Any = None, *, kind: str,
             before_retry: Callable[[], tuple[int, Any] | None] | None = None) -> tuple[int, Any, bool]:
        """(status, body, whether a connection error happened on the way). Retries connection errors;
        ``before_retry`` may find the first attempt's effect and answer instead of a second attempt."""
        failed = False
        for attempt in range(MAX_ATTEMPTS):
            if failed and before_retry is not None:
                found = before_retry()
                if found is not None:
                    return found[0], found[1], True
            started = time.perf_counter()
            drop = kind == "complete" and attempt == 0 and self.drop_share > 0 and self._draw() < self.drop_share
            try:
                status, answer = self._once(method, path, user, body, drop)
            except RETRYABLE as exc:
                self.stats.conn_error(kind, exc)
                failed = True
                time.sleep(min(2.0, 0.1 * 2 ** attempt))
                continue
            code = (answer.get("error") or {}).get("code", "") if isinstance(answer, dict) and status >= 400 else ""
            self.stats.answer(kind, status, code, (time.perf_counter() - started) * 1000)
            return status, answer, failed
        raise RuntimeError(f"{method} {path}: no answer after {MAX_ATTEMPTS} attempts")

    def _draw(self) -> float:
        with self.stats.lock:
            return self.random.random()

    def login(self, username: str, password: str = "demo12345") -> dict[str, Any]:
        """Log a demo user in; keep the token."""
        status, body, _ = self.call("POST", f"{API}/auth/token", None, {"username": username, "password": password},
                                    kind="login")
        if status != 200:
            raise RuntimeError(f"login {username}: {status} {body}")
        self.tokens[username] = body["token"]
        return body["user"]


@dataclass
class DrivenCase:
    """One case of the run and what the driver did to it."""

    n: int
    scenario: Scenario
    id: str | None = None
    business_key: str | None = None
    organization_id: int | None = None
    parent: str | None = None  # the case that started this one (spawned cases)
    done: Counter[str] = field(default_factory=Counter)
    completed: list[tuple[str, str, str]] = field(default_factory=list)  # (task id, BPMN id, user)
    preempted: list[tuple[str, str]] = field(default_factory=list)  # tasks a timer closed first
    status: str | None = None
    problems: list[str] = field(default_factory=list)
    failures: int = 0
    polls: int = 0
    waiting: bool = False
    spawned: bool = False
    hint: dict[str, Any] | None = None  # the next task, from the last completion's answer
    started_at: float = 0.0
    finished_at: float | None = None


class Driver:
    """Start ``plan``'s cases (at most ``inflight`` busy at once) and work them to their end with ``threads``."""

    def __init__(self, api: Api, plan: list[Scenario], *, threads: int, inflight: int, event_date: date,
                 organizations: dict[str, list[int]], run_tag: str, max_seconds: float,
                 poll_seconds: float = 4.0) -> None:
        self.api = api
        self.stats = api.stats
        self.plan = plan
        self.threads = threads
        self.inflight = inflight
        self.event_date = event_date
        self.organizations = organizations
        self.run_tag = run_tag
        self.deadline = time.monotonic() + max_seconds
        self.poll_seconds = poll_seconds
        self.cases: list[DrivenCase] = []
        self.cond = threading.Condition()
        self.queue: list[tuple[float, int, DrivenCase]] = []
        self.seq = itertools.count()
        self.next_start = 0
        self.busy = 0  # cases started, not finished and not waiting on a timer
        self.unfinished = 0
        self.finished = 0
        self.started_wall = 0.0
        self.ended_wall = 0.0

    # -- the pool ---------------------------------------------------------------------------------

    def run(self) -> None:
        """Drive every case to its end (or until the time budget runs out)."""
        self.started_wall = time.monotonic()
        workers = [threading.Thread(target=self._work, name=f"driver-{i}", daemon=True) for i in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.ended_wall = time.monotonic()

    def _all_done(self) -> bool:
        return self.next_start >= len(self.plan) and self.unfinished == 0

    def _take(self) -> tuple[str, Any] | None:
        with self.cond:
            while True:
                if self._all_done() or time.monotonic() > self.deadline:
                    self.cond.notify_all()
                    return None
                if self.next_start < len(self.plan) and self.busy < self.inflight:
                    n = self.next_start
                    self.next_start += 1
                    self.busy += 1
                    self.unfinished += 1
                    return "start", n
                now = time.monotonic()
                if self.queue and self.queue[0][0] <= now:
                    _, _, case = heapq.heappop(self.queue)
                    if case.waiting:
                        case.waiting = False
                        self.busy += 1
                    return "step", case
                wait = (self.queue[0][0] - now) if self.queue else 0.5
                self.cond.wait(timeout=max(0.01, min(wait, 0.5)))

    def _put(self, case: DrivenCase, delay: float = 0.0, waiting: bool = False) -> None:
        with self.cond:
            if waiting and not case.waiting:
                case.waiting = True
                self.busy -= 1
            heapq.heappush(self.queue, (time.monotonic() + delay, next(self.seq), case))
            self.cond.notify()

    def _finish(self, case: DrivenCase, status: str) -> None:
        with self.cond:
            case.status, case.finished_at = status, time.monotonic()
            if not case.waiting:
                self.busy -= 1
            case.waiting = False
            self.unfinished -= 1
            self.finished += 1
            self.cond.notify_all()
        self.stats.count(f"cases_{status}")

    def _work(self) -> None:
        while True:
            item = self._take()
            if item is None:
                return
            what, subject = item
            case = self._new_case(subject) if what == "start" else subject  # type: ignore[arg-type]
            try:
                if what == "start":
                    self._start(case)
                else:
                    self._step(case)
            except Exception as exc:  # a driver bug or an unanswered server: record it, keep the others going
                self.stats.count("driver_exceptions")
                if case.status is None:
                    case.problems.append(f"driver: {exc!r}")
                    self._finish(case, "abandoned")

    # -- a case's life --------------------------------------------------------------------------------

    def _new_case(self, n: int) -> DrivenCase:
        case = DrivenCase(n=n, scenario=self.plan[n], business_key=f"SCALE-{self.run_tag}-{n:05d}",
                          started_at=time.monotonic())
        with self.cond:
            self.cases.append(case)
        return case

    def _start(self, case: DrivenCase) -> None:
        scenario, n = case.scenario, case.n
        body: dict[str, Any] = {"process_key": scenario.process_key, "business_key": case.business_key,
                                "variables": scenario.start_variables(self._ctx(case, {}))}
        if scenario.start_region:
            body["region"] = scenario.start_region
        if scenario.organization:
            pool = self.organizations[scenario.organization]
            case.organization_id = body["organization_id"] = pool[n % len(pool)]

        def find() -> tuple[int, Any] | None:
            return self._find_started(scenario, case.business_key or "")

        status, answer, _ = self.api.call("POST", f"{API}/process-instances", scenario.starter, body, kind="start",
                                          before_retry=find)
        if status not in (200, 201):
            case.problems.append(f"start: {status} {answer}")
            self._finish(case, "not_started")
            return
        case.id = answer["id"]
        self.stats.count("starts")
        self._put(case)

    def _find_started(self, scenario: Scenario, business_key: str) -> tuple[int, Any] | None:
        """The case a lost start answer created, if it was created (looked up by its business key)."""
        status, answer, _ = self.api.call(
            "GET", f"{API}/process-instances?process_key={scenario.process_key}&per_page=200", scenario.starter,
            kind="case_list")
        if status != 200:
            return None
        for item in answer["items"]:
            if item.get("business_key") == business_key:
                self.stats.count("starts_recovered_after_connection_error")
                return 201, item
        return None

    def _ctx(self, case: DrivenCase, variables: dict[str, Any]) -> Ctx:
        return Ctx(case.n, variables, dict(case.done), self.event_date)

    def _step(self, case: DrivenCase) -> None:
        scenario = case.scenario
        if case.hint is not None:  # the last completion answered with the next task: the same user goes on
            task, variables, case.hint = case.hint, {}, None
            self.stats.count("steps_from_completion_answer")
            return self._work_on(case, task, variables)
        status, detail, _ = self.api.call("GET", f"{API}/process-instances/{case.id}", scenario.watcher,
                                          kind="case_detail")
        if status != 200:
            return self._trouble(case, f"case detail: {status} {detail}")
        variables = detail.get("variables") or {}
        if scenario.spawns and not case.spawned and isinstance(variables.get("party_case"), dict):
            self._spawn(case, variables["party_case"]["instance_id"])
        if detail["status"] != "running":
            return self._finish(case, detail["status"])
        todo = [t for t in detail["active_tasks"] if t["name"] not in scenario.leave_for_timer]
        if not todo:
            case.polls += 1
            self.stats.count("polls_waiting_on_timer")
            return self._put(case, delay=self.poll_seconds, waiting=True)
        self._work_on(case, todo[0], variables)

    def _work_on(self, case: DrivenCase, task: dict[str, Any], variables: dict[str, Any]) -> None:
        """Inbox, claim (every other staff step), complete: one task of the case."""
        scenario = case.scenario
        user = user_for(task["candidate_group"], task["region"])
        build = scenario.steps.get(task["name"])
        if user is None or build is None:
            case.problems.append(f"no {'user' if user is None else 'data'} for task {task['name']} "
                                 f"({task['candidate_group']}, {task['region']})")
            return self._finish(case, "stuck")
        self.api.call("GET", f"{API}/tasks?per_page=20", user, kind="inbox")
        # Staff take every other step into their own hands first (签收); the others are completed
        # straight from the group inbox, which the API allows for an unclaimed task of one's pool.
        if task["assignee"] is None and task["candidate_group"] != "applicant" and (case.n + len(case.completed)) % 2:
            status, answer, _ = self.api.call("POST", f"{API}/tasks/{task['id']}/claim", user, {}, kind="claim")
            if status == 409:  # closed meanwhile (a timer): look again
                self.stats.count("claims_refused_task_closed")
                return self._put(case)
            if status != 200:
                return self._trouble(case, f"claim {task['name']}: {status} {answer}")
        data = build(self._ctx(case, variables))
        body = {"data": data, "opinion": data.get("opinion")}
        status, answer, retried = self.api.call("POST", f"{API}/tasks/{task['id']}/complete", user, body,
                                                kind="complete")
        if status == 200:
            self._completed(case, task, user)
            following = [t for t in answer.get("next_tasks") or []
                         if t["instance_id"] == case.id and t["name"] not in scenario.leave_for_timer
                         and user_for(t["candidate_group"], t["region"]) == user]
            case.hint = following[0] if following else None
        elif status == 409:
            self._resolve_conflict(case, task, user, retried, answer)
        elif status == 422:
            case.problems.append(f"form refused for {task['name']}: {answer}")
            return self._finish(case, "refused_data")
        else:
            return self._trouble(case, f"complete {task['name']}: {status} {answer}")
        self._put(case)

    def _completed(self, case: DrivenCase, task: dict[str, Any], user: str) -> None:
        case.done[task["name"]] += 1
        case.completed.append((task["id"], task["name"], user))
        self.stats.count("completions")

    def _resolve_conflict(self, case: DrivenCase, task: dict[str, Any], user: str, retried: bool,
                          answer: Any) -> None:
        """409 on complete: done by our lost first attempt, closed by a timer, or a conflict to try again."""
        status, row, _ = self.api.call("GET", f"{API}/tasks/{task['id']}", user, kind="task_check")
        state = row.get("status") if status == 200 else None
        if state == "completed" and row.get("completed_by") == user and retried:
            self.stats.count("completions_recovered_after_connection_error")
            self._completed(case, task, user)
        elif state == "cancelled":
            self.stats.count("completions_preempted_by_timer")
            case.preempted.append((task["id"], task["name"]))
        elif state in ("ready", "claimed"):
            self.stats.count("completions_conflicted_retried")
        else:
            case.problems.append(f"409 on {task['name']} ({answer}); the task reads {status} {state} "
                                 f"completed_by={row.get('completed_by') if isinstance(row, dict) else None}")
            self.stats.count("completions_conflict_unexplained")

    def _trouble(self, case: DrivenCase, problem: str) -> None:
        case.failures += 1
        case.problems.append(problem)
        if case.failures > 5:
            return self._finish(case, "abandoned")
        self._put(case, delay=1.0)

    def _spawn(self, parent: DrivenCase, instance_id: str) -> None:
        from bench.scale_scenarios import BY_NAME

        parent.spawned = True
        scenario = BY_NAME[parent.scenario.spawns or ""]
        child = DrivenCase(n=parent.n, scenario=scenario, id=instance_id, parent=parent.id,
                           started_at=time.monotonic())
        with self.cond:
            self.cases.append(child)
            self.unfinished += 1
            self.busy += 1
        self.stats.count("spawned_cases")
        self._put(child)
