"""The calendar-driven job: each December, the yearly report case of every reporting unit (seed 002).

From 12-01 (Asia/Shanghai) the job starts the shipped ``annual_report`` process once per
reporting unit and year (:func:`workflow_app.reports.annual.reporting_units`: every county,
every city-level region, and 梅河口市, which reports to the province directly) — business key
``年度报告〔<year>〕<unit name>`` (people read it in the inbox), skipped when a case with that key,
or the older ``annual-report-<year>-<region>``, exists — prefilled with what the registry knows
of the organizations the unit registered. A city's and 梅河口's task is due at the end of the last
working day on or before 12-15; a county's three working days earlier, so that its city can sum
it. Running the job late (the scheduler was down on 12-01) still creates the missing ones.
"""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask
from sqlalchemy import select

from workflow_app import clock, db
from workflow_app.calendar.service import CalendarService
from workflow_app.calendar.workdays import end_of_local_day
from workflow_app.db import unit_of_work
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.directory.models import Region
from workflow_app.instances.models import ProcessInstance
from workflow_app.reports.annual import (
    PROCESS_KEY,
    ReportLevel,
    business_key,
    county_due_day,
    due_day,
    registry_figures,
    reporting_units,
)

log = logging.getLogger(__name__)
MONTH, FIRST_DAY = 12, 1
STARTED_BY = "scheduler"


def legacy_business_key(year: int, region_code: str) -> str:
    """The key earlier versions gave the report: still counts as "already there"."""
    return f"annual-report-{year}-{region_code}"


def create_annual_reports(app: Flask) -> str:
    """In December, start the missing yearly report cases of the year; idempotent per (unit, year)."""
    from workflow_app.services import instance_service

    today = clock.local_now().date()
    if today.month != MONTH or today.day < FIRST_DAY:
        return "not December: nothing to do"
    year = today.year
    with app.app_context():
        session = db.session()
        if session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == PROCESS_KEY).limit(1)) is None:
            log.warning("the %s process is not deployed: no annual reports created for %s", PROCESS_KEY, year)
            return f"process {PROCESS_KEY} not deployed: skipped"
        calendar = CalendarService(session).calendar()
        due_days: dict[ReportLevel, date] = {ReportLevel.CITY: due_day(year, calendar),
                                             ReportLevel.DIRECT: due_day(year, calendar),
                                             ReportLevel.COUNTY: county_due_day(year, calendar)}
        warning = None if calendar.covers(year) else f"{year} 年节假日安排未录入，期限按普通工作日计算"
        units = reporting_units(session)
        session.rollback()
        created = existing = 0
        service = instance_service(session)
        for unit in units:
            key = business_key(year, unit.name)
            with unit_of_work(session):
                # Locking the region row makes two schedulers queue here (PostgreSQL); SQLite's
                # BEGIN IMMEDIATE already does. The second then finds the case the first created.
                session.execute(select(Region.code).where(Region.code == unit.code).with_for_update())
                keys = (key, legacy_business_key(year, unit.code))
                if session.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key.in_(keys))
                                  .limit(1)) is not None:
                    existing += 1
                    continue
                due = due_days[unit.level]
                variables = {"region_code": unit.code, "region_name": unit.name, "report_year": year,
                             "report_level": unit.level.value, "receiver_code": unit.receiver_code,
                             "report_due": due.isoformat(), **registry_figures(session, unit.code)}
                advance = service.start_in_transaction(PROCESS_KEY, variables, started_by=STARTED_BY,
                                                       business_key=key, region_code=unit.code)
                for task in advance.new_tasks:  # due on the unit's day whichever December day the case started
                    task.due_at, task.due_warning = end_of_local_day(due), warning
                created += 1
        return f"{year}: {created} annual report cases created, {existing} already there"
