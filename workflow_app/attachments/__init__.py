"""Attachments (附件): files uploaded to a task's attachment fields, kept in a content-addressed store.

A form field asks for files with ``{"type": "array", "items": {"type": "string", "format":
"attachment"}, "x-accept": [".pdf", ".jpg"], "maxItems": 10}``; its value is a list of attachment ids.
See docs/attachments.md.
"""
