"""监督看板: charts' data, drill-down to the cases, the region and period filters, the Excel export, and
agreement with the alerts page after `socorg tick --now`."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.test_cli import invoke, runner  # noqa: F401 - the CLI fixture
from tests.web.conftest import log_in
from tests.web.test_browser_journeys import BPMN_DIR
from tests.web.test_session import login
from workflow_app import clock, db
from workflow_app.definitions.service import collect_files
from workflow_app.demo_history import DemoHistory
from workflow_app.directory.models import Region
from workflow_app.reports.snapshots import take_snapshot
from workflow_app.reports.trends import Period, PeriodError, default_period, parse_period
from workflow_app.services import definition_service
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus

LATER = timedelta(days=20)  # far enough past the history for many open tasks to be overdue


@pytest.fixture
def history(app, demo) -> None:
    """The shipped processes and a small demo history (cases of every process over four months)."""
    definition_service().deploy(collect_files([BPMN_DIR]), deployed_by="test")
    DemoHistory(db.session(), seed=7).run(cases=36, months=4)
    db.session().commit()
    for month, _start, _end in default_period().months()[-3:]:
        take_snapshot(db.session(), month)


def _charts(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S)
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def _overdue_tasks_below(region_code: str) -> list[HumanTask]:
    path = db.session().scalar(select(Region.path).where(Region.code == region_code))
    below = select(Region.code).where(Region.path.like(path + "%"))
    return list(db.session().scalars(select(HumanTask).where(
        HumanTask.status.in_(OPEN_STATUSES), HumanTask.due_at < clock.now(), HumanTask.region_code.in_(below))))


def test_period_parsing_defaults_and_refusals():
    from datetime import date

    assert parse_period(None, None, date(2026, 3, 5)) == Period("2025-04", "2026-03")
    assert parse_period("2026-01", "2026-02", date(2026, 3, 5)).months()[1][0] == "2026-02"
    assert parse_period("", "2026-06", date(2026, 3, 5)) == Period("2025-07", "2026-06")
    for first, last, message in [("2026-13", "", "起始月份"), ("2026-05", "2026-01", "不能晚于"),
                                 ("2020-01", "2026-01", "最长 36 个月"), ("abc", "", "形如 2026-01"),
                                 ("2026-01", "2026-02x", "截止月份")]:
        with pytest.raises(PeriodError, match=message):
            parse_period(first, last, date(2026, 3, 5))


def test_dashboard_figures_agree_with_the_alerts_page_after_tick_now(app, runner, history, web):  # noqa: F811
    moment = clock.now() + LATER
    try:
        result = invoke(app, runner, "tick", "--now", moment.isoformat())
        assert result.exit_code == 0, result.output
    finally:
        clock.set_global(None)
    with clock.frozen(moment):
        login(web, "supervisor_cc")
        charts = _charts(web.get("/supervisor/dashboard").get_data(as_text=True))
        alerted: set[str] = set()
        for number in range(1, 50):
            page = web.get(f"/supervisor/alerts?status=open&page={number}").get_data(as_text=True)
            rows = re.findall(r'<tr data-alert="\d+"[^>]*>(.*?)</tr>', page, re.S)
            if not rows:
                break
            alerted |= {re.search(r'href="/tasks/([^"]+)"', row).group(1) for row in rows if "到期提醒" not in row}
        expected = {t.id for t in _overdue_tasks_below("220100")}
    assert expected, "the history left no overdue task in 长春市"
    assert sum(charts["overdueRegion"]["values"]) == len(alerted) == len(expected)
    assert sum(charts["overdueProcess"]["values"]) == len(expected)
    assert alerted == expected


def test_each_overdue_number_opens_the_cases_holding_those_tasks(history, web):
    with clock.frozen(clock.now() + LATER):
        login(web, "supervisor_prov")
        page = web.get("/supervisor/dashboard").get_data(as_text=True)
        charts = _charts(page)
        assert charts["overdueRegion"]["links"], "nothing overdue to drill into"
        # the province's own tasks, then each city with its counties: the numbers add up to the whole
        assert "吉林省本级" in charts["overdueRegion"]["labels"] or all(
            "region_only" not in link for link in charts["overdueRegion"]["links"])
        assert sum(charts["overdueRegion"]["values"]) == len(_overdue_tasks_below("220000"))
        cities = set(db.session().scalars(select(Region.name).where(Region.parent_code == "220000")))
        assert set(charts["overdueRegion"]["labels"]) <= cities | {"吉林省本级"}
        for chart in ("overdueRegion", "overdueProcess"):
            for link in charts[chart]["links"]:
                assert f'href="{link.replace("&", "&amp;")}"' in page  # the table's number is the same link
                listed = web.get(link).get_data(as_text=True)
                shown = set(re.findall(r'<tr data-case="([^"]+)"', listed))
                assert "task_overdue" in link and shown, link
                query = parse_qs(urlsplit(link).query)
                region = query["region"][0]
                holding = {t.instance_id for t in _overdue_tasks_below(region)
                           if t.process_key == query.get("process_key", [t.process_key])[0]
                           and ("region_only" not in query or t.region_code == region)}
                assert shown == holding, link


def test_monthly_figures_count_the_tasks_and_decisions_of_the_period(history, web):
    from workflow_app.directory.models import User
    from workflow_app.reports.service import ReportService

    session = db.session()
    user = session.scalar(select(User).where(User.username == "supervisor_prov"))
    data = ReportService(session).dashboard(user)
    completed = session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.status == TaskStatus.COMPLETED, HumanTask.due_at.is_not(None)))
    assert sum(m.completed for m in data.on_time_by_month) == completed == data.overview.completed_with_limit
    assert sum(m.on_time for m in data.on_time_by_month) <= completed
    assert len(data.on_time_by_month) == 12
    assert sum(m.decided for m in data.registration_by_month) == data.figures.registration.decided > 0
    narrow = ReportService(session).dashboard(user, period=Period("2000-01", "2000-02"))
    assert [m.completed for m in narrow.on_time_by_month] == [0, 0] and narrow.trend == []


def test_bad_period_shows_a_chinese_message_not_an_error(web):
    login(web, "supervisor_cc")
    for query, message in [("from=2026-13", "起始月份应为形如 2026-01 的月份"),
                           ("from=2026-06&to=2026-01", "起始月份不能晚于截止月份"),
                           ("from=%00%ff&to=x" + "9" * 5000, "应为形如")]:
        response = web.get(f"/supervisor/dashboard?{query}")
        assert response.status_code == 200, query
        assert message in response.get_data(as_text=True), query
    refused = web.get("/supervisor/dashboard/export.xlsx?from=2026-13")
    assert refused.status_code == 302
    assert "起始月份应为形如" in web.get(refused.headers["Location"]).get_data(as_text=True)


def test_export_has_a_sheet_per_table_with_the_pages_numbers(history, web):
    with clock.frozen(clock.now() + LATER):
        login(web, "supervisor_cc")
        charts = _charts(web.get("/supervisor/dashboard").get_data(as_text=True))
        response = web.get("/supervisor/dashboard/export.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["超期任务（按区划）", "超期任务（按流程）", "按期办结率（按月）", "成立登记用时（按月）",
                               "僵尸型清理（按结果）", "僵尸型清理（按情形）", "党建覆盖（现状）", "党建覆盖（月度趋势）"]
    rows = list(book["超期任务（按区划）"].iter_rows(values_only=True))
    assert rows[0][0].startswith("长春市及所辖")
    assert [r[1] for r in rows[2:]] == charts["overdueRegion"]["values"]
    assert len(list(book["按期办结率（按月）"].iter_rows(values_only=True))) == 2 + 12


def test_a_city_supervisor_cannot_see_or_export_another_citys_figures(web):
    login(web, "supervisor_cc")
    assert web.get("/supervisor/dashboard?region=220200").status_code == 403
    assert web.get("/supervisor/dashboard/export.xlsx?region=220200").status_code == 403
    assert web.get("/supervisor/dashboard/export.xlsx?region=220000").status_code == 403


@pytest.mark.parametrize("username", ["window_cc", "applicant"])
def test_only_supervisors_export_the_figures(web, username):
    login(web, username)
    assert web.get("/supervisor/dashboard/export.xlsx").status_code == 403


def test_browser_dashboard_draws_each_chart_and_a_bar_opens_its_cases(page, live_server, history):
    clock.set_global(clock.now() + LATER)
    try:
        log_in(page, live_server, "supervisor_prov")
        page.goto(f"{live_server}/supervisor/dashboard")
        page.wait_for_function("window.socorgCharts && Object.keys(window.socorgCharts).length >= 5")
        for chart in ["chart-overdue-region", "chart-overdue-process", "chart-on-time", "chart-registration",
                      "chart-zombies", "chart-party"]:
            assert page.locator(f"#{chart} canvas").count() == 1, chart
            series = page.evaluate(f"window.socorgCharts['{chart}'].getOption().series.length")
            assert series >= 1, chart
        page.locator("#chart-overdue-region").scroll_into_view_if_needed()
        # a click during the bars' entry animation is not taken as a click on the bar: wait until it has grown
        page.wait_for_function("""() => {
            const data = window.socorgCharts['chart-overdue-region'].getModel().getSeriesByIndex(0).getData();
            const bar = data.getItemGraphicEl(0);
            return bar && Math.abs(bar.shape.height - data.getItemLayout(0).height) < 0.5;
        }""")
        # just above the axis in the first bar: bars grow from the axis, so this is inside it even mid-animation
        first = page.evaluate("""() => {
            const chart = window.socorgCharts['chart-overdue-region'];
            const [x, y] = chart.convertToPixel({seriesIndex: 0}, [0, 0]);
            const box = document.querySelector('#chart-overdue-region').getBoundingClientRect();
            return {x: box.left + x, y: box.top + y - 3};
        }""")
        page.mouse.click(first["x"], first["y"])
        page.wait_for_url(re.compile(r"/cases\?.*task_overdue=1"), wait_until="commit")
        page.wait_for_selector("tr[data-case]")
        assert "/cases?" in page.url and "task_overdue=1" in page.url
        assert page.locator("tr[data-case]").count() >= 1
        page.go_back()
        page.locator("#overdue-process .bar-value a").first.click()
        page.wait_for_load_state("networkidle")
        assert "process_key=" in page.url and page.locator("tr[data-case]").count() >= 1
        page.goto(f"{live_server}/supervisor/dashboard")
        page.wait_for_function("window.socorgCharts && window.socorgCharts['chart-party']")
        page.wait_for_timeout(1500)  # the charts' entry animation, for the screenshot
    finally:
        clock.set_global(None)
