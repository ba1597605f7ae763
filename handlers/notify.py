"""``notify.send``: queue e-mail (and webhook) messages in the outbox, in the case's transaction.

Recipients: ``to_users`` (usernames), ``to_group`` (+ ``region_code``, default the case's:
the group's members in that region, else in the nearest region above that has any), and
``to_organization`` (the users of the case's organization). Each recipient with an e-mail
address gets one message; its dedupe key is built from the case, the service task and the
address, so a retried handler never sends twice. Each webhook endpoint configured for the
outbox (``WEBHOOK_URLS`` / ``SOCORG_WEBHOOK_URLS``, the setting alerts use too) gets one message
per call with the same content, deduplicated the same way (case, service task, URL).
``NOTIFY_WEBHOOK_URL`` is a deprecated alias that still adds its one URL.

Messages to an organization's users (and the webhook copy, when they are among the recipients) follow
the disclosure rule (docs/visibility.md): the case's internal opinions and staff comments are withheld,
staff are named as the office.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from handlers import HandlerContext
from handlers.support import USERNAME_RE, boolean, fail, handler, region_code, task_id, text, text_list
from workflow_app.directory.models import Region, User, user_groups
from workflow_app.instances import disclosure
from workflow_app.notifications.delivery import webhook_urls
from workflow_app.notifications.models import Channel
from workflow_app.notifications.outbox import enqueue

log = logging.getLogger(__name__)


def _dedupe(context: HandlerContext, recipient: str, subject: str) -> str:
    # The task id makes a loop's second pass a new message; without one (a direct call) the subject does.
    step = task_id(context) or "subject:" + subject
    digest = hashlib.sha256(f"{context.instance.id}|{step}|{recipient}".encode()).hexdigest()[:40]
    return f"notify:{context.instance.id}:{digest}"


@functools.cache
def _warn_deprecated_alias() -> None:
    log.warning("NOTIFY_WEBHOOK_URL is deprecated: list the URL in WEBHOOK_URLS (SOCORG_WEBHOOK_URLS) instead")


def _webhook_urls() -> tuple[str, ...]:
    """The outbox's webhook endpoints, plus the deprecated ``NOTIFY_WEBHOOK_URL`` when an app sets it."""
    config = current_app.config if has_app_context() else {}
    urls = webhook_urls(config)
    alias = str(config.get("NOTIFY_WEBHOOK_URL") or "").strip()
    if not alias:
        return urls
    _warn_deprecated_alias()
    return tuple(dict.fromkeys((*urls, alias)))


def _group_members(context: HandlerContext, group: str, code: str) -> list[User]:
    """Active members of ``group`` in region ``code``, else in the nearest region above with any."""
    region = context.session.get(Region, code)
    while region is not None:
        users = list(context.session.scalars(
            select(User).join(user_groups, user_groups.c.user_id == User.id)
            .where(user_groups.c.group_name == group, User.region_code == region.code, User.active.is_(True))
            .order_by(User.username)))
        if users:
            return users
        region = region.parent
    return []


def _for_organization(context: HandlerContext, text: str) -> str:
    """``text`` as the case's organization may read it."""
    inputs = disclosure.case_inputs(context.session, None, context.instance)
    staff = disclosure.staff_actors(context.session, inputs)
    if context.actor and context.actor not in staff and context.actor not in inputs.org_users:
        found = context.session.scalars(select(User).where(User.username == context.actor)).first()
        if found is not None and not disclosure.reads_as_organization(found):
            staff[found.username] = found.display_name
    return disclosure.redact(text, inputs, staff, disclosure.case_comments(context.session, context.instance.id,
                                                                           inputs.org_users))


@handler("notify.send")
def send(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Queue one message per recipient; returns how many were queued."""
    from workflow_app.directory.models import Group

    op = "notify.send"
    subject = text(params, "subject", op, max_length=255)
    body = text(params, "body", op, max_length=20000)
    kind = text(params, "kind", op, required=False, max_length=64, default="notice")
    usernames = text_list(params, "to_users", op)
    group = text(params, "to_group", op, required=False, max_length=64)
    to_org = boolean(params, "to_organization", op, default=False)
    if not (usernames or group or to_org):
        raise fail(op, "未指定收件人（to_users、to_group 或 to_organization）",
                   "no recipients: give to_users, to_group or to_organization")
    bad = [u for u in usernames if not USERNAME_RE.fullmatch(u)]
    if bad:
        raise fail(op, f"用户名无效：{bad}", f"invalid usernames {bad}")

    recipients: dict[str, User] = {}
    if usernames:
        found = {u.username: u for u in context.session.scalars(select(User).where(User.username.in_(usernames)))}
        missing = sorted(set(usernames) - set(found))
        if missing:
            raise fail(op, f"用户不存在：{missing}", f"no such users {missing}")
        recipients.update((u.username, u) for u in found.values() if u.active)
    if group:
        if context.session.get(Group, group) is None:
            raise fail(op, f"用户组 {group} 不存在", f"no group {group!r}")
        code = params.get("region_code") or context.instance.region_code
        if not code:
            raise fail(op, "案件没有所属区划，请给出 region_code", "the case has no region: give region_code")
        code = region_code(context, code, op)
        recipients.update((u.username, u) for u in _group_members(context, group, code))
    if to_org:
        if context.instance.organization_id is None:
            raise fail(op, "案件未关联社会组织", "to_organization: the case has no organization")
        recipients.update((u.username, u) for u in context.session.scalars(
            select(User).where(User.organization_id == context.instance.organization_id, User.active.is_(True))))

    # What an organization's users receive follows the disclosure rule: the internal opinions and comments
    # of the case are withheld and staff are named as the office (workflow_app/instances/disclosure.py).
    organization = [u for u in recipients.values() if disclosure.reads_as_organization(u)]
    org_subject, org_body = (_for_organization(context, subject), _for_organization(context, body)) \
        if organization else (subject, body)
    payload = {"kind": kind, "instance_id": context.instance.id, "process_key": context.instance.process_key,
               "business_key": context.instance.business_key, "task_id": task_id(context)}
    queued, without_email = 0, []
    for username, user in sorted(recipients.items()):
        if not user.email:
            without_email.append(username)
            continue
        to_org = disclosure.reads_as_organization(user)
        enqueue(context.session, channel=Channel.EMAIL, recipient=user.email, subject=org_subject if to_org else subject,
                body=org_body if to_org else body, payload={**payload, "username": username},
                instance_id=context.instance.id,
                dedupe_key=_dedupe(context, user.email, subject))
        queued += 1
    for url in _webhook_urls():
        enqueue(context.session, channel=Channel.WEBHOOK, recipient=url, subject=org_subject, body=org_body,
                payload={**payload, "recipients": sorted(recipients)}, instance_id=context.instance.id,
                dedupe_key=_dedupe(context, url, subject))
    return {"queued": queued, "recipients": sorted(recipients), "without_email": without_email}
