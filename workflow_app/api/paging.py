"""The one definition of ``?page=&per_page=`` for every list of the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

MAX_PER_PAGE = 200
MAX_PAGE = 100_000  # beyond any real list; keeps OFFSET inside what every database accepts


class PageArgsSchema(Schema):
    """``?page=&per_page=`` of every list; list argument schemas inherit it."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))

MAX_ID = 2**31 - 1  # integer primary keys: a larger id cannot exist, and the databases refuse it


def id_field(**kwargs: object) -> fields.Integer:
    """An integer id argument: 1 … MAX_ID, so a huge number is a 422, never an overflow."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)
