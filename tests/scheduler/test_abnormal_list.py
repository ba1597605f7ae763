"""report_abnormal_list: two years in the 活动异常名录 → reported once as a 严重违法失信名单 candidate."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from scheduler import jobs
from workflow_app import clock
from workflow_app.directory.models import User
from workflow_app.notifications.models import OutboxMessage
from workflow_app.organizations.credit import two_years_after
from workflow_app.organizations.models import Organization

SUBJECT = "活动异常名录满2年：严重违法失信名单候选"


def _listed(session, listed_on: str) -> Organization:
    user = session.scalar(select(User).where(User.username == "applicant"))
    org = session.get(Organization, user.organization_id)
    org.flags = {**org.flags, "activity_abnormal": {"reason": "通过登记的住所无法与社会组织取得联系",
                                                    "basis": "《社会组织信用信息管理办法》第十条第（六）项",
                                                    "listed_on": listed_on}}
    session.commit()
    return org


def _reports(session) -> list[OutboxMessage]:
    session.rollback()  # end the read snapshot: the job committed in its own session
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.subject == SUBJECT)))


def test_an_entry_two_years_old_is_reported_to_the_supervisors_once(app, demo, session):
    org = _listed(session, "2024-03-02")
    with clock.frozen(datetime(2026, 3, 1, 10, tzinfo=clock.LOCAL_TZ)):
        assert jobs.report_abnormal_list(app).startswith("0 organizations")  # a day short of two years
    assert _reports(session) == []
    with clock.frozen(datetime(2026, 3, 2, 10, tzinfo=clock.LOCAL_TZ)):
        out = jobs.report_abnormal_list(app)
        assert out.startswith("1 organizations"), out
        assert jobs.report_abnormal_list(app).startswith("0 organizations")  # once only
    reports = _reports(session)
    assert reports and all(m.recipient.startswith("supervisor") for m in reports)
    assert org.name in reports[0].body and "2024-03-02" in reports[0].body
    assert session.get(Organization, org.id).flags["activity_abnormal"]["candidate_reported_on"] == "2026-03-02"


def test_a_younger_entry_or_no_entry_is_not_reported(app, demo, session):
    _listed(session, "2025-06-30")
    with clock.frozen(datetime(2026, 3, 2, 10, tzinfo=clock.LOCAL_TZ)):
        assert jobs.report_abnormal_list(app).startswith("0 organizations")
    assert _reports(session) == []


def test_two_years_after_a_leap_day_is_the_first_of_march():
    assert two_years_after(date(2024, 2, 29)) == date(2026, 3, 1)
