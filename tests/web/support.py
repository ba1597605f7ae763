"""Helpers of the caseworker page tests: a logged-in page client, and registration cases set up through
the services (fast) to the step a test needs."""

from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import select

from tests.attachments import samples
from tests.conftest import IsolatedClient
from tests.processes.conftest import process_files
from tests.processes.test_registration import APPLICATION, MATERIAL_FILES
from tests.web.test_session import csrf_from, login
from workflow_app import db
from workflow_app.attachments.service import attachment_service
from workflow_app.directory.models import User
from workflow_app.instances.queries import InstanceAccess
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask
from workflow_app.tasks.service import task_service


class Pages:
    """A browser of its own (cookies, CSRF on) logged in as one user; posts carry the session's CSRF token."""

    def __init__(self, web: Any, username: str) -> None:
        self.web = IsolatedClient(web.application, web.response_wrapper)
        assert login(self.web, username).status_code == 302
        self.token = csrf_from(self.web.get("/").get_data(as_text=True))

    def get(self, url: str) -> Any:
        """GET a page."""
        return self.web.get(url)

    def post(self, url: str, data: dict[str, Any] | None = None) -> Any:
        """POST a form (lists become repeated fields)."""
        return self.web.post(url, data={**(data or {}), "csrf_token": self.token})


def refused(pages: Pages, response: Any) -> Any:
    """A refused form post: a 303 back to the task page (post/redirect/get); that page, read once."""
    assert response.status_code == 303, response.status_code
    location = response.headers["Location"]
    assert "/tasks/" in location and location.rsplit("/", 2)[-2] == "tasks", location
    return pages.get(location)


def text(response: Any) -> str:
    """A response's HTML."""
    return response.get_data(as_text=True)


def errors_of(html: str, field: str) -> list[str]:
    """The messages shown beside a form field (by its data-field name)."""
    block = re.search(r'data-field="' + re.escape(field) + r'">(.*?)</div>', html, re.S)
    assert block, f"no field {field} on the page"
    return re.findall(r'class="field-error">([^<]*)<', block.group(1))


def deploy_registration() -> None:
    """Deploy the shipped registration process alone."""
    definition_service().deploy(process_files("registration"), deployed_by="test")


def user(username: str) -> User:
    """A demo user."""
    return db.session().scalars(select(User).where(User.username == username)).one()


def open_task(instance_id: str, name: str) -> HumanTask:
    """The open task with that BPMN id."""
    session = db.session()
    session.commit()  # end the read snapshot: pages changed the case in their own sessions
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.name == name,
                                                   HumanTask.status.in_(OPEN_STATUSES))).one()


def registration_at_accept(region_code: str = "220100", **changes: Any) -> tuple[str, str]:
    """A registration the applicant filled in and acknowledged: (case id, its 受理 task id)."""
    applicant = user("applicant")
    started = InstanceAccess(db.session(), applicant, instance_service()).start("registration")
    tasks = task_service()
    apply_id = started["active_tasks"][0]["id"]
    tasks.complete(applicant, apply_id,
                   with_files(applicant, apply_id, {**APPLICATION, "region_code": region_code, **changes}), None)
    tasks.complete(applicant, open_task(started["id"], "acknowledge").id,
                   {"acknowledged": True, "signatory": "李明"}, None)
    return started["id"], open_task(started["id"], "accept").id


def with_files(uploader: User, task_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each attachment field it lists filled by real uploads (a small PDF per item)."""
    data = dict(data)
    for field in MATERIAL_FILES:
        if field in data:
            data[field] = [attachment_service().upload(uploader, task_id, field, f"{field}{n}.pdf",
                                                       io.BytesIO(samples.pdf(field))).id
                           for n in range(len(data[field]))]
    return data


def accept(task_id: str, who: str = "window_cc") -> None:
    """The window accepts the application."""
    task_service().complete(user(who), task_id, {"decision": "accept", "opinion": "材料齐全，予以受理。"}, None)
