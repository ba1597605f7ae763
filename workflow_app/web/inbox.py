"""待办 / 已办 / 抄送我的: the caseworker's inbox with counts, filters, deadlines in working days, pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from workflow_app import db
from workflow_app.directory.models import Role
from workflow_app.instances import disclosure
from workflow_app.services import definition_service
from workflow_app.tasks import returns
from workflow_app.tasks.inbox import InboxQuery
from workflow_app.tasks.service import task_service
from workflow_app.web.case_context import TASK_STATUS, calendar, people, region_names, time_left
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_inbox", __name__, url_prefix="/tasks")

# Roles that work on tasks (designers have none; admins pass every check).
WORKERS = (Role.APPLICANT, Role.CASEWORKER, Role.SUPERVISOR)
STAFF_WORKERS = (Role.CASEWORKER, Role.SUPERVISOR)  # exports and batch work: not for organizations
PER_PAGE = 20
MAX_PAGE = 100_000
# tab → (scope, status, sort) of the inbox service.
TABS = {
    "todo": (None, None, "due_at"),
    "done": ("mine", "completed", "-created_at"),
    "cc": ("cc", None, "-created_at"),
}
TAB_LABELS = {"todo": "待办", "done": "已办", "cc": "抄送我的"}


@dataclass(frozen=True)
class Figure:
    """A count as a page shows it: "1000+" when it reached the inbox's count cap (there are more)."""

    value: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.value}+" if self.capped else str(self.value)

    def __bool__(self) -> bool:
        return self.value > 0


def tab_figures(counts: dict[str, Any]) -> dict[str, Figure]:
    """The inbox figures pages show from the service's counts: 待办 (mine + group), 已办, 抄送, 超期."""
    capped = set(counts["capped"])

    def figure(*names: str) -> Figure:
        return Figure(sum(counts[name] for name in names), bool(capped.intersection(names)))

    return {"todo": figure("mine", "group"), "done": figure("done"), "cc": figure("cc"), "overdue": figure("overdue")}


def page_number() -> int:
    """``?page=`` as a sane page number (a huge one would overflow the database's OFFSET)."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def query_text(name: str, limit: int) -> str | None:
    """A query-string filter as printable text (PostgreSQL refuses NUL; control characters mean nothing here)."""
    text = "".join(ch for ch in request.args.get(name, "") if ch.isprintable()).strip()[:limit]
    return text or None


def _filters() -> dict[str, Any]:
    return {"process_key": query_text("process_key", 64), "q": query_text("q", 100),
            "overdue": request.args.get("overdue") in ("1", "true", "on")}


@bp.get("")
@login_required(*WORKERS)
def index() -> ResponseReturnValue:
    """One tab of the inbox, filtered and paged; every tab shows its count."""
    user = current_web_user()
    service = task_service()
    tab = request.args.get("tab", "todo")
    if tab not in TABS:
        tab = "todo"
    page = page_number()
    filters = _filters()
    scope, status, sort = TABS[tab]
    result = service.inbox(user, InboxQuery(scope=scope, status=status, sort=sort, page=page, per_page=PER_PAGE,
                                            **filters))
    tab_counts = tab_figures(service.counts(user))
    tasks = [view.task for view in disclosure.task_views(db.session(), user, result.items)]
    work_calendar = calendar()
    sent_back = returns.reopened_by(db.session(), tasks)
    rows = [{"task": t, "left": time_left(t.due_at, work_calendar) if t.status.is_open else None,
             "status": TASK_STATUS.get(t.status, t.status.value), "sent_back": returns.LABELS.get(sent_back.get(t.id, ""))}
            for t in tasks]
    # A capped total is a lower bound: the pages go on past it while pages are full.
    last_page = max((result.total + PER_PAGE - 1) // PER_PAGE, page + 1 if result.total_capped else 1)
    return render_template(
        "inbox/index.html", tab=tab, tabs=TAB_LABELS, tab_counts=tab_counts, overdue_count=tab_counts["overdue"],
        rows=rows, total=Figure(result.total, result.total_capped), page=page, last_page=last_page,
        total_capped=result.total_capped, filters=filters,
        processes={d.key: d.name for d in definition_service().list()},
        regions=region_names(db.session(), [t.region_code for t in tasks]),
        names=people(db.session(), [t.assignee for t in tasks] + [t.completed_by for t in tasks]),
        page_url=lambda n: url_for("web_inbox.index", **{**request.args.to_dict(), "page": n}),
    )
