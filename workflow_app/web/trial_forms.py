"""试运行's sample data as forms: one section per user task of the version, showing the task's real form
(schema_form, the renderer the task pages use) prefilled with the data the trial would make for it
(trial.default_data), and read back from the post into the trial's samples structure
(``{task id: data}``, ``None`` for a step the designer leaves open). Attachment fields are not shown:
a trial stores no files, so they keep their placeholder files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.trial import TrialRun, default_data
from workflow_app.tasks.forms import form_from_files
from workflow_app.web import schema_form

PREFIX = "sample-"  # a field of task "review" posts as "sample-review.<field>"
LEAVE_OPEN = "leave-open"  # checkbox values: the tasks whose (first) pass stays open


@dataclass
class Section:
    """One user task on the trial page: its title, its form's fields, whether it is left open."""

    task: str
    title: str
    fields: list[schema_form.Field]
    left_open: bool = False
    open: bool = False  # shown unfolded (the first section, or one whose sample was refused)
    placeholders: list[str] = field(default_factory=list)  # titles of attachment fields (placeholder files)


def _parts(definition: ProcessDefinition, task: str) -> tuple[list[schema_form.Field], list[schema_form.Field],
                                                               dict[str, Any]]:
    form = form_from_files(definition.task_meta, definition.files, task)
    every = schema_form.build(form.schema, prefix=f"{PREFIX}{task}.")
    shown = [f for f in every if f.kind != "attachments"]
    return shown, [f for f in every if f.kind == "attachments"], default_data(form)


def sections(definition: ProcessDefinition, posted: MultiDict | None = None) -> list[Section]:
    """The sections of the page: defaults on a fresh page, what was typed after a post."""
    found = []
    left_open = set(posted.getlist(LEAVE_OPEN)) if posted is not None else set()
    for task, meta in definition.task_meta.items():
        fields, files, defaults = _parts(definition, task)
        if posted is not None:
            _data, values = schema_form.parse(fields, posted)
        else:
            values = {f.key: schema_form.display(f, defaults[f.key]) for f in fields if f.key in defaults}
        schema_form.fill(fields, values, {})
        found.append(Section(task=task, title=str(meta.get("title") or task), fields=fields, open=not found,
                             left_open=task in left_open, placeholders=[f.title for f in files]))
    return found


def samples_from(definition: ProcessDefinition, posted: MultiDict) -> dict[str, Any]:
    """The trial's samples from the posted sections: each task's typed data (its attachment fields keep
    their placeholder files), or None when the designer leaves that step open."""
    left_open = set(posted.getlist(LEAVE_OPEN))
    samples: dict[str, Any] = {}
    for task in definition.task_meta:
        if task in left_open:
            samples[task] = None
            continue
        fields, files, defaults = _parts(definition, task)
        data, _shown = schema_form.parse(fields, posted)
        data.update({f.key: defaults[f.key] for f in files if f.key in defaults})
        samples[task] = data
    return samples


def show_refusal(found: list[Section], run: TrialRun, on_fields: bool) -> str | None:
    """When the run stopped because a task's form refused its sample: the run's message in Chinese, and
    (``on_fields``: the sample came from the sections) the form's messages beside that section's fields."""
    section = next((s for s in found if s.task == run.refused_task), None)
    if section is None:
        return None
    by_key = {f.key: f for f in section.fields}
    parts = []
    for path, found_messages in sorted(run.refused_errors.items()):
        item = by_key.get(path.split(".", 1)[0].split("/", 1)[0])
        texts = schema_form.messages(found_messages, item.schema if item else None)
        if item is not None and on_fields:
            item.errors = texts
        parts.append(f"{item.title if item else (path or '表单')}：{'、'.join(texts)}")
    section.open = section.open or on_fields
    return f"环节「{section.title}」的样例数据未通过表单校验：{'；'.join(parts)}"
