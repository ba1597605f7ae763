"""Uploaded XML is parsed with entities, DTDs and network off, and any DOCTYPE is refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lxml import etree

from workflow_app.definitions import xmlsafe
from workflow_app.definitions.errors import DefinitionInvalid, Problem
from workflow_app.definitions.xmlsafe import parse_xml

DATA = Path(__file__).parent.parent / "data" / "lint"
SECRET = "TOPSECRET-7f3a9c-do-not-leak"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


def rejection(data: bytes, filename: str = "upload.bpmn", **kwargs: int) -> Problem:
    """Parse ``data`` expecting a rejection; return its single problem."""
    with pytest.raises(DefinitionInvalid) as caught:
        parse_xml(data, filename, **kwargs)
    assert caught.value.status == 422
    (problem,) = caught.value.problems
    assert problem.file == filename
    return problem


def xxe_document(secret_file: Path) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret_file}">]>\n'
        f'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>'
    ).encode()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.fixture
def bypass_byte_scan(monkeypatch: pytest.MonkeyPatch) -> list[etree._ElementTree]:
    """Switch off the pre-parse DOCTYPE scan and record every tree lxml builds."""
    trees: list[etree._ElementTree] = []
    real_parse = etree.parse

    def recording_parse(source: object, parser: etree.XMLParser) -> etree._ElementTree:
        tree = real_parse(source, parser)
        trees.append(tree)
        return tree

    monkeypatch.setattr(xmlsafe, "_has_doctype_bytes", lambda data: False)
    monkeypatch.setattr(xmlsafe.etree, "parse", recording_parse)
    return trees


def test_valid_bpmn_parses_into_a_tree() -> None:
    tree = parse_xml((DATA / "registration.bpmn").read_bytes(), "registration.bpmn")
    assert etree.QName(tree.getroot()).localname == "definitions"
    # Comments are kept: the designer's notes survive a round trip through the store.
    assert any(isinstance(node, etree._Comment) for node in tree.getroot().itersiblings(preceding=True))


def test_xxe_file_entity_is_rejected_and_secret_never_appears(secret_file: Path) -> None:
    problem = rejection(xxe_document(secret_file))
    assert "DOCTYPE" in problem.message
    assert SECRET not in str(problem) and SECRET not in repr(problem)


def test_xxe_is_not_resolved_even_when_the_byte_scan_is_bypassed(
    secret_file: Path, bypass_byte_scan: list[etree._ElementTree]
) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        parse_xml(xxe_document(secret_file), "upload.bpmn")
    assert "DOCTYPE" in caught.value.problems[0].message
    assert SECRET not in str(caught.value)
    (tree,) = bypass_byte_scan
    assert SECRET not in etree.tostring(tree, encoding="unicode")


@pytest.mark.parametrize("bypass", [False, True], ids=["byte-scan", "after-parse"])
def test_billion_laughs_is_rejected_quickly(bypass: bool, request: pytest.FixtureRequest) -> None:
    if bypass:
        request.getfixturevalue("bypass_byte_scan")
    started = time.perf_counter()
    problem = rejection(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0
    # Past the byte scan, libxml2's own amplification guard may stop it before our DOCTYPE check.
    assert "DOCTYPE" in problem.message or "amplification" in problem.message


@pytest.mark.parametrize("bypass", [False, True], ids=["byte-scan", "after-parse"])
def test_external_dtd_is_rejected_without_being_loaded(
    bypass: bool, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if bypass:
        request.getfixturevalue("bypass_byte_scan")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak "{SECRET}">')
    data = f'<?xml version="1.0"?>\n<!DOCTYPE d SYSTEM "file://{dtd}">\n<d>&leak;</d>'.encode()
    problem = rejection(data)
    assert "DOCTYPE" in problem.message
    assert SECRET not in str(problem)


def test_network_dtd_is_rejected() -> None:
    problem = rejection(b'<!DOCTYPE d PUBLIC "-//X//DTD X//EN" "http://example.invalid/x.dtd"><d/>')
    assert "DOCTYPE" in problem.message


def test_lowercase_doctype_is_rejected() -> None:
    assert "DOCTYPE" in rejection(b"<!doctype d><d/>").message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_doctype_in_a_wide_encoding_is_rejected(encoding: str) -> None:
    text = f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n<!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>'
    assert "DOCTYPE" in rejection(text.encode(encoding)).message


def test_utf16_document_without_doctype_parses() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><d name="登记"/>'.encode("utf-16")
    assert parse_xml(data, "upload.bpmn").getroot().get("name") == "登记"


def test_oversized_upload_is_rejected_by_size_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an oversized upload reached the parser")

    monkeypatch.setattr(xmlsafe.etree, "parse", must_not_parse)
    monkeypatch.setattr(xmlsafe, "_has_doctype_bytes", must_not_parse)
    data = b"<d>" + b"x" * (50 * 1024 * 1024) + b"</d>"
    problem = rejection(data)
    assert "limit" in problem.message and str(5 * 1024 * 1024) in problem.message


def test_size_limit_can_be_lowered_per_call() -> None:
    assert "limit is 10 bytes" in rejection(b"<definitions/>", max_bytes=10).message


def test_malformed_xml_reports_lxml_message_and_line() -> None:
    problem = rejection(b'<?xml version="1.0"?>\n<d>\n  <task>\n</d>\n')
    assert problem.message.startswith("malformed XML")
    assert "mismatch" in problem.message
    assert problem.line == 4


def test_empty_upload_is_malformed() -> None:
    assert "malformed XML" in rejection(b"").message


def test_invalid_utf8_is_reported_with_its_line() -> None:
    problem = rejection(b'<?xml version="1.0" encoding="UTF-8"?>\n<d>\n\xff\xfe</d>')
    assert "UTF-8" in problem.message
    assert problem.line == 3
