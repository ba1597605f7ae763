"""Static tables behind the demo data: Jilin's regions, the lane groups, the demo users, name parts.

Plain data only, so it can be read and corrected without touching the loader in
:mod:`workflow_app.demo`.
"""

from __future__ import annotations

from workflow_app.web.labels import GROUP_LABELS

DEMO_PASSWORD = "demo12345"
EMAIL_DOMAIN = "demo.socorg.local"

PROVINCE = ("220000", "吉林省")

# (code, name, counties as (code, name)); codes are GB/T 2260 (民政部 行政区划代码). All 60
# county-level units of 吉林省: 21 市辖区, 20 县级市, 16 县 and 3 自治县.
CITIES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("220100", "长春市", (
        ("220102", "南关区"), ("220103", "宽城区"), ("220104", "朝阳区"), ("220105", "二道区"),
        ("220106", "绿园区"), ("220112", "双阳区"), ("220113", "九台区"), ("220122", "农安县"),
        ("220182", "榆树市"), ("220183", "德惠市"),
        # Transferred from 四平市 in 2020, when its code changed from 220381.
        ("220184", "公主岭市"),
    )),
    ("220200", "吉林市", (
        ("220202", "昌邑区"), ("220203", "龙潭区"), ("220204", "船营区"), ("220211", "丰满区"),
        ("220221", "永吉县"), ("220281", "蛟河市"), ("220282", "桦甸市"), ("220283", "舒兰市"),
        ("220284", "磐石市"),
    )),
    ("220300", "四平市", (
        ("220302", "铁西区"), ("220303", "铁东区"), ("220322", "梨树县"), ("220323", "伊通满族自治县"),
        ("220382", "双辽市"),
    )),
    ("220400", "辽源市", (("220402", "龙山区"), ("220403", "西安区"), ("220421", "东丰县"), ("220422", "东辽县"))),
    ("220500", "通化市", (
        ("220502", "东昌区"), ("220503", "二道江区"), ("220521", "通化县"), ("220523", "辉南县"),
        ("220524", "柳河县"), ("220581", "梅河口市"), ("220582", "集安市"),
    )),
    ("220600", "白山市", (
        ("220602", "浑江区"), ("220605", "江源区"), ("220621", "抚松县"), ("220622", "靖宇县"),
        ("220623", "长白朝鲜族自治县"), ("220681", "临江市"),
    )),
    ("220700", "松原市", (
        ("220702", "宁江区"), ("220721", "前郭尔罗斯蒙古族自治县"), ("220722", "长岭县"), ("220723", "乾安县"),
        ("220781", "扶余市"),
    )),
    ("220800", "白城市", (
        ("220802", "洮北区"), ("220821", "镇赉县"), ("220822", "通榆县"), ("220881", "洮南市"), ("220882", "大安市"),
    )),
    ("222400", "延边朝鲜族自治州", (
        ("222401", "延吉市"), ("222402", "图们市"), ("222403", "敦化市"), ("222404", "珲春市"),
        ("222405", "龙井市"), ("222406", "和龙市"), ("222424", "汪清县"), ("222426", "安图县"),
    )),
    # 长白山管委会 is a provincial management committee, not an administrative division, so
    # GB/T 2260 gives it no code; 229900 is our stand-in, outside the range of real Jilin
    # codes. Its three zones (池北/池西/池南) have no codes either, hence no counties here.
    ("229900", "长白山管委会", ()),
)

# The short forms organizations use in their names (民政 registers "延边州…", not the full title).
SHORT_NAMES = {
    "222400": "延边州",
    "229900": "长白山",
    "220323": "伊通县",
    "220721": "前郭县",
    "220623": "长白县",
}

# Where an address names a region differently from its registry name.
ADDRESS_NAMES = {"229900": "长白山保护开发区池北区"}

# Bigger cities register more organizations; weights follow population roughly.
CITY_WEIGHTS = {
    "220100": 30, "220200": 16, "220300": 8, "220400": 4, "220500": 8,
    "220600": 5, "220700": 8, "220800": 6, "222400": 12, "229900": 1,
}

# BPMN lane names and their Chinese titles: the pages' one map (workflow_app.web.labels).
GROUPS = tuple(GROUP_LABELS.items())

# (username, display name, role, groups, region code) — the users API.md promises.
USERS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("applicant", "王雪梅（长春市软件行业协会）", "applicant", ("applicant",), "220100"),
    ("window_prov", "李娜（省民政厅受理窗口）", "caseworker", ("window",), "220000"),
    ("reviewer_prov", "张伟（省民政厅审核）", "caseworker", ("reviewer",), "220000"),
    ("approver_prov", "刘建国（省民政厅审批）", "caseworker", ("approver",), "220000"),
    ("supervisor_prov", "陈志强（省民政厅监督）", "supervisor", ("supervisor",), "220000"),
    ("window_cc", "赵丽（长春市民政局受理窗口）", "caseworker", ("window",), "220100"),
    ("reviewer_cc", "孙磊（长春市民政局审核）", "caseworker", ("reviewer",), "220100"),
    ("approver_cc", "周海燕（长春市民政局审批）", "caseworker", ("approver",), "220100"),
    ("supervisor_cc", "吴国庆（长春市民政局监督）", "supervisor", ("supervisor",), "220100"),
    ("party_officer", "杨春雷（党建工作人员）", "caseworker", ("party_officer",), "220000"),
    ("party_committee", "郑立新（社会组织党委）", "caseworker", ("party_committee",), "220000"),
    ("inspector", "金哲（执法核查）", "caseworker", ("inspector",), "220000"),
    ("designer", "高文博（流程设计）", "designer", (), "220000"),
    ("admin", "马晓东（系统管理员）", "admin", (), "220000"),
)

# Staff of every city-level region (prefecture) in every staff lane, so that a case of an
# organization of any prefecture can be worked end to end: username = lane + "_" + key.
CITY_USER_KEYS = {
    "220100": "cc", "220200": "jl", "220300": "sp", "220400": "ly", "220500": "th",
    "220600": "bs", "220700": "sy", "220800": "bc", "222400": "yb", "229900": "cbs",
}
# (lane, role, what the person does, in the display name).
STAFF_LANES = (
    ("window", "caseworker", "受理窗口"),
    ("reviewer", "caseworker", "审核"),
    ("approver", "caseworker", "审批"),
    ("supervisor", "supervisor", "监督"),
    ("party_officer", "caseworker", "党建工作人员"),
    ("party_committee", "caseworker", "社会组织综合党委"),
    ("inspector", "caseworker", "执法核查"),
)


def _person(n: int, taken: set[str]) -> str:
    """The ``n``-th generated person's name, its surname moved on while the name is ``taken`` (never two
    people of one name: 刘建国 was once both approver_prov and supervisor_cbs); the name is then taken."""
    shift = 0
    while True:
        person = SURNAMES[(n * 7 + shift) % len(SURNAMES)] + GIVEN_NAMES[(n * 11 + 3) % len(GIVEN_NAMES)]
        if person not in taken:
            taken.add(person)
            return person
        shift += 1


def city_staff(taken: set[str]) -> tuple[tuple[str, str, str, tuple[str, ...], str], ...]:
    """The generated staff users of every prefecture and lane that :data:`USERS` does not already name
    (``taken``: the people's names in use, added to)."""
    named = {row[0] for row in USERS}
    cities = {code: name for code, name, _ in CITIES}
    rows = []
    for index, (code, key) in enumerate(CITY_USER_KEYS.items()):
        office = cities[code] if code == "229900" else f"{cities[code]}民政局"
        for lane_index, (lane, role, duty) in enumerate(STAFF_LANES):
            username = f"{lane}_{key}"
            if username in named:
                continue
            n = index * len(STAFF_LANES) + lane_index
            person = _person(n, taken)
            where = f"{cities[code]}{duty}" if lane == "party_committee" else f"{office}{duty}"
            rows.append((username, f"{person}（{where}）", role, (lane,), code))
    return tuple(rows)


# The applicant's organization, always the first demo organization.
APPLICANT_ORG = {
    "name": "长春市软件行业协会",
    "category": "行业协会商会",
    "region_code": "220100",
    "residence": "吉林省长春市朝阳区人民大街5688号",
    "legal_representative": "王雪梅",
}

# 业务主管单位 by category. 行业协会商会, 科技类, 公益慈善类 and 城乡社区服务类 register directly (the 2016
# reform of the registration system; 行业协会商会 are also decoupled from their former sponsors): they have
# none. The others keep one, named at the organization's level: (city or county unit, provincial unit).
SPONSOR_UNITS = {
    "学术类": ("科学技术协会", "科学技术协会"),
    "文化类": ("文化广电和旅游局", "文化和旅游厅"),
    "体育类": ("体育局", "体育局"),
    "教育类": ("教育局", "教育厅"),
}


def sponsor_unit(category: str, place_prefix: str, *, at_province: bool) -> str | None:
    """The demo 业务主管单位 of an organization of ``category`` registered at ``place_prefix`` (None: none)."""
    units = SPONSOR_UNITS.get(category)
    if units is None:
        return None
    return place_prefix + units[1 if at_province else 0]


# (category, weight) per organization type; 行业协会商会 exist only as 社会团体.
SOCIAL_GROUP_CATEGORIES = (
    ("行业协会商会", 32), ("科技类", 10), ("公益慈善类", 10), ("城乡社区服务类", 8),
    ("学术类", 12), ("文化类", 12), ("体育类", 12), ("教育类", 4),
)
PRIVATE_NON_ENTERPRISE_CATEGORIES = (
    ("科技类", 8), ("公益慈善类", 14), ("城乡社区服务类", 30), ("学术类", 4),
    ("文化类", 10), ("体育类", 10), ("教育类", 24),
)
FOUNDATION_CATEGORIES = (("公益慈善类", 60), ("教育类", 20), ("文化类", 8), ("科技类", 6), ("体育类", 6))

# Name stems (field + legal-form suffix) by category.
SOCIAL_GROUP_STEMS = {
    "行业协会商会": (
        "软件行业协会", "汽车零部件行业协会", "物流与采购联合会", "餐饮行业协会", "人参产业协会",
        "建筑业协会", "电子商务协会", "旅游协会", "食品工业协会", "中小企业促进会", "粮食行业协会",
        "家政服务业协会", "农产品加工业协会", "木业商会", "服装商会", "房地产业协会", "物业管理协会",
        "美容美发行业协会", "酒店行业协会", "冰雪产业协会",
    ),
    "科技类": (
        "人工智能学会", "计算机学会", "农学会", "科普志愿者协会", "光学学会", "生物技术研究会",
        "农业科技推广协会", "汽车工程学会", "环境科学学会",
    ),
    "公益慈善类": ("志愿者联合会", "助残志愿者协会", "慈善促进会", "关爱老年人协会", "义工联合会"),
    "城乡社区服务类": ("社区社会组织联合会", "老年人协会", "红白理事会联合会", "养老服务业协会"),
    "学术类": (
        "历史学会", "经济学会", "社会学学会", "心理学会", "地方志研究会", "朝鲜语学会", "满族文化研究会",
        "统计学会", "红色文化研究会",
    ),
    "文化类": (
        "书法家协会", "摄影家协会", "二人转艺术研究会", "收藏家协会", "诗词学会", "民间文艺家协会",
        "朝鲜族民俗文化研究会", "剪纸艺术协会",
    ),
    "体育类": (
        "冰雪运动协会", "足球协会", "围棋协会", "马拉松运动协会", "滑雪协会", "登山户外运动协会",
        "太极拳协会", "乒乓球协会", "钓鱼协会", "健身气功协会",
    ),
    "教育类": ("教育学会", "民办教育协会", "家庭教育研究会", "职业教育促进会"),
}
PRIVATE_NON_ENTERPRISE_STEMS = {
    "科技类": ("科技研究院", "技术研究院", "生态环境研究院", "科技服务中心"),
    "公益慈善类": ("公益服务中心", "助残服务中心", "青少年发展服务中心", "儿童关爱服务中心"),
    "城乡社区服务类": (
        "社区服务中心", "居家养老服务中心", "社会工作服务中心", "社区服务社", "邻里互助服务社",
        "养老服务中心", "康复医院", "中医医院",
    ),
    "学术类": ("经济研究院", "社会发展研究院"),
    "文化类": ("文化艺术中心", "非遗传承中心", "书画艺术中心"),
    "体育类": ("冰雪运动中心", "青少年体育训练中心", "围棋学校"),
    "教育类": ("职业技能培训学校", "艺术培训学校", "外国语学校", "早期教育中心"),
}
FOUNDATION_STEMS = {
    "公益慈善类": ("慈善基金会", "青少年发展基金会", "见义勇为基金会", "扶贫开发基金会", "助残基金会"),
    "教育类": ("教育基金会", "助学基金会", "教育发展基金会"),
    "文化类": ("文化发展基金会",),
    "科技类": ("科技创新基金会",),
    "体育类": ("体育发展基金会",),
}

# Trade names (字号): 民办非企业单位 and many 基金会 carry one; 社会团体 usually do not.
TRADE_NAMES = (
    "朝阳", "阳光", "启明", "爱心", "康乐", "晨曦", "益民", "同心", "春晖", "长青", "彩虹", "希望",
    "福寿", "安康", "汇智", "博雅", "新星", "暖阳", "德馨", "善行", "乐龄", "惠民", "星光", "北国",
    "天成", "向日葵", "雪绒花", "松花江", "长白", "金达莱",
)

# Home regions of 异地商会 (chambers of commerce of people from elsewhere).
HOME_REGIONS = (
    "浙江", "福建", "江苏", "山东", "河南", "河北", "湖南", "四川", "广东", "江西", "安徽",
    "温州", "泉州", "莆田", "台州", "黑龙江", "辽宁", "重庆",
)

STREETS = (
    "人民大街", "解放大路", "自由大路", "西安大路", "亚泰大街", "长江路", "黄河路", "松江路",
    "重庆路", "建设街", "光明路", "新华路", "文化街", "中华路", "胜利街", "繁荣路", "友谊路",
    "青年路", "民主街", "和平大街",
)

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗", "于", "董", "金", "崔", "朴", "姜", "韩",
)
GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "桂英", "建华", "志强", "海燕", "文博", "春雷", "玉兰", "凤霞", "国庆", "建国", "立新",
    "晓东", "雪梅", "红梅", "东升", "丽华", "永胜", "淑珍", "成哲", "英爱",
)

# Keys for the five situations of a "zombie" organization (PROCESSES.md, zombie_cleanup):
# no 年检/年报 two years running; no activity in the year after registration; none in the
# charter's scope since 2019; unreachable; internal governance deadlocked.
ZOMBIE_SITUATIONS = (
    "no_annual_report_2y",
    "inactive_after_registration",
    "inactive_since_2019",
    "unreachable",
    "governance_deadlock",
)

def county_supervisors(taken: set[str]) -> tuple[tuple[str, str, str, tuple[str, ...], str], ...]:
    """A supervisor of every county-level region, ``supervisor_<code>``: a county's 民政局 fills its yearly
    community-organization report (annual_report's ``fill_report`` lies in the unit's supervisor lane) and is
    the first rung of the escalation ladder for the tasks of its region (``taken``: as for :func:`city_staff`)."""
    first = len(CITY_USER_KEYS) * len(STAFF_LANES)  # the generated names go on after the prefectures' staff
    counties = [county for _city, _city_name, in_city in CITIES for county in in_city]
    return tuple((f"supervisor_{code}", f"{_person(first + index, taken)}（{name}民政局监督）", "supervisor",
                  ("supervisor",), code) for index, (code, name) in enumerate(counties))


def _all_staff() -> tuple[tuple[str, str, str, tuple[str, ...], str], ...]:
    taken = {display.split("（")[0] for _user, display, *_rest in USERS}
    return USERS + city_staff(taken) + county_supervisors(taken)


ALL_STAFF = _all_staff()
