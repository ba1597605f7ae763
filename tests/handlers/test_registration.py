"""registration.assess: the limit at the deciding authority, foundations at the province, 一地一会."""

from __future__ import annotations

import pytest

from handlers.registration import chamber_names, chinese_number, promises
from workflow_app.organizations.models import OrgType
from workflow_app.organizations.service import OrganizationService


@pytest.mark.parametrize(("n", "text"), [(5, "五"), (10, "十"), (15, "十五"), (20, "二十"), (60, "六十"), (105, "一百〇五"),
                                         (120, "一百二十")])
def test_periods_are_written_in_chinese_numerals(n, text):
    assert chinese_number(n) == text


def test_local_promises_are_read_from_the_setting():
    assert promises("220100:20, 220102 : 15,bad,229900:0") == {"220100": 20, "220102": 15}
    assert promises("") == promises(None) == {}


def test_a_chamber_goes_by_its_origin_in_full_or_short():
    assert chamber_names("长春市", "浙江省温州市") == {"长春市浙江省温州市商会", "长春市温州市商会", "长春市温州商会"}
    assert "吉林市浙江商会" in chamber_names("吉林市", "浙江省")


def test_the_limit_depends_on_the_deciding_authority(call, app):
    province = call("registration.assess", {"region_code": "220000", "org_type": "foundation"})
    assert (province["limit"], province["text"], province["authority"]) == ("15wd", "十五个工作日", "吉林省民政厅")
    county = call("registration.assess", {"region_code": "220102", "org_type": "private_non_enterprise"})
    assert (county["limit"], county["text"]) == ("60d", "六十日")
    assert county["basis"] == "《民办非企业单位登记管理暂行条例》第十一条"
    app.config["REGISTRATION_PROMISES"] = "220102:20"
    promised = call("registration.assess", {"region_code": "220102", "org_type": "social_group"})
    assert (promised["limit"], promised["text"]) == ("20wd", "二十个工作日")


@pytest.mark.parametrize("region", ["220100", "220102", "229900"])
def test_a_foundation_below_the_province_is_refused(call, region):
    with pytest.raises(ValueError, match="基金会管理条例》第六条"):
        call("registration.assess", {"region_code": region, "org_type": "foundation"})


def test_one_chamber_per_origin_and_city_by_the_registry_flag_or_the_name(call, session):
    service = OrganizationService(session)
    service.create(name="长春市温州商会", org_type=OrgType.SOCIAL_GROUP, category="行业协会商会", region_code="220100")
    service.create(name="吉林市温州商会", org_type=OrgType.SOCIAL_GROUP, category="行业协会商会", region_code="220200")
    session.commit()
    found = call("registration.assess", {"region_code": "220100", "org_type": "social_group",
                                         "is_remote_chamber": True, "chamber_origin": "浙江省温州市"})
    assert len(found["registry_conflicts"]) == 1 and "长春市温州商会" in found["registry_conflicts"][0]
    other = call("registration.assess", {"region_code": "220100", "org_type": "social_group",
                                         "is_remote_chamber": True, "chamber_origin": "云南省昆明市"})
    assert other["registry_conflicts"] == []
