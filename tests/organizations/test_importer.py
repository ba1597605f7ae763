"""Importing the registry from CSV/XLSX: headers in either language, encodings, every row checked, all or nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflow_app.organizations import importer, uscc
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus

CN_HEADER = ["名称", "统一社会信用代码", "类型", "类别", "登记管理机关区划", "状态", "党组织", "党建入章", "住所",
             "法定代表人", "登记日期", "疑似僵尸"]
EN_HEADER = ["name", "uscc", "type", "category", "region", "status", "party_org_status", "charter_party_clause",
             "residence", "legal_representative", "registered_at", "suspected_zombie"]


def code(n: int, kind: str = "1", region: str = "220100") -> str:
    return uscc.make("5", kind, region, f"TT{n:06d}")


def good_rows() -> list[list[object]]:
    return [
        ["长春市导入测试协会", code(1), "社会团体", "学术类", "220100", "正常", "单独组建", "是", "长春市人民大街1号",
         "张三", "2019-05-06", "否"],
        ["吉林省导入测试基金会", code(2, "3", "220000"), "基金会", "公益慈善类", "吉林省", "active", "none", "false",
         "", "李四", "2020/1/2", ""],
        ["延吉市导入测试服务中心", code(3, "2", "222401"), "民办非企业单位", "城乡社区服务类", "延吉市", "注销",
         "党建工作指导员", "1", "", "", "", "是"],
    ]


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], *, title: str | None = None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def registry_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Organization))


def test_a_good_csv_with_chinese_headers_is_imported(demo, session, tmp_path):
    before = registry_count(session)
    report = importer.import_file(session, write_csv(tmp_path / "orgs.csv", CN_HEADER, good_rows()))
    assert (report.rows, report.valid, report.imported, report.rejected) == (3, 3, 3, [])
    assert registry_count(session) == before + 3
    org = session.scalar(select(Organization).where(Organization.uscc == code(1)))
    assert (org.name, org.org_type, org.category, org.region_code, org.status, org.party_org_status,
            org.charter_party_clause, org.residence, org.legal_representative, org.flags) == (
        "长春市导入测试协会", OrgType.SOCIAL_GROUP, "学术类", "220100", OrgStatus.ACTIVE, PartyOrgStatus.SINGLE,
        True, "长春市人民大街1号", "张三", {})
    assert org.registered_at.isoformat() == "2019-05-06T01:00:00+00:00"  # 09:00 Beijing
    foundation = session.scalar(select(Organization).where(Organization.uscc == code(2, "3", "220000")))
    assert (foundation.region_code, foundation.residence) == ("220000", None)  # region given by name
    center = session.scalar(select(Organization).where(Organization.uscc == code(3, "2", "222401")))
    assert (center.status, center.party_org_status, center.flags) == (
        OrgStatus.DEREGISTERED, PartyOrgStatus.INSTRUCTOR, {"suspected_zombie": True})


def test_a_gbk_csv_from_excel_is_read(demo, session, tmp_path):
    report = importer.import_file(session, write_csv(tmp_path / "gbk.csv", CN_HEADER, good_rows(), "gbk"))
    assert report.imported == 3
    assert session.scalar(select(Organization.name).where(Organization.uscc == code(1))) == "长春市导入测试协会"


def test_an_xlsx_with_english_headers_and_a_title_row_is_imported(demo, session, tmp_path):
    rows = good_rows()
    rows[0][4] = 220100  # Excel keeps codes as numbers
    rows[0][10] = __import__("datetime").datetime(2019, 5, 6)
    path = write_xlsx(tmp_path / "orgs.xlsx", [h.upper() for h in EN_HEADER], rows, title="社会组织名录")
    report = importer.import_file(session, path)
    assert report.imported == 3 and not report.rejected
    assert session.scalar(select(Organization.region_code).where(Organization.uscc == code(1))) == "220100"


def test_every_bad_row_is_reported_with_all_its_reasons_and_nothing_is_imported(demo, session, tmp_path):
    existing = session.scalar(select(Organization).limit(1))
    rows = good_rows() + [
        ["", "51220100TT0000099", "社会团体", "", "220100"],  # row 5
        ["坏代码协会", code(5)[:-1] + ("0" if code(5)[-1] != "0" else "1"), "社团", "学术类", "999999"],  # row 6
        ["企业冒充", uscc.make("9", "1", "220100", "MA000000"), "公司", "学术类", "朝阳区", "存在", "很多", "也许"],  # row 7
        ["类型不符协会", code(8, "2"), "社会团体", "学术类", "220100"],  # row 8
        ["长春市导入测试协会", code(1), "社会团体", "学术类", "220100"],  # row 9: duplicate of row 2
        [existing.name, existing.uscc, "社会团体", "学术类", existing.region_code],  # row 10: in the registry
        ["日期坏协会", code(11), "社会团体", "学术类", "220100", "", "", "", "", "", "去年"],  # row 11
    ]
    before = registry_count(session)
    report = importer.import_file(session, write_csv(tmp_path / "bad.csv", CN_HEADER, rows))
    assert report.imported == 0 and registry_count(session) == before
    reasons = {r.row: " | ".join(r.reasons) for r in report.rejected}
    assert sorted(reasons) == [5, 6, 7, 8, 9, 10, 11]
    assert "名称为空" in reasons[5] and "类别为空" in reasons[5] and "校验不通过" in reasons[5]
    assert "校验不通过" in reasons[6] and "区划“999999”不存在" in reasons[6]
    assert all(s in reasons[7] for s in ("不是民政部门登记的代码", "类型：", "状态：", "党组织：", "党建入章："))
    assert "与类型“社会团体”不符" in reasons[8]
    assert "与第2行重复" in reasons[9] and "名称与第2行重复" in reasons[9]
    assert "已在登记库中" in reasons[10] and "已有同名社会组织" in reasons[10]
    assert "日期“去年”无法识别" in reasons[11]
    assert report.valid == 3


def test_skip_invalid_imports_the_good_rows(demo, session, tmp_path):
    rows = good_rows() + [["", "", "", "", ""] + ["x"]]
    before = registry_count(session)
    report = importer.import_file(session, write_csv(tmp_path / "mixed.csv", CN_HEADER, rows), skip_invalid=True)
    assert (report.imported, [r.row for r in report.rejected]) == (3, [5])
    assert registry_count(session) == before + 3


def test_a_file_without_the_required_columns_is_refused(demo, session, tmp_path):
    path = write_csv(tmp_path / "partial.csv", ["名称", "住所", "备注"], [["甲", "乙", "丙"]])
    with pytest.raises(importer.ImportFileError, match="统一社会信用代码/uscc.*类型/org_type.*类别/category"):
        importer.import_file(session, path)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "文件为空"),
    ("latin.csv", "名称".encode("utf-16"), "required columns|编码"),
    ("orgs.ods", b"x", "unsupported file type"),
    ("broken.xlsx", b"not a zip", "cannot read the workbook"),
])
def test_unreadable_files_are_refused(demo, session, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(importer.ImportFileError, match=message):
        importer.import_file(session, path)


def test_a_code_entered_meanwhile_rolls_the_whole_file_back(demo, session, tmp_path, monkeypatch):
    from workflow_app.db import unit_of_work

    real_check = importer.check_rows

    def check_then_someone_else_inserts(sess, rows, progress=None):
        result = real_check(sess, rows, progress)
        with unit_of_work(sess):
            sess.add(Organization(name="抢先", uscc=code(3, "2", "222401"), org_type=OrgType.SOCIAL_GROUP,
                                  category="学术类", region_code="220100", status=OrgStatus.ACTIVE,
                                  party_org_status=PartyOrgStatus.NONE))
        return result

    monkeypatch.setattr(importer, "check_rows", check_then_someone_else_inserts)
    before = registry_count(session)
    with pytest.raises(importer.ImportFileError, match="nothing was imported"):
        importer.import_file(session, write_csv(tmp_path / "race.csv", CN_HEADER, good_rows()))
    assert registry_count(session) == before + 1  # only the other writer's row


def test_the_report_file_lists_rows_and_reasons(tmp_path):
    path = tmp_path / "report.csv"
    importer.write_report(path, [importer.Rejected(7, ["名称为空 / name is empty", "类别为空"], "", "X")])
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[1] == "7,,X,名称为空 / name is empty；类别为空"


def test_the_charity_recognition_column_is_imported_and_defaults_to_no(demo, session, tmp_path):
    header = [*CN_HEADER, "认定为慈善组织"]
    rows = [row + [flag] for row, flag in zip(good_rows(), ["否", "是", ""], strict=True)]
    report = importer.import_file(session, write_csv(tmp_path / "orgs.csv", header, rows))
    assert report.imported == 3
    recognized = dict(session.execute(select(Organization.uscc, Organization.charity_recognized)
                                      .where(Organization.uscc.in_([code(1), code(2, "3", "220000"),
                                                                    code(3, "2", "222401")]))).all())
    assert recognized == {code(1): False, code(2, "3", "220000"): True, code(3, "2", "222401"): False}
