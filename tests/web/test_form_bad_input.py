"""A page form's JSON field never hands a lone surrogate or a 5,000-digit number to the services."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

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
