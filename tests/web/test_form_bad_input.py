"""A page form's JSON field never hands a lone surrogate or a 5,000-digit number to the services."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from tests.web.test_session import csrf_from, login
from workflow_app.web import schema_form

SCHEMA = {"type": "object", "properties": {"extra": {"type": "object"}, "name": {"type": "string"}}}


@pytest.mark.parametrize("typed", ['{"a": "\\ud800"}', '{"\\udc00": 1}', '{"a": ' + "9" * 5000 + "}",
                                   '{"a": ' + "9" * 4000 + "}", '{"a": NaN}'])
def test_unstorable_json_stays_text_for_the_schema_to_refuse(typed):
    data, shown = schema_form.parse(schema_form.build(SCHEMA), MultiDict([("extra", typed)]))
    assert data["extra"] == typed and shown["extra"] == typed
    data["extra"].encode("utf-8")


def test_good_json_is_still_parsed():
    data, _ = schema_form.parse(schema_form.build(SCHEMA), MultiDict([("extra", '{"a": [1, -5, "长春"]}')]))
    assert data["extra"] == {"a": [1, -5, "长春"]}


@pytest.mark.parametrize("rows", ["abc", "9" * 5000, "1000000000", "-1", "²"])
def test_a_forged_row_count_on_the_calendar_page_is_no_500_and_no_endless_loop(web, rows):
    login(web, "admin")
    token = csrf_from(web.get("/admin/calendar/2027").get_data(as_text=True))
    response = web.post("/admin/calendar/2027", data={"csrf_token": token, "rows": rows,
                                                      "date_0": "2027-10-01", "kind_0": "holiday"})
    assert response.status_code < 500
