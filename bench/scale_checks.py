"""The scale run's checks, read from the database once every process has stopped.

Each check is a count that must be zero (``check_*`` figures), plus figures that say how much
happened (tasks, timers, alerts, messages). Plain SQL over the tables the application writes:
process_instances, human_tasks, audit_events, alerts, outbox_messages.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, text

from bench.load_driver import DrivenCase

# Audit actions that save a case's engine state (each bumps the optimistic version once).
SAVES = ("complete", "timer", "retry", "return", "withdraw", "cancel")
REOPENS = ("return", "withdraw")


def _rows(conn: Any, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(text(sql), params))


def _scalar(conn: Any, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params).scalar()


def run_checks(url: str, cases: Iterable[DrivenCase], *, tick_clock: datetime | None,
               received: Counter[str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Figures and problems. ``received``: outbox ids the mail/webhook sinks got (channel:id → times)."""
    cases = [c for c in cases if c.id]
    figures: dict[str, Any] = {}
    problems: list[str] = []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            _cases(conn, cases, figures, problems)
            _tasks(conn, cases, figures, problems)
            _versions(conn, figures, problems)
            _timers(conn, tick_clock, figures, problems)
            _alerts(conn, figures, problems)
            _outbox(conn, received, figures, problems)
    finally:
        engine.dispose()
    return figures, problems


def _cases(conn: Any, cases: list[DrivenCase], figures: dict[str, Any], problems: list[str]) -> None:
    """Every driven case ended completed, along one of its scenario's paths, with the audit it needs."""
    status = dict(_rows(conn, "SELECT id, status FROM process_instances"))
    paths: dict[str, list[str]] = defaultdict(list)
    for instance_id, name in _rows(conn, """
            SELECT e.instance_id, t.name FROM audit_events e JOIN human_tasks t ON t.id = e.task_id
            WHERE e.action = 'complete' ORDER BY e.id"""):
        paths[instance_id].append(name)
    actions: dict[str, set[str]] = defaultdict(set)
    for instance_id, action in _rows(conn, "SELECT DISTINCT instance_id, action FROM audit_events"):
        actions[instance_id].add(action)
    wrong_state = wrong_path = missing_audit = 0
    ends: Counter[str] = Counter()
    variants: Counter[str] = Counter()  # cases that took another allowed path than the first (a timer won)
    for case in cases:
        found = status.get(case.id)
        ends[f"{case.scenario.name}:{found}"] += 1
        if found != "completed":
            wrong_state += 1
            problems.append(f"case {case.id} ({case.scenario.name}) is {found}; driver: {case.status} {case.problems[-3:]}")
            continue
        if paths[case.id] not in case.scenario.paths:
            wrong_path += 1
            problems.append(f"case {case.id} ({case.scenario.name}) took {paths[case.id]}")
        elif paths[case.id] != case.scenario.paths[0]:
            variants[case.scenario.name] += 1
        if not case.scenario.required_audit <= actions[case.id]:
            missing_audit += 1
            problems.append(f"case {case.id} ({case.scenario.name}) lacks audit {set(case.scenario.required_audit)}")
    figures["cases_driven"] = len(cases)
    figures["cases_spawned"] = sum(1 for c in cases if c.parent)
    figures["check_cases_not_completed"] = wrong_state
    figures["check_cases_off_their_paths"] = wrong_path
    figures["check_cases_missing_audit"] = missing_audit
    figures["case_ends"] = dict(sorted(ends.items()))
    figures["cases_on_a_timer_path"] = sum(variants.values())
    figures["cases_on_a_timer_path_by_scenario"] = dict(sorted(variants.items()))
    driven = {c.id for c in cases}
    others = Counter(key for iid, key in _rows(conn, "SELECT id, process_key FROM process_instances")
                     if iid not in driven)
    figures["cases_not_driven"] = dict(others)
    # A start retried after a lost answer must not leave a second case: nothing but the scheduler's yearly
    # reports may exist besides the driven cases.
    figures["check_orphan_cases"] = sum(n for key, n in others.items() if key != "annual_report")
    figures["check_annual_reports_duplicated"] = _scalar(conn, """
        SELECT count(*) FROM (SELECT business_key FROM process_instances WHERE process_key = 'annual_report'
                              GROUP BY business_key HAVING count(*) > 1) d""")
    figures["check_cases_in_error"] = _scalar(conn, "SELECT count(*) FROM process_instances WHERE status = 'error'")


def _tasks(conn: Any, cases: list[DrivenCase], figures: dict[str, Any], problems: list[str]) -> None:
    """Each human task completed once, with one complete event; what the driver counted is what happened."""
    figures["tasks_total"] = _scalar(conn, "SELECT count(*) FROM human_tasks")
    figures["tasks_completed"] = _scalar(conn, "SELECT count(*) FROM human_tasks WHERE status = 'completed'")
    figures["tasks_cancelled"] = _scalar(conn, "SELECT count(*) FROM human_tasks WHERE status = 'cancelled'")
    figures["complete_events"] = _scalar(conn, "SELECT count(*) FROM audit_events WHERE action = 'complete'")
    figures["check_tasks_completed_twice"] = _scalar(conn, """
        SELECT count(*) FROM (SELECT task_id FROM audit_events WHERE action = 'complete'
                              GROUP BY task_id HAVING count(*) > 1) d""")
    figures["check_completed_tasks_without_event"] = _scalar(conn, """
        SELECT count(*) FROM human_tasks t WHERE t.status = 'completed' AND NOT EXISTS
          (SELECT 1 FROM audit_events e WHERE e.task_id = t.id AND e.action = 'complete')""")
    figures["check_complete_events_on_open_or_cancelled_tasks"] = _scalar(conn, """
        SELECT count(*) FROM audit_events e JOIN human_tasks t ON t.id = e.task_id
        WHERE e.action = 'complete' AND t.status <> 'completed'""")
    figures["check_open_tasks_of_ended_cases"] = _scalar(conn, """
        SELECT count(*) FROM human_tasks t JOIN process_instances i ON i.id = t.instance_id
        WHERE t.status IN ('ready', 'claimed') AND i.status <> 'running'""")
    figures["check_reopened_tasks"] = _scalar(
        conn, "SELECT count(*) FROM audit_events WHERE action IN ('return', 'withdraw')")
    completed = {tid: by for tid, by in _rows(
        conn, "SELECT id, completed_by FROM human_tasks WHERE status = 'completed'")}
    counted = {tid: user for c in cases for tid, _, user in c.completed}
    lost = [tid for tid in counted if tid not in completed]
    unseen = [tid for c in cases for tid in _task_ids(conn, c.id) if tid in completed and tid not in counted]
    wrong_user = [tid for tid, user in counted.items() if tid in completed and completed[tid] != user]
    figures["driver_completions"] = len(counted)
    figures["check_completions_lost"] = len(lost)
    figures["check_completions_not_counted_by_driver"] = len(unseen)
    figures["check_completions_by_another_user"] = len(wrong_user)
    figures["check_driver_counted_a_task_twice"] = sum(len(c.completed) for c in cases) - len(counted)
    for tid in (lost + unseen + wrong_user)[:10]:
        problems.append(f"task {tid}: driver and database disagree")


_TASK_CACHE: dict[str, list[str]] = {}


def _task_ids(conn: Any, instance_id: str | None) -> list[str]:
    if not _TASK_CACHE:
        for tid, iid in _rows(conn, "SELECT id, instance_id FROM human_tasks"):
            _TASK_CACHE.setdefault(iid, []).append(tid)
    return _TASK_CACHE.get(instance_id or "", [])


def _versions(conn: Any, figures: dict[str, Any], problems: list[str]) -> None:
    """Every committed save bumped the case's optimistic version: version ≥ 2 (the start's insert and
    save) + saves. More is normal: a handler's query autoflushes the case row mid-step (numbering,
    the statutory clock, the registry), which bumps the version a second time in the same transaction."""
    saves = dict(_rows(conn, f"""
        SELECT instance_id, count(*) FROM audit_events WHERE action IN ({", ".join(f"'{a}'" for a in SAVES)})
        GROUP BY instance_id"""))
    deltas: Counter[int] = Counter()
    bad = 0
    for instance_id, version in _rows(conn, "SELECT id, version FROM process_instances"):
        delta = version - 2 - saves.get(instance_id, 0)
        deltas[delta] += 1
        if delta < 0:
            bad += 1
            if bad <= 10:
                problems.append(f"case {instance_id}: version {version} after {saves.get(instance_id, 0)} saves")
    figures["instance_version_minus_saves"] = dict(sorted(deltas.items()))
    figures["check_instance_versions_inconsistent"] = bad


def _timers(conn: Any, tick_clock: datetime | None, figures: dict[str, Any], problems: list[str]) -> None:
    figures["timer_fires"] = _scalar(conn, "SELECT count(*) FROM audit_events WHERE action = 'timer'")
    if tick_clock is not None:
        figures["check_due_timers_not_fired"] = _scalar(conn, """
            SELECT count(*) FROM process_instances WHERE status = 'running' AND next_timer_at < :clock""",
                                                        clock=tick_clock)


def _alerts(conn: Any, figures: dict[str, Any], problems: list[str]) -> None:
    """Each (task, level) alerted at most once; a task's escalation level is its highest alert."""
    figures["alerts_by_kind"] = dict(_rows(conn, "SELECT kind, count(*) FROM alerts GROUP BY kind ORDER BY kind"))
    figures["alerts_total"] = sum(figures["alerts_by_kind"].values())
    figures["check_alerts_duplicated"] = _scalar(conn, """
        SELECT count(*) FROM (SELECT task_id, cycle, level FROM alerts GROUP BY task_id, cycle, level
                              HAVING count(*) > 1) d""")
    figures["check_escalation_level_mismatch"] = _scalar(conn, """
        SELECT count(*) FROM human_tasks t
          JOIN (SELECT task_id, cycle, max(level) AS top FROM alerts GROUP BY task_id, cycle) a
          ON a.task_id = t.id AND a.cycle = t.cycle WHERE t.escalation_level <> a.top""")
    figures["alert_audit_events"] = _scalar(conn, "SELECT count(*) FROM audit_events WHERE action = 'alert'")
    # An alert raised while its task was being completed is closed by a later scan (the run ends with one).
    figures["check_open_alerts_of_closed_tasks"] = _scalar(conn, """
        SELECT count(*) FROM alerts a JOIN human_tasks t ON t.id = a.task_id
        WHERE a.status = 'open' AND t.status NOT IN ('ready', 'claimed')""")


def _outbox(conn: Any, received: Counter[str] | None, figures: dict[str, Any], problems: list[str]) -> None:
    """No message queued twice (dedupe keys); each sent message received once by the sinks."""
    figures["outbox_by_status"] = dict(_rows(
        conn, "SELECT status, count(*) FROM outbox_messages GROUP BY status ORDER BY status"))
    figures["check_outbox_dedupe_keys_duplicated"] = _scalar(conn, """
        SELECT count(*) FROM (SELECT dedupe_key FROM outbox_messages WHERE dedupe_key IS NOT NULL
                              GROUP BY dedupe_key HAVING count(*) > 1) d""")
    if received is None:
        return
    sent = {f"{channel}:{mid}" for mid, channel in _rows(
        conn, "SELECT id, channel FROM outbox_messages WHERE status = 'sent'")}
    figures["sink_messages_received"] = sum(received.values())
    figures["check_sent_messages_not_received"] = len(sent - set(received))
    figures["sink_messages_received_twice"] = sum(1 for n in received.values() if n > 1)
    figures["check_received_messages_not_marked_sent"] = len(set(received) - sent)
