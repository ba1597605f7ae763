"""The attachment field convention of task forms and the file types a field may accept.

A field asks for files when its schema is an array of strings with ``"format": "attachment"``::

    {"type": "array", "items": {"type": "string", "format": "attachment"},
     "x-accept": [".pdf", ".jpg", ".png"], "maxItems": 10, "title": "章程"}

``x-accept`` lists file types by extension (default: PDF and JPEG/PNG images); the type of an upload
is sniffed from its bytes with ``filetype`` and must be one of them. ``maxItems`` bounds the number of
files (default :data:`DEFAULT_MAX_ITEMS`). The field's value is the list of attachment ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow_app.tasks.forms import form_properties

ATTACHMENT_FORMAT = "attachment"
DEFAULT_ACCEPT = (".pdf", ".jpg", ".png")
DEFAULT_MAX_ITEMS = 10
# Extensions that name the same sniffed type.
ALIASES = {"jpeg": "jpg", "tiff": "tif"}
# Types a browser may show inline: PDF and images (never HTML, SVG or anything that runs script).
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"})


@dataclass(frozen=True)
class AttachmentField:
    """One attachment field of a form: its name, title, accepted extensions (without dots) and count."""

    name: str
    title: str
    accept: tuple[str, ...]
    max_items: int

    @property
    def accept_text(self) -> str:
        """The accepted types as a person reads them: ``.pdf、.jpg、.png``."""
        return "、".join(f".{ext}" for ext in self.accept)

    def accepts(self, extension: str | None) -> bool:
        """True when a file sniffed as ``extension`` may be attached here."""
        return extension is not None and normalized(extension) in self.accept


def normalized(extension: str) -> str:
    """``.JPEG`` → ``jpg``: lower case, no dot, one name per type."""
    ext = extension.strip().lower().lstrip(".")
    return ALIASES.get(ext, ext)


def is_attachment(prop: Any) -> bool:
    """True for a property schema that follows the attachment convention."""
    if not isinstance(prop, Mapping) or prop.get("type") != "array":
        return False
    items = prop.get("items")
    return isinstance(items, Mapping) and items.get("format") == ATTACHMENT_FORMAT


def field_of(name: str, prop: Mapping[str, Any]) -> AttachmentField:
    """The attachment field described by property ``name``'s schema."""
    accept = prop.get("x-accept")
    if not isinstance(accept, list) or not all(isinstance(a, str) for a in accept) or not accept:
        accept = list(DEFAULT_ACCEPT)
    max_items = prop.get("maxItems")
    if not isinstance(max_items, int) or isinstance(max_items, bool) or max_items < 1:
        max_items = DEFAULT_MAX_ITEMS
    return AttachmentField(name, str(prop.get("title") or name), tuple(dict.fromkeys(normalized(a) for a in accept)),
                           max_items)


def attachment_fields(schema: Any) -> dict[str, AttachmentField]:
    """The attachment fields of a form's schema by name (the first declaration of a name wins)."""
    found: dict[str, AttachmentField] = {}
    for name, prop in form_properties(schema):
        if name not in found and is_attachment(prop):
            found[name] = field_of(name, prop)
    return found
