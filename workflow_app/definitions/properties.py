"""Process-level properties (``spiffworkflow:properties`` on the process element) that the product reads.

``startVariables``: the variables staff may pass when starting a case through the API, as a comma- or
space-separated list of names (e.g. ``inspection_year, source``). Nothing else may be passed at start; an
organization passes none (it fills in the start form).

``organizationBound``: ``true`` when every case of the process acts on one registered organization
(party_building, zombie_cleanup, major_event); starting one without ``organization_id`` is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

START_VARIABLES_PROPERTY = "startVariables"
_SEPARATORS = re.compile(r"[\s,，、]+")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def start_variable_names(value: str) -> list[str]:
    """The names listed in a ``startVariables`` value, in order (blank entries dropped)."""
    return [name for name in _SEPARATORS.split(value.strip()) if name]


def invalid_start_variable_names(value: str) -> list[str]:
    """Entries of a ``startVariables`` value that are no variable name (the deploy lint refuses them)."""
    return [name for name in start_variable_names(value) if not _NAME.fullmatch(name)]


def start_variables(properties: Mapping[str, str]) -> frozenset[str]:
    """The start variables a process declares (none when it has no ``startVariables`` property)."""
    return frozenset(start_variable_names(str(properties.get(START_VARIABLES_PROPERTY) or "")))


ORGANIZATION_BOUND_PROPERTY = "organizationBound"


def organization_bound(properties: Mapping[str, str] | None) -> bool:
    """Whether a process acts on one registered organization (``organizationBound`` is ``true``): a start
    through the API or the web must name it (``organization_id``)."""
    return str((properties or {}).get(ORGANIZATION_BOUND_PROPERTY) or "").strip().lower() == "true"
