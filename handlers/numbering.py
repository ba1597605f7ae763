"""``number.next``: the next number of a series for the case's authority and the current year."""

from __future__ import annotations

from typing import Any

from handlers import HandlerContext
from handlers.support import fail, handler, text
from workflow_app.numbering import service as numbering


@handler("number.next")
def next_number(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Hand out the next number (文号 ``吉民社登字〔2026〕15号`` with a prefix); never repeats, even concurrently."""
    op = "number.next"
    series = text(params, "series", op, max_length=64)
    try:
        numbering.check_series(series)
    except ValueError as exc:
        raise fail(op, "序列名称无效", str(exc)) from None
    prefix = text(params, "prefix", op, required=False, max_length=64, default="")
    if not context.instance.region_code:
        raise fail(op, "案件没有所属区划，无法编号", "the case has no region: no authority to number for")
    issued = numbering.issue(context.session, series, context.instance.region_code, prefix=prefix)
    return {"number": issued.number, "seq": issued.seq, "year": issued.year}
