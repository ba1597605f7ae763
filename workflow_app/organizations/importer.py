"""Import organizations into the registry from CSV or XLSX (``socorg import-orgs FILE``).

Headers may be Chinese or English (名称/name, 统一社会信用代码/uscc, …; see ``COLUMNS``);
CSV files may be UTF-8 (with or without the BOM Excel writes) or GBK/GB18030 (what Excel
saves on a Chinese Windows). Every row is checked — required values, the USCC's check
digits and that it is a civil-affairs code of the row's type, a known region, enum
values, duplicates within the file and against the registry — before anything is written.
By default a file with any bad row imports nothing; ``skip_invalid`` imports the good
rows. Either way the rows that are written go in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.db import unit_of_work
from workflow_app.directory.models import Region
from workflow_app.exports import safe_row
from workflow_app.organizations import uscc
from workflow_app.organizations.labels import ORG_TYPE_LABELS, parse_bool, parse_enum
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.organizations.service import USCC_KIND

# field → accepted headers (compared after normalising: no spaces, no '*', no "(…)", lower case).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "社会组织名称", "组织名称", "name"),
    "uscc": ("统一社会信用代码", "信用代码", "uscc"),
    "org_type": ("类型", "组织类型", "type", "org_type"),
    "category": ("类别", "业务类别", "category"),
    "region_code": ("登记管理机关区划", "登记管理机关区划代码", "区划", "区划代码", "region", "region_code"),
    "status": ("状态", "登记状态", "status"),
    "party_org_status": ("党组织", "党组织状况", "党组织建设情况", "party_org_status"),
    "charter_party_clause": ("党建入章", "章程载明党建内容", "charter_party_clause"),
    "charity_recognized": ("慈善组织", "认定为慈善组织", "charity_recognized"),
    "residence": ("住所", "residence"),
    "legal_representative": ("法定代表人", "legal_representative"),
    "registered_at": ("登记日期", "成立登记日期", "成立日期", "registered_at"),
    "suspected_zombie": ("疑似僵尸", "疑似僵尸型", "suspected_zombie"),
}
REQUIRED = ("name", "uscc", "org_type", "category", "region_code")
LIMITS = {"name": 128, "category": 32, "residence": 255, "legal_representative": 64}
INSERT_CHUNK = 1000
_HEADER_NOISE = re.compile(r"[\s*＊:：]|（[^）]*）|\([^)]*\)")


class ImportFileError(ValueError):
    """The file cannot be imported at all (unreadable, unknown format, required columns missing)."""


@dataclass
class Rejected:
    """A bad row: its number in the file (the header is row 1), why, and what identifies it."""

    row: int
    reasons: list[str]
    name: str = ""
    uscc: str = ""


@dataclass
class ImportReport:
    """What an import found and did."""

    rows: int = 0
    valid: int = 0
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI."""
        return (f"{self.rows} rows: {self.valid} valid, {len(self.rejected)} rejected; "
                f"{self.imported} imported")


# -- reading ---------------------------------------------------------------------------------


def _normalise(header: object) -> str:
    return _HEADER_NOISE.sub("", str(header or "").replace("\ufeff", "")).lower()


_LOOKUP = {_normalise(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def decode(raw: bytes) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("文件编码无法识别（应为 UTF-8 或 GBK）/ the file is neither UTF-8 nor GBK text")


def _csv_rows(path: Path) -> list[list[Any]]:
    text = decode(path.read_bytes())
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key) for a damaged file
        raise ImportFileError(f"无法读取 Excel 文件 / cannot read the workbook: {exc}") from exc
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_table(path: Path) -> tuple[list[str | None], list[tuple[int, dict[str, Any]]], list[str]]:
    """(field per column, [(row number, {field: raw value})], ignored headers) of a CSV or XLSX file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _xlsx_rows(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        table = _csv_rows(path)
    else:
        raise ImportFileError(f"不支持的文件类型 / unsupported file type {suffix!r}: use .csv or .xlsx")
    # The header is the first row naming at least two known columns (a title line above it is
    # skipped); failing that, the first row with any value, so the error names what is missing.
    filled = [i for i, row in enumerate(table) if any(_cell(v) for v in row)]
    if not filled:
        raise ImportFileError("文件为空 / the file is empty")
    start = next((i for i in filled[:20] if sum(_normalise(v) in _LOOKUP for v in table[i]) >= 2), filled[0])
    fields: list[str | None] = [_LOOKUP.get(_normalise(h)) for h in table[start]]
    ignored = [str(h) for h, f in zip(table[start], fields, strict=True) if f is None and _cell(h)]
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        names = ", ".join(f"{COLUMNS[m][0]}/{COLUMNS[m][-1]}" for m in missing)
        raise ImportFileError(f"缺少必需列 / required columns missing: {names}")
    rows = []
    for index, row in enumerate(table[start + 1:], start=start + 2):
        values = {f: v for f, v in zip(fields, row, strict=False) if f is not None}
        if any(_cell(v) for v in values.values()):
            rows.append((index, values))
    return fields, rows, ignored


def _cell(value: Any) -> str:
    """A cell as trimmed text (Excel numbers like 220100.0 lose their '.0')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\u3000", " ").strip()


# -- checking --------------------------------------------------------------------------------


class _Regions:
    """Region lookup by code or by exact (unique) name."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(select(Region.code, Region.name)).all()
        self.codes = {code for code, _ in rows}
        self.by_name: dict[str, list[str]] = {}
        for code, name in rows:
            self.by_name.setdefault(name, []).append(code)

    def resolve(self, value: str) -> str:
        if value in self.codes:
            return value
        codes = self.by_name.get(value, [])
        if len(codes) == 1:
            return codes[0]
        if len(codes) > 1:
            raise ValueError(f"区划名称“{value}”不唯一，请填写区划代码 / region name {value!r} is ambiguous: use its code")
        raise ValueError(f"区划“{value}”不存在 / unknown region {value!r}")


def _parse_date(value: Any) -> datetime | None:
    if value is None or _cell(value) == "":
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _cell(value)
        match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
        if not match:
            raise ValueError(f"日期“{text}”无法识别 / date {text!r} not understood (use 2020-05-01)")
        day = date(*(int(g) for g in match.groups()))
    return datetime.combine(day, time(9), clock.LOCAL_TZ).astimezone(UTC)


def check_row(values: dict[str, Any], regions: _Regions) -> tuple[dict[str, Any] | None, list[str]]:
    """A row's values ready to insert, or the reasons it cannot be imported."""
    reasons: list[str] = []
    text = {name: _cell(values.get(name)) for name in COLUMNS}
    for name in REQUIRED:
        if not text[name]:
            reasons.append(f"{COLUMNS[name][0]}为空 / {COLUMNS[name][-1]} is empty")
    for name, limit in LIMITS.items():
        if len(text[name]) > limit:
            reasons.append(f"{COLUMNS[name][0]}超过{limit}字 / {name} longer than {limit}")
    row: dict[str, Any] = {"name": text["name"], "category": text["category"],
                           "residence": text["residence"] or None,
                           "legal_representative": text["legal_representative"] or None}

    def parse(name: str, parser: Callable[[str], Any], default: Any = None) -> Any:
        if not text[name]:
            return default
        try:
            return parser(values.get(name) if name in ("charter_party_clause", "charity_recognized", "registered_at",
                                                       "suspected_zombie") else text[name])
        except ValueError as exc:
            reasons.append(f"{COLUMNS[name][0]}：{exc}")
            return default

    org_type = parse("org_type", lambda v: parse_enum(OrgType, v))
    row["org_type"] = org_type
    row["status"] = parse("status", lambda v: parse_enum(OrgStatus, v), OrgStatus.ACTIVE)
    row["party_org_status"] = parse("party_org_status", lambda v: parse_enum(PartyOrgStatus, v),
                                    PartyOrgStatus.NONE)
    row["charter_party_clause"] = parse("charter_party_clause", parse_bool, False)
    row["charity_recognized"] = parse("charity_recognized", parse_bool, False)
    row["registered_at"] = parse("registered_at", _parse_date)
    row["region_code"] = parse("region_code", regions.resolve)
    zombie = parse("suspected_zombie", parse_bool, False)
    row["flags"] = {"suspected_zombie": True} if zombie else {}

    code = text["uscc"].upper()
    row["uscc"] = code
    if code:
        if not uscc.is_valid(code):
            reasons.append(f"统一社会信用代码“{code}”校验不通过 / USCC {code!r} is not valid (length, characters "
                           "or check digits)")
        elif code[0] != uscc.CIVIL_AFFAIRS:
            reasons.append(f"统一社会信用代码“{code}”不是民政部门登记的代码（应以5开头）/ not a civil-affairs code")
        elif org_type is not None and code[1] != USCC_KIND[org_type]:
            reasons.append(f"统一社会信用代码第2位“{code[1]}”与类型“{ORG_TYPE_LABELS[org_type]}”不符 / "
                           f"the code's kind {code[1]!r} does not match the type {org_type.value}")
    return (None if reasons else row), reasons


def _existing(session: Session, column: Any, values: Sequence[Any], *extra: Any) -> set[Any]:
    found: set[Any] = set()
    for start in range(0, len(values), 500):
        found.update(session.execute(select(*extra, column).where(column.in_(values[start:start + 500]))).all())
    return found


def check_rows(session: Session, rows: list[tuple[int, dict[str, Any]]],
               progress: Callable[[int], None] | None = None) -> tuple[list[tuple[int, dict[str, Any]]], list[Rejected]]:
    """Split rows into those to import and the rejected ones (with every reason of each)."""
    regions = _Regions(session)
    checked: list[tuple[int, dict[str, Any] | None, list[str], dict[str, Any]]] = []
    for number, values in rows:
        row, reasons = check_row(values, regions)
        checked.append((number, row, reasons, values))
        if progress is not None:
            progress(1)
    codes = sorted({_cell(v.get("uscc")).upper() for _, _, _, v in checked} - {""})
    codes_in_db = {code for (code,) in _existing(session, Organization.uscc, codes)}
    names = sorted({_cell(v.get("name")) for _, _, _, v in checked} - {""})
    names_in_db = {(name, region) for region, name in _existing(session, Organization.name, names,
                                                                 Organization.region_code)}
    seen_codes: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    good: list[tuple[int, dict[str, Any]]] = []
    rejected: list[Rejected] = []
    for number, row, reasons, values in checked:
        code = _cell(values.get("uscc")).upper()
        name = _cell(values.get("name"))
        if code in codes_in_db:
            reasons.append(f"统一社会信用代码已在登记库中 / USCC {code} is already in the registry")
        elif code and code in seen_codes:
            reasons.append(f"统一社会信用代码与第{seen_codes[code]}行重复 / same USCC as row {seen_codes[code]}")
        region = row["region_code"] if row else None
        if region and (name, region) in names_in_db:
            reasons.append(f"该区划已有同名社会组织 / an organization named {name!r} is already registered there")
        elif region and (name, region) in seen_names:
            reasons.append(f"名称与第{seen_names[(name, region)]}行重复 / same name as row {seen_names[(name, region)]}")
        if code:
            seen_codes.setdefault(code, number)
        if region:
            seen_names.setdefault((name, region), number)
        if reasons or row is None:
            rejected.append(Rejected(number, reasons, name=name, uscc=code))
        else:
            good.append((number, row))
    return good, rejected


# -- importing -------------------------------------------------------------------------------


def import_file(session: Session, path: Path | str, *, skip_invalid: bool = False,
                progress: Callable[[int], None] | None = None,
                on_rows: Callable[[int], None] | None = None) -> ImportReport:
    """Check every row of ``path``; import all of them, or (``skip_invalid``) the good ones, in one transaction."""
    path = Path(path)
    _, rows, ignored = read_table(path)
    if on_rows is not None:
        on_rows(len(rows))
    report = ImportReport(rows=len(rows), ignored_columns=ignored)
    good, report.rejected = check_rows(session, rows, progress)
    session.rollback()  # end the read snapshot; the write below starts from the latest state
    report.valid = len(good)
    if report.rejected and not skip_invalid:
        return report
    if good:
        report.imported = _insert(session, [row for _, row in good])
    return report


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    now = clock.now()
    try:
        with unit_of_work(session):
            for start in range(0, len(rows), INSERT_CHUNK):
                chunk = [{**row, "created_at": now, "updated_at": now} for row in rows[start:start + INSERT_CHUNK]]
                session.execute(insert(Organization), chunk)
    except IntegrityError as exc:
        # Someone entered one of these codes since the check: nothing of this file was written.
        raise ImportFileError(f"导入时与登记库冲突，未导入任何数据 / conflict with the registry while importing, "
                              f"nothing was imported: {exc.orig}") from exc
    return len(rows)


def write_report(path: Path | str, rejected: Sequence[Rejected]) -> None:
    """The rejected rows as CSV (UTF-8 with BOM, so Excel opens it right; text cells never run as formulas)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["行号 row", "名称 name", "统一社会信用代码 uscc", "原因 reasons"])
        for item in rejected:
            writer.writerow(safe_row([item.row, item.name, item.uscc, "；".join(item.reasons)]))


def iter_report_lines(rejected: Sequence[Rejected]) -> Iterator[str]:
    """Printable lines: ``第 5 行 row 5 (name): reason; reason``."""
    for item in rejected:
        label = f" {item.name}" if item.name else ""
        yield f"第{item.row}行 row {item.row}{label}: " + "；".join(item.reasons)
