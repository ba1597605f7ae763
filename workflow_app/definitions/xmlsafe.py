"""Parse uploaded BPMN/DMN XML without trusting it.

Designers upload these files, so they are untrusted input: entities, DTDs and network
access are off, any DOCTYPE is refused outright (no legitimate BPMN or DMN needs one),
and the size is bounded before the parser sees a byte. SpiffWorkflow calls lxml with its
defaults, so every upload goes through here and the resulting tree is handed to Spiff.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import NoReturn

from lxml import etree

from workflow_app.definitions.errors import DefinitionInvalid, Problem

MAX_XML_BYTES = 5 * 1024 * 1024

_DOCTYPE = re.compile(rb"<!\s*doctype", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']"""
)
_DOCTYPE_MESSAGE = "a DOCTYPE (DTD) is not allowed in BPMN/DMN files; remove the <!DOCTYPE ...> declaration"
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def parse_xml(data: bytes, filename: str, max_bytes: int = MAX_XML_BYTES) -> etree._ElementTree:
    """Parse untrusted XML bytes into a tree, or raise DefinitionInvalid naming the file."""
    if len(data) > max_bytes:
        _reject(filename, f"file is {len(data)} bytes; the limit is {max_bytes} bytes")
    if _has_doctype_bytes(data):
        _reject(filename, _DOCTYPE_MESSAGE)
    encoding_problem = _check_utf8(data, filename)
    if encoding_problem is not None:
        raise DefinitionInvalid([encoding_problem])

    try:
        tree = etree.parse(io.BytesIO(data), _new_parser())
    except etree.XMLSyntaxError as exc:
        _reject(filename, f"malformed XML: {exc.msg}", line=exc.lineno or None)

    # An encoding the byte scan cannot see through (EBCDIC, UTF-7 ...) could still carry a
    # DOCTYPE; the parser did not resolve or load anything, so refusing now is still safe.
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        _reject(filename, _DOCTYPE_MESSAGE)
    return tree


def _new_parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers keep per-document state and are not meant to be
    # shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def _has_doctype_bytes(data: bytes) -> bool:
    # Dropping NUL bytes turns UTF-16/UTF-32 encoded ASCII back into plain ASCII, so the
    # same scan also catches "<!DOCTYPE" written in a wide encoding.
    return _DOCTYPE.search(data) is not None or _DOCTYPE.search(data.replace(b"\x00", b"")) is not None


def _check_utf8(data: bytes, filename: str) -> Problem | None:
    """Return a problem when a document that is (or says it is) UTF-8 does not decode as UTF-8."""
    if data.startswith(_WIDE_BOMS) or b"\x00" in data[:4]:
        return None  # a wide encoding; lxml detects it from the BOM / first bytes
    match = _XML_DECL_ENCODING.match(data)
    declared = match.group(1).decode("ascii").lower() if match else "utf-8"
    if declared not in ("utf-8", "utf8"):
        return None  # another declared encoding: lxml decodes it or reports a syntax error
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(filename, f"file is not valid UTF-8 (bad byte at offset {exc.start})", line=line)
    return None


def _reject(filename: str, message: str, line: int | None = None) -> NoReturn:
    raise DefinitionInvalid([Problem(filename, message, line=line)])
