"""试运行: run a draft of a process against sample data on the real engine, in memory, before deploying it.

The draft (its BPMN with the base version's forms and tables) is checked as a deploy would check it (lint
and row tests), then run by the engine without a database: each user task is completed with the
designer's sample data for it — or data made from its form — validated by the task's real form; a
``null`` sample leaves that pass of the task open, and waiting timers are reached by moving a
thread-local clock forward. Service tasks are *not* called: their handlers
write to the registry and send notices, which a trial must never do; each call is listed with its
parameters and returns nothing. Bounded: at most ``max_steps`` user-task completions and timer moves,
and ``max_seconds`` of wall time. Nothing is stored.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workflow_app import clock
from workflow_app.definitions.service import DefinitionService
from workflow_app.engine import CompiledDefinition, Engine, EngineError
from workflow_app.engine.parsing import ParsedProcess
from workflow_app.errors import InvalidInput
from workflow_app.tasks.forms import Form, form_from_files
from workflow_app.tasks.samples import SampleContext, sample_data, sample_object

MAX_STEPS = 100
MAX_SECONDS = 20.0


class TrialInvalid(InvalidInput):
    """The trial's sample data is not usable (not JSON objects by task id)."""

    code = "invalid_trial"


@dataclass
class TrialStep:
    """One thing the trial did: a user task completed, a timer reached, a service call skipped."""

    kind: str  # task | timer | service
    element_id: str
    title: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrialRun:
    """Where the draft went: the steps, the diagram states, how it ended and the final data."""

    status: str  # completed | waiting | stopped | error
    message: str
    steps: list[TrialStep]
    states: dict[str, str]
    data: dict[str, Any]
    refused_task: str | None = None  # the user task whose sample its form refused (the run stopped there)
    refused_errors: dict[str, list[str]] = field(default_factory=dict)  # its form's messages, by field path


class TrialRunner:
    """Runs drafts; holds only the definition service (for the deploy checks) and the engine."""

    def __init__(self, definitions: DefinitionService, engine: Engine, *, max_steps: int = MAX_STEPS,
                 max_seconds: float = MAX_SECONDS) -> None:
        self.definitions = definitions
        self.engine = engine
        self.max_steps = max_steps
        self.max_seconds = max_seconds

    def run(self, files: Mapping[str, bytes], key: str, samples: Mapping[str, Any],
            start_variables: Mapping[str, Any] | None = None) -> TrialRun:
        """Check the draft (DefinitionInvalid as a deploy would raise) and run process ``key`` of it."""
        samples = _check_samples(samples)
        start_variables = dict(start_variables or {})
        bad = [str(n)[:64] for n in start_variables if not str(n).isidentifier() or str(n).startswith("_")]
        if bad:
            raise TrialInvalid(f"启动变量名必须是不以下划线开头的标识符：{'、'.join(bad[:5])}")
        processes = self.definitions.validate(files)
        process = next((p for p in processes if p.key == key), processes[0])
        texts = {name: data.decode("utf-8") for name, data in files.items()}
        with clock.frozen(clock.now()):
            return _Trial(self, process, texts, samples).run(start_variables)


class _Trial:
    """One run: its own queue of samples per task, its step log and its moving clock."""

    def __init__(self, runner: TrialRunner, process: ParsedProcess, files: dict[str, str],
                 samples: dict[str, list[dict[str, Any] | None]]) -> None:
        self.runner, self.engine, self.process, self.files = runner, runner.engine, process, files
        self.samples = {name: list(rows) for name, rows in samples.items()}
        self.steps: list[TrialStep] = []
        self.passes: dict[str, int] = {}
        self.refused: tuple[str | None, dict[str, list[str]]] = (None, {})

    def run(self, start_variables: dict[str, Any]) -> TrialRun:
        compiled = CompiledDefinition(spec=self.process.spec, subprocess_specs=self.process.subprocess_specs)
        workflow = self.engine.create(compiled, start_variables, self._service)
        deadline = time.monotonic() + self.runner.max_seconds
        try:
            self.engine.run(workflow)
            status, message = self._drive(workflow, deadline)
        except EngineError as exc:
            status, message = "error", f"流程在「{exc.task_name or '未知环节'}」出错：{exc}"
        return TrialRun(status=status, message=message, steps=self.steps,
                        states=self.engine.step_states(workflow), data=_plain(self.engine.data(workflow)),
                        refused_task=self.refused[0], refused_errors=self.refused[1])

    def _drive(self, workflow: Any, deadline: float) -> tuple[str, str]:
        for _ in range(self.runner.max_steps):
            if self.engine.is_completed(workflow):
                return "completed", "流程已走到结束事件"
            if time.monotonic() > deadline:
                return "stopped", f"试运行超过 {self.runner.max_seconds:g} 秒，已停止"
            ready = self.engine.ready_human_tasks(workflow)
            queue = self.samples.get(ready[0].name) if ready else None
            if ready and not (queue and queue[0] is None):
                problem = self._complete(workflow, ready[0])
                if problem:
                    return "stopped", problem
                continue
            if queue:  # null: leave this pass of the task open and let its time run out
                queue.pop(0)
            due = self.engine.next_timer_at(workflow)
            if due is None:
                return "waiting", "流程停在等待中（没有可办理的环节，也没有定时），请检查样例数据、消息或事件"
            self._move_clock(workflow, due)
        return "stopped", f"已执行 {self.runner.max_steps} 步仍未结束（可能有循环），已停止"

    def _complete(self, workflow: Any, task: Any) -> str | None:
        form = form_from_files(self.process.task_meta, self.files, task.name)
        queue = self.samples.get(task.name)
        given = bool(queue)
        data = queue.pop(0) if queue else default_data(form)
        errors = form.errors(data)
        if errors:
            self.refused = (task.name, errors)
            fields = "；".join(f"{k}：{'、'.join(v)}" for k, v in sorted(errors.items()))
            return f"环节「{task.title}」（{task.name}）的样例数据未通过表单校验：{fields}"
        self.passes[task.name] = self.passes.get(task.name, 0) + 1
        source = "样例数据" if given else "按表单生成的默认数据"
        self.steps.append(TrialStep("task", task.name, task.title,
                                    f"第 {self.passes[task.name]} 次办理，使用{source}", _plain(data)))
        self.engine.complete(workflow, task.id, data)  # what it runs next (service calls) logs after it
        return None

    def _move_clock(self, workflow: Any, due: datetime) -> None:
        moment = clock.as_utc(due) + timedelta(seconds=1)
        with clock.frozen(moment):
            self.engine.fire_timers(workflow)
        clock_text = moment.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        self.steps.append(TrialStep("timer", "", "定时", f"时钟拨到 {clock_text}，到期的定时触发"))

    def _service(self, operation: str, params: dict[str, Any]) -> Any:
        from workflow_app.engine import current_service_call

        call = current_service_call()
        element = call.task_name if call is not None else ""
        self.steps.append(TrialStep("service", element, operation, "试运行不调用服务，返回空结果",
                                    {k: str(v)[:200] for k, v in params.items()}))
        return None


def default_data(form: Form) -> dict[str, Any]:
    """Data for a form when the designer gave none: the usual answer to every required field, conditional
    rules met (tasks/samples.py, the same filler the demo history uses); attachment fields hold placeholder
    ids, since a trial stores no files."""
    ctx = SampleContext(clock.local_now().date(), random.Random(0), upload=_placeholder_files, usual=True)
    return sample_data(form, ctx) or sample_object(form.schema, ctx)


def _placeholder_files(field: str, count: int) -> list[str]:
    return [f"试运行附件-{field}-{n + 1}" for n in range(count)]


def _check_samples(samples: Mapping[str, Any]) -> dict[str, list[dict[str, Any] | None]]:
    if not isinstance(samples, Mapping):
        raise TrialInvalid("样例数据必须是 JSON 对象：{\"环节标识\": {字段: 值}} 或 {\"环节标识\": [{...}, {...}]}")
    checked: dict[str, list[dict[str, Any] | None]] = {}
    for name, value in samples.items():
        rows = value if isinstance(value, list) else [value]
        if (not isinstance(name, str) or len(rows) > MAX_STEPS
                or not all(row is None or isinstance(row, dict) for row in rows)):
            raise TrialInvalid(f"环节 {str(name)[:64]} 的样例数据必须是对象、null 或它们的列表（最多 {MAX_STEPS} 个）")
        checked[name] = [None if row is None else dict(row) for row in rows]
    return checked


def _plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """Case data as the page shows it (values the page can print; engine internals left out)."""
    return {str(k): v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)
            for k, v in data.items() if not str(k).startswith("_")}
