"""GET/PUT /calendar/{year} and the `socorg calendar` commands."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask.cli import ScriptInfo

from workflow_app.cli import main

DAYS_2027 = [
    {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    {"date": "2027-02-06", "kind": "workday", "name": "春节"},
]


def test_any_user_reads_a_year_of_the_library(client, auth):
    response = client.get("/api/v1/calendar/2026", headers=auth("applicant"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["year"] == 2026 and body["covered"] is True and body["complete"] is False
    days = {d["date"]: d for d in body["days"]}
    assert days["2026-10-01"]["kind"] == "holiday" and days["2026-10-01"]["name"] == "国庆节"
    assert days["2026-10-10"]["kind"] == "workday" and days["2026-10-10"]["source"] == "library"
    assert "2026-10-03" not in days  # a Saturday off is the plain week, not a difference
    assert client.get("/api/v1/calendar/2026").status_code == 401


def test_admin_puts_a_later_year_and_marks_it_complete(client, auth):
    before = client.get("/api/v1/calendar/2027", headers=auth("admin")).get_json()
    assert (before["complete"], before["covered"]) == (False, False)
    assert {(d["date"], d["source"]) for d in before["days"]} >= {("2027-01-01", "statutory"),
                                                                   ("2027-10-01", "statutory")}
    response = client.put("/api/v1/calendar/2027", headers=auth("admin"),
                          json={"days": DAYS_2027, "complete": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["covered"] is True and body["complete"] is True
    assert [(d["date"], d["kind"], d["source"]) for d in body["days"]] == [
        ("2027-01-01", "holiday", "override"), ("2027-02-06", "workday", "override")]
    seen = client.get("/api/v1/calendar/2027", headers=auth("window_cc")).get_json()
    assert seen == body


def test_only_admins_put_and_bad_days_are_named(client, auth):
    forbidden = client.put("/api/v1/calendar/2027", headers=auth("supervisor_prov"), json={"days": DAYS_2027})
    assert forbidden.status_code == 403
    bad = client.put("/api/v1/calendar/2027", headers=auth("admin"),
                     json={"days": [{"date": "2026-05-01", "kind": "holiday"}, {"date": "2027-13-01",
                                                                               "kind": "holiday"}]})
    assert bad.status_code == 422
    wrong_year = client.put("/api/v1/calendar/2027", headers=auth("admin"),
                            json={"days": [{"date": "2026-05-01", "kind": "holiday"}]})
    assert wrong_year.status_code == 422 and "not in 2027" in json.dumps(wrong_year.get_json(), ensure_ascii=False)
    assert client.put("/api/v1/calendar/2027", headers=auth("admin"), json={}).status_code == 422
    assert client.get("/api/v1/calendar/20267", headers=auth("admin")).status_code == 422


def test_calendar_commands_show_set_and_complete(app, demo, tmp_path):
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)

    def run(*args: str):
        return runner.invoke(main, list(args), obj=info, catch_exceptions=False)

    shown = run("calendar", "show", "2027")
    assert shown.exit_code == 0 and "NOT COVERED" in shown.output
    path = tmp_path / "2027.json"
    path.write_text(json.dumps({"days": DAYS_2027}), encoding="utf-8")
    saved = run("calendar", "set", "2027", str(path))
    assert saved.exit_code == 0 and "2 special days saved" in saved.output
    assert "2027-02-06  workday  override 春节" in run("calendar", "show", "2027").output
    assert "2027: marked complete" in run("calendar", "complete", "2027").output
    assert "covered, marked complete" in run("calendar", "show", "2027").output
    path.write_text(json.dumps([{"date": "2027-02-30", "kind": "holiday"}]), encoding="utf-8")
    failed = runner.invoke(main, ["calendar", "set", "2027", str(path)], obj=info)
    assert failed.exit_code == 1 and "entry 0" in failed.output
