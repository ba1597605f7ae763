"""活动异常名录 → 严重违法失信名单: organizations listed for two years are reported to the supervisors.

社会组织信用信息管理办法 (民政部令第60号, 2018): an organization in the 活动异常名录 (registry flag
``activity_abnormal``: reason, basis, ``listed_on``) that is still there two years after it was
listed is a candidate for the 严重违法失信名单. Listing it is the registration authority's decision,
so this only reports: once per organization, an e-mail to the supervisors of its region, and the
day of the report kept in the flag (``candidate_reported_on``) so the next pass skips it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.alerts.messages import Directory
from workflow_app.db import unit_of_work
from workflow_app.notifications.models import Channel
from workflow_app.notifications.outbox import enqueue
from workflow_app.organizations.models import Organization

FLAG = "activity_abnormal"
REPORTED = "candidate_reported_on"
YEARS = 2
CHUNK = 500


def two_years_after(day: date) -> date:
    """The day two years after ``day`` (29 February → 1 March)."""
    try:
        return day.replace(year=day.year + YEARS)
    except ValueError:
        return date(day.year + YEARS, 3, 1)


@dataclass
class CandidateReport:
    """What one pass reported."""

    organizations: int = 0
    messages: int = 0

    def __str__(self) -> str:
        return f"{self.organizations} organizations reported as 严重违法失信名单 candidates, {self.messages} messages"


def _due(org: Organization, today: date) -> bool:
    entry = (org.flags or {}).get(FLAG)
    if not isinstance(entry, dict) or entry.get(REPORTED):
        return False
    try:
        listed = date.fromisoformat(str(entry.get("listed_on"))[:10])
    except ValueError:
        return False
    return two_years_after(listed) <= today


class SeriousDishonestyCandidates:
    """Report the organizations two years in the 活动异常名录 (each once); one transaction per chunk."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def report(self, today: date | None = None) -> CandidateReport:
        """Report every organization due at ``today`` (Beijing) that was not reported yet."""
        today = today or clock.local_now().date()
        result = CandidateReport()
        directory = Directory(self.session)
        last_id = 0
        while True:
            with unit_of_work(self.session):
                # JSON flags are read in Python (the same on SQLite and PostgreSQL), a chunk at a time.
                chunk = list(self.session.scalars(select(Organization).where(Organization.id > last_id)
                                                  .order_by(Organization.id).limit(CHUNK)))
                if not chunk:
                    break
                last_id = chunk[-1].id
                for org in chunk:
                    if _due(org, today):
                        self._report(org, today, directory, result)
        return result

    def _report(self, org: Organization, today: date, directory: Directory, result: CandidateReport) -> None:
        entry = dict(org.flags[FLAG])
        subject = "活动异常名录满2年：严重违法失信名单候选"
        body = (f"{org.name}（统一社会信用代码：{org.uscc or '—'}）于{entry.get('listed_on')}列入活动异常名录"
                f"（{entry.get('reason') or '—'}），至今已满2年仍未移出，可依照《社会组织信用信息管理办法》"
                f"列入严重违法失信名单，请审核决定。")
        for person in directory.supervisors_of(org.region_code):
            enqueue(self.session, channel=Channel.EMAIL, recipient=person.email, subject=subject, body=body,
                    payload={"organization_id": org.id, "listed_on": entry.get("listed_on")},
                    dedupe_key=f"abnormal-2y:{org.id}:{entry.get('listed_on')}:{person.username}")
            result.messages += 1
        entry[REPORTED] = today.isoformat()
        org.flags = {**org.flags, FLAG: entry}  # a new dict: JSON columns track assignment, not mutation
        result.organizations += 1
