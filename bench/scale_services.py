"""What the scale run starts besides the driver: gunicorn, scheduler processes, ``tick --now`` runs, and
the monitor that samples CPU and memory and kills a worker.

Every process is started by this module, remembered by its pid, and stopped by that pid.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tool(name: str) -> str:
    """A console script of the project's virtualenv (or of PATH when there is none)."""
    path = BIN / name
    return str(path) if path.exists() else name


def children(pid: int) -> list[int]:
    """Pids whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used (None when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def postgres_pids(database: str) -> list[int]:
    """The PostgreSQL backends serving ``database`` (their title names it: ``postgres: user db host …``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres" and \
                        f" {database} " in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class CpuMeter:
    """CPU seconds used by groups of processes over an interval, sampled (processes may come and go)."""

    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}

    def sample(self, groups: dict[str, list[int]]) -> None:
        """Read the CPU time of every process of each group now."""
        for group, pids in groups.items():
            for pid in pids:
                used = cpu_seconds(pid)
                if used is None:
                    continue
                self.first.setdefault(pid, used)
                self.last[pid] = (group, used)

    def used(self) -> dict[str, float]:
        """CPU seconds per group between each process's first and last sample."""
        totals: dict[str, float] = {}
        for pid, (group, used) in self.last.items():
            totals[group] = totals.get(group, 0.0) + used - self.first[pid]
        return totals


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Processes:
    """The child processes of the run, stopped by pid (SIGTERM, then SIGKILL after a grace period)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        """Start ``argv`` in the project folder, its output to ``<logs>/<name>.log``."""
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.started[name] = proc
        return proc

    def stop(self, name: str, grace: float = 30.0) -> int | None:
        """SIGTERM the process started as ``name`` (SIGKILL after ``grace`` s); its exit status."""
        proc = self.started.pop(name, None)
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def stop_all(self) -> None:
        """Stop every process still running."""
        for name in list(self.started):
            self.stop(name)


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run ``socorg ARGS`` to completion; its output (fails loudly)."""
    done = subprocess.run([tool("socorg"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"socorg {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Gunicorn:
    """gunicorn serving ``workflow_app:create_app()`` with N workers on a loopback port."""

    def __init__(self, procs: Processes, workers: int, worker_class: str) -> None:
        self.procs = procs
        self.workers = workers
        self.port = free_port()
        # Newer gunicorns open a control socket under ~/.gunicorn by default: one per run would collide.
        usage = subprocess.run([tool("gunicorn"), "--help"], capture_output=True, text=True).stdout
        quiet = ["--no-control-socket"] if "--no-control-socket" in usage else []
        self.proc = procs.start("gunicorn", [
            tool("gunicorn"), "--workers", str(workers), "--worker-class", worker_class, "--threads",
            "4" if worker_class == "gthread" else "1", "--bind", f"127.0.0.1:{self.port}", "--timeout", "120",
            "--graceful-timeout", "30", "--log-level", "info", *quiet, "workflow_app:create_app()"])
        self.kills: list[dict[str, Any]] = []  # {pid, at, respawn_s}: the seconds until all workers were up again

    def wait_ready(self, timeout: float = 90) -> None:
        """Until /api/v1/health answers 200 and every worker is up."""
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited at start; see its log")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200 and len(self.worker_pids()) == self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not become ready")

    def worker_pids(self) -> list[int]:
        """The workers' pids (the master's children)."""
        return children(self.proc.pid)

    def kill_one_worker(self) -> int:
        """SIGKILL one worker; a thread then times how long gunicorn takes to have all workers again."""
        pids = self.worker_pids()
        victim = pids[len(pids) // 2]
        os.kill(victim, signal.SIGKILL)
        kill: dict[str, Any] = {"pid": victim, "at": time.monotonic(), "respawn_s": None}
        self.kills.append(kill)

        def watch() -> None:
            while time.monotonic() - kill["at"] < 120:
                now = self.worker_pids()
                if victim not in now and len(now) == self.workers:
                    kill["respawn_s"] = time.monotonic() - kill["at"]
                    return
                time.sleep(0.05)

        threading.Thread(target=watch, daemon=True).start()
        return victim


_TICK_PATTERNS = {
    "timers_due": r"fire_due_timers: (\d+) due", "timers_fired": r"(\d+) fired",
    "timers_taken_by_another": r"(\d+) taken by another", "timers_failed": r"(\d+) failed",
    "reminders": r"raised (\d+) reminder", "overdue": r"(\d+) overdue", "escalated": r"(\d+) escalated",
    "outbox_sent": r"deliver_outbox: (\d+) sent",
}


class TickRunner:
    """Rounds of ``procs`` ``socorg tick --now T`` processes at once, all with the same T from ``moment()``,
    one round every ``interval`` seconds (the next round starts when the last one has ended).

    One clock per round: two processes whose clocks were days apart would each take the other's outbox
    lease (claim time + backoff) for expired and send the same message twice — an artifact of moving the
    clock, not of two schedulers sharing a database."""

    def __init__(self, env: dict[str, str], procs: int, interval: float, moment: Callable[[], datetime]) -> None:
        self.env = env
        self.procs = procs
        self.interval = interval
        self.moment = moment
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.totals: Counter[str] = Counter()
        self.durations: list[float] = []
        self.last_clock: datetime | None = None
        self.thread = threading.Thread(target=self._rounds, daemon=True)

    def start(self) -> None:
        """Start the rounds."""
        self.thread.start()

    def stop(self) -> None:
        """Let the running round end, then stop."""
        self.stop_event.set()
        self.thread.join()

    def tick(self, moment: datetime) -> str:
        """One ``socorg tick --now moment``; its outcome lines are added to the totals."""
        started = time.monotonic()
        done = subprocess.run([tool("socorg"), "tick", "--now", moment.isoformat()], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=600)
        with self.lock:
            self.durations.append(time.monotonic() - started)
            self.totals["ticks"] += 1
            self.last_clock = max(self.last_clock or moment, moment)
            if done.returncode != 0 or "failed:" in done.stdout:
                self.totals["tick_failures"] += 1
            for line in done.stdout.splitlines():
                job = line.split(":", 1)[0]
                for name, pattern in _TICK_PATTERNS.items():
                    if name.startswith("timers") and job != "fire_due_timers":
                        continue
                    if name in ("reminders", "overdue", "escalated") and job != "escalate":
                        continue
                    found = re.search(pattern, line)
                    if found:
                        self.totals[name] += int(found.group(1))
        return done.stdout

    def _rounds(self) -> None:
        while not self.stop_event.wait(self.interval):
            moment = self.moment()
            together = [threading.Thread(target=self.tick, args=(moment,)) for _ in range(self.procs)]
            for thread in together:
                thread.start()
            for thread in together:
                thread.join()
            with self.lock:
                self.totals["rounds"] += 1


class Monitor:
    """While the driver runs: CPU per group of processes, the workers' memory, and the worker kills
    (the first when ``kill_at`` of the cases are done, each further one a tenth of the cases later)."""

    def __init__(self, server: Gunicorn, schedulers: list[int], database: str, progress: Callable[[], float],
                 kill_at: float, kills: int) -> None:
        self.server = server
        self.schedulers = schedulers
        self.database = database
        self.progress = progress
        self.kill_at = kill_at
        self.kills = kills
        self.meter = CpuMeter()
        self.peak_rss = {"worker": 0.0, "workers_total": 0.0}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.before: tuple[tuple[float, float], float, float] | None = None

    @staticmethod
    def _own() -> tuple[float, float]:
        me, reaped = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime, reaped.ru_utime + reaped.ru_stime

    def _sample(self) -> None:
        self.meter.sample({"gunicorn_workers": self.server.worker_pids(), "schedulers": self.schedulers,
                           "postgres_backends": postgres_pids(self.database)})

    def start(self) -> None:
        """Take the first sample and watch."""
        self._sample()
        self.before = (machine_cpu(), *self._own())
        self.thread.start()

    def stop(self) -> tuple[dict[str, float], float]:
        """Stop watching; CPU seconds per group (``driver``: this process; ``tick_processes``: the children it
        waited for) and the share of the machine's CPU that was busy."""
        self.done.set()
        self.thread.join()
        self._sample()
        assert self.before is not None
        (busy0, total0), me0, children0 = self.before
        (busy1, total1), (me1, children1) = machine_cpu(), self._own()
        cpu = self.meter.used()
        cpu.update(driver=me1 - me0, tick_processes=children1 - children0)
        cpu["other"] = (busy1 - busy0) - sum(cpu.values())
        cpu["machine_busy"] = busy1 - busy0
        return cpu, (busy1 - busy0) / ((total1 - total0) or 1)

    def _watch(self) -> None:
        while not self.done.wait(0.5):
            self._sample()
            pids = self.server.worker_pids()
            sizes = [rss_mb(p) for p in pids]
            self.peak_rss["worker"] = max([self.peak_rss["worker"], *sizes])
            self.peak_rss["workers_total"] = max(self.peak_rss["workers_total"], sum(sizes))
            killed = len(self.server.kills)
            if killed < self.kills and self.progress() >= self.kill_at + 0.1 * killed \
                    and len(pids) == self.server.workers:
                pid = self.server.kill_one_worker()
                print(f"# killed gunicorn worker {pid} (SIGKILL) at {self.progress():.0%} of the cases", flush=True)
