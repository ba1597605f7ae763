"""Who an alert goes to and what it says: resolved from one snapshot of the directory per scan."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.alerts.models import AlertKind
from workflow_app.clock import LOCAL_TZ
from workflow_app.directory.models import Region, Role, User
from workflow_app.notifications.models import Channel
from workflow_app.tasks.visibility import APPLICANT_GROUP
from workflow_app.web.labels import group_label

SUPERVISOR_GROUP = "supervisor"
_SUBJECTS = {
    AlertKind.REMINDER: "【到期提醒】{title}将于{due}到期",
    AlertKind.OVERDUE: "【超期预警】{title}已超过办理期限（{due}）",
    AlertKind.ESCALATED: "【超期督办】{title}超期未办结，已报上级（期限{due}）",
}
DIGEST_LINES = 50
_DIGEST_SUBJECTS = {
    AlertKind.REMINDER: "【到期提醒】您有{n}项待办即将到期",
    AlertKind.OVERDUE: "【超期预警】本辖区{n}项待办已超过办理期限",
    AlertKind.ESCALATED: "【超期督办】下级辖区{n}项待办超期未办结",
}
_LEADS = {
    AlertKind.REMINDER: "您有一项待办事项即将到期，请及时办理。",
    AlertKind.OVERDUE: "本辖区有一项待办事项已超过办理期限，请督促办理。",
    AlertKind.ESCALATED: "下级辖区有一项待办事项超期仍未办结，现提请督办。",
}


@dataclass(frozen=True)
class Recipient:
    """A user an e-mail goes to."""

    username: str
    email: str


class Directory:
    """Users and regions loaded once per scan, so resolving recipients costs no query per task."""

    def __init__(self, session: Session) -> None:
        self.region_names: dict[str, str] = {}
        self.parents: dict[str, str | None] = {}
        for code, name, parent in session.execute(select(Region.code, Region.name, Region.parent_code)):
            self.region_names[code], self.parents[code] = name, parent
        self.by_username: dict[str, Recipient] = {}
        self.by_group_region: dict[tuple[str, str], list[Recipient]] = defaultdict(list)
        self.by_organization: dict[int, list[Recipient]] = defaultdict(list)
        self.supervisors: dict[str, list[Recipient]] = defaultdict(list)
        users = session.scalars(select(User).where(User.active.is_(True)))
        for user in users:
            if not user.email:
                continue
            person = Recipient(user.username, user.email)
            self.by_username[user.username] = person
            for group in user.group_names:
                self.by_group_region[(group, user.region_code)].append(person)
            if user.role is Role.APPLICANT and user.organization_id is not None:
                self.by_organization[user.organization_id].append(person)
            if user.role is Role.SUPERVISOR or SUPERVISOR_GROUP in user.group_names:
                self.supervisors[user.region_code].append(person)

    def parent_of(self, region_code: str | None) -> str | None:
        """The region above (city → province), or None at the top."""
        return self.parents.get(region_code) if region_code else None

    def reminder_recipients(self, task: Any) -> list[Recipient]:
        """The assignee, else the task's group in its region (an applicant task: its organization's users)."""
        if task.assignee:
            person = self.by_username.get(task.assignee)
            return [person] if person else []
        if task.candidate_group == APPLICANT_GROUP:
            return list(self.by_organization.get(task.organization_id, [])) if task.organization_id else []
        if task.candidate_group and task.region_code:
            return list(self.by_group_region.get((task.candidate_group, task.region_code), []))
        return []

    def supervisors_of(self, region_code: str | None) -> list[Recipient]:
        """The supervisors of the region, or of the nearest region above it that has any."""
        seen = 0
        while region_code and seen < 10:
            found = self.supervisors.get(region_code)
            if found:
                return list(found)
            region_code, seen = self.parents.get(region_code), seen + 1
        return []


def _local(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _holder(task: Any) -> str:
    """Who holds the task, as every recipient may read it: an organization's step names the organization,
    never a staff member who may have typed it in (docs/visibility.md); a step nobody holds names its
    lane, in Chinese."""
    if task.candidate_group == APPLICANT_GROUP:
        return "申请单位"
    return task.assignee or f"待签收（{group_label(task.candidate_group)}）"


def compose(kind: AlertKind, task: Any, alert_id: int, level: int, region_code: str | None,
            directory: Directory, created_at: datetime) -> tuple[str, str, dict[str, Any]]:
    """Subject, e-mail body and webhook payload of one alert."""
    title = task.title
    subject = _SUBJECTS[kind].format(title=title, due=_local(task.due_at))
    region_name = directory.region_names.get(task.region_code or "", task.region_code or "—")
    handler = _holder(task)
    body = "\n".join([
        _LEADS[kind],
        "",
        f"事项：{title}",
        f"业务编号：{task.business_key or '—'}",
        f"流程：{task.process_key}",
        f"所属区域：{region_name}",
        f"经办：{handler}",
        f"办理期限：{_local(task.due_at)}（北京时间）",
        "",
        "本邮件由社会组织业务协同平台自动发送，请勿回复。",
    ])
    payload = {
        "event": "task.alert",
        "alert": {
            "id": alert_id, "kind": kind.value, "level": level, "region": region_code,
            "created_at": created_at.isoformat(),
        },
        "task": {
            "id": task.id, "instance_id": task.instance_id, "process_key": task.process_key,
            "business_key": task.business_key, "name": task.name, "title": title,
            "candidate_group": task.candidate_group, "region": task.region_code, "assignee": task.assignee,
            "due_at": task.due_at.isoformat() if task.due_at else None,
        },
    }
    return subject, body, payload


def alert_rows(kind: AlertKind, task: Any, alert_id: int, level: int, region_code: str | None,
               recipients: Sequence[Recipient], webhook_urls: Sequence[str], directory: Directory,
               created_at: datetime) -> list[dict[str, Any]]:
    """The outbox rows of one alert: an e-mail per recipient and a webhook call per configured URL."""
    subject, body, payload = compose(kind, task, alert_id, level, region_code, directory, created_at)
    # A later cycle of the task (sent back to, 退回) is a new alert: its key must differ from the first's.
    base = f"alert:{task.id}:{level}" if not task.cycle else f"alert:{task.id}:{task.cycle}:{level}"
    rows = [{
        "channel": Channel.EMAIL, "recipient": person.email, "subject": subject[:255], "body": body,
        "payload": {"alert_id": alert_id, "task_id": task.id, "to_user": person.username},
        "dedupe_key": f"{base}:mail:{person.username}", "instance_id": task.instance_id,
    } for person in recipients]
    for url in webhook_urls:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        rows.append({
            "channel": Channel.WEBHOOK, "recipient": url[:512], "subject": subject[:255], "body": "",
            "payload": payload, "dedupe_key": f"{base}:hook:{digest}", "instance_id": task.instance_id,
        })
    return rows


def digest_row(kind: AlertKind, shown: Sequence[tuple[Any, int]], total: int, id_range: tuple[int, int],
               person: Recipient, directory: Directory) -> dict[str, Any]:
    """One e-mail to ``person`` about ``total`` alerts of one kind raised by the same scan (ids within
    ``id_range``), listing the first of them (``shown``, at most DIGEST_LINES)."""
    shown = shown[:DIGEST_LINES]
    lines = [_LEADS[kind].replace("一项", f"{total} 项"), ""]
    for task, _alert_id in shown:
        region = directory.region_names.get(task.region_code or "", task.region_code or "—")
        lines.append(f"- {task.title}（{task.business_key or '—'}，{region}，期限 {_local(task.due_at)}）")
    if total > len(shown):
        lines.append(f"……另有 {total - len(shown)} 项，请登录平台查看预警列表。")
    lines += ["", "本邮件由社会组织业务协同平台自动发送，请勿回复。"]
    first, last = id_range
    return {
        "channel": Channel.EMAIL, "recipient": person.email,
        "subject": _DIGEST_SUBJECTS[kind].format(n=total)[:255], "body": "\n".join(lines),
        "payload": {"alert_ids": sorted(alert_id for _task, alert_id in shown), "alerts": total,
                    "to_user": person.username},
        # Alert ids are new in the scan that raised them, so this key is unique and stable.
        "dedupe_key": f"alerts:{kind.value}:{person.username}:{first}-{last}:{total}",
        "instance_id": None,
    }


@dataclass
class _Letter:
    person: Recipient
    shown: list[Any]
    total: int
    first: int
    last: int


class Mailing:
    """The e-mails of one rung, gathered per recipient: a single alert is sent as itself, several as a
    digest. Fed with groups of alerts — each with its count, id range and first rows."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.letters: dict[str, _Letter] = {}

    def add(self, recipients: Sequence[Recipient], shown: Sequence[Any], total: int, first: int, last: int) -> None:
        """``total`` alerts (ids ``first``…``last``, ``shown`` the first rows of them) for each recipient."""
        for person in recipients:
            letter = self.letters.get(person.username)
            if letter is None:
                self.letters[person.username] = _Letter(person, list(shown), total, first, last)
            else:
                letter.shown.extend(shown)
                letter.total += total
                letter.first, letter.last = min(letter.first, first), max(letter.last, last)

    def rows(self, kind: AlertKind, level: int, created_at: datetime) -> list[dict[str, Any]]:
        """The outbox rows: one per recipient."""
        found = []
        for letter in self.letters.values():
            if letter.total == 1:
                row = letter.shown[0]
                found.extend(alert_rows(kind, row, row.alert_id, level, row.addressed, [letter.person], [],
                                        self.directory, created_at))
            else:
                shown = sorted(letter.shown, key=lambda r: r.alert_id)[:DIGEST_LINES]
                found.append(digest_row(kind, [(r, r.alert_id) for r in shown], letter.total,
                                        (letter.first, letter.last), letter.person, self.directory))
        return found
