"""`socorg set-uscc`: the national code replaces a provisional one minted here."""

from __future__ import annotations

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from workflow_app.cli import main
from workflow_app.db import unit_of_work
from workflow_app.organizations import uscc
from workflow_app.organizations.models import Organization, OrgType
from workflow_app.organizations.service import OrganizationService


def invoke(app, *args: str):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_set_uscc_enters_the_national_code_and_refuses_a_bad_one(app, demo, session):
    with unit_of_work(session):
        org = OrganizationService(session).create(name="长春市命令测试协会", org_type=OrgType.SOCIAL_GROUP,
                                                  category="科技类", region_code="220100")
    minted, org_id = org.uscc, org.id
    assert org.uscc_provisional
    bad = invoke(app, "set-uscc", str(org_id), minted[:17] + ("1" if minted[17] != "1" else "2"))
    assert bad.exit_code == 1 and "无效" in bad.output
    national = uscc.make("5", "1", "220100", "50871234")
    done = invoke(app, "set-uscc", minted, national)
    assert done.exit_code == 0, done.output
    session.expire_all()
    row = session.scalar(select(Organization).where(Organization.id == org_id))
    assert (row.uscc, row.uscc_provisional) == (national, False)
    assert invoke(app, "set-uscc", "999999", national).exit_code == 1
