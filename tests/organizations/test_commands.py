"""`socorg import-orgs` and `socorg start-zombie-cleanup`: exit codes, progress, reports."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from tests.conftest import DATA, read_bundle
from tests.organizations.test_bulk import add_organizations
from tests.organizations.test_importer import CN_HEADER, code, good_rows, write_csv, write_xlsx
from workflow_app.cli import main
from workflow_app.instances.models import ProcessInstance
from workflow_app.organizations.models import Organization
from workflow_app.services import definition_service


def invoke(app, *args: str):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app), catch_exceptions=False)


def registry_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Organization))


def test_import_orgs_imports_a_good_file(app, demo, session, tmp_path):
    before = registry_count(session)
    result = invoke(app, "import-orgs", str(write_xlsx(tmp_path / "orgs.xlsx", CN_HEADER, good_rows())))
    assert result.exit_code == 0, result.output
    assert "3 rows: 3 valid, 0 rejected; 3 imported" in result.output
    assert "checking rows" in result.output  # the progress bar (stderr is mixed into output here)
    assert registry_count(session) == before + 3


def test_import_orgs_with_bad_rows_imports_nothing_and_writes_the_report(app, demo, session, tmp_path):
    rows = good_rows() + [["坏协会", "123", "社会团体", "学术类", "220100"]]
    report = tmp_path / "rejected.csv"
    before = registry_count(session)
    result = invoke(app, "import-orgs", str(write_csv(tmp_path / "orgs.csv", CN_HEADER, rows)),
                    "--report", str(report))
    assert result.exit_code == 1
    assert "rejected 第5行 row 5 坏协会: 统一社会信用代码“123”校验不通过" in result.output
    assert "nothing imported" in result.output and registry_count(session) == before
    assert report.read_text(encoding="utf-8-sig").splitlines()[1].startswith("5,坏协会,123,")

    result = invoke(app, "import-orgs", str(tmp_path / "orgs.csv"), "--skip-invalid")
    assert result.exit_code == 0 and "3 imported" in result.output
    assert registry_count(session) == before + 3


def test_import_orgs_of_an_unusable_file_exits_2(app, demo, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["foo"], [["bar"]])
    result = invoke(app, "import-orgs", str(path))
    assert result.exit_code == 2 and "required columns missing" in result.output


@pytest.fixture
def stand_in(app, demo):
    definition_service().deploy(read_bundle(DATA / "bulk"), deployed_by="test")


def test_start_zombie_cleanup_from_an_id_file(app, stand_in, session, tmp_path):
    ids = add_organizations(session, 3)
    listing = tmp_path / "ids.txt"
    listing.write_text(f"{ids[0]}\n{session.get(Organization, ids[1]).uscc}\n{code(99)}\n{ids[0]}\n",
                       encoding="utf-8")
    result = invoke(app, "start-zombie-cleanup", "--ids-file", str(listing), "--by", "supervisor_prov")
    assert result.exit_code == 0, result.output
    assert "zombie_cleanup: started 2, skipped 1" in result.output
    assert f"skipped {code(99)}: no such organization" in result.output
    assert f"skipped organization {ids[0]}: duplicate in the list" in result.output
    starters = set(session.scalars(select(ProcessInstance.started_by)))
    assert starters == {"supervisor_prov"}


def test_start_zombie_cleanup_of_the_flagged_organizations(app, stand_in, session):
    result = invoke(app, "start-zombie-cleanup", "--flagged")
    assert result.exit_code == 0, result.output
    flagged = [o for o in session.scalars(select(Organization)) if (o.flags or {}).get("suspected_zombie")
               and o.status.value == "active"]
    assert f"started {len(flagged)}," in result.output
    again = invoke(app, "start-zombie-cleanup", "--flagged")
    assert f"started 0, skipped {len(flagged)}" in again.output


def test_start_zombie_cleanup_needs_exactly_one_source_and_a_deployed_process(app, demo, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["start-zombie-cleanup"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 2 and "exactly one of" in result.output
    result = invoke(app, "start-zombie-cleanup", "--flagged")
    assert result.exit_code == 2 and "no process definition with key 'zombie_cleanup'" in result.output


def test_start_party_building_for_every_uncovered_organization_once(app, demo, session):
    from tests.processes.conftest import process_files
    from workflow_app.organizations.models import OrgStatus, PartyOrgStatus

    definition_service().deploy(process_files("party_building"), deployed_by="test")
    uncovered = {o.id for o in session.scalars(select(Organization).where(
        Organization.status == OrgStatus.ACTIVE, Organization.party_org_status == PartyOrgStatus.NONE))}
    assert uncovered
    result = invoke(app, "start-party-building", "--uncovered", "--by", "party_officer")
    assert result.exit_code == 0, result.output
    assert f"party_building: started {len(uncovered)}, skipped 0" in result.output
    assert "启动 starting cases" in result.output  # the progress bar
    cases = list(session.scalars(select(ProcessInstance).where(ProcessInstance.process_key == "party_building")))
    assert {c.organization_id for c in cases} == uncovered and len(cases) == len(uncovered)
    assert all(c.status.value == "running" for c in cases)
    again = invoke(app, "start-party-building", "--uncovered")
    assert f"started 0, skipped {len(uncovered)}" in again.output  # a second run starts none twice
