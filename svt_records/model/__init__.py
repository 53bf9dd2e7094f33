"""model: what a record is, before any file or git is involved.

Owns the errors every layer raises (``errors``), the enumerations a store's schemas define and
each event kind declared once (``registry``), and the rules of a record's values: the names svt
accepts, ids and positions (``names``), dates (``dates``), attributes, measurements and the
unit table (``values``). No I/O beyond the registry reading svt's own schemas on first use.

May import: nothing of svt_records.

``from svt_records import model`` gives the rules of names, dates and values as one namespace
(``model.check_id``, ``model.parse_date``, ``model.UNITS``); ``model.COMPONENT_TYPES`` etc. are
svt's default enumerations, read from its schemas on first use.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # at run time each name loads on first use (below), so that importing
    # model.errors, which every command's error handling does, loads nothing else
    from .dates import *  # noqa: F401,F403
    from .names import *  # noqa: F401,F403
    from .values import *  # noqa: F401,F403
    from .verdicts import *  # noqa: F401,F403

_PARTS = ("names", "dates", "values", "verdicts")

# The enumerations (component types, statuses, log types, severities, file kinds) are
# written once, in the JSON Schemas: registry.enumerations() reads a store's, and
# model.COMPONENT_TYPES etc. are svt's defaults, read on first use.
_DEFAULT_ENUMS = {"COMPONENT_TYPES": "component_types", "STATUSES": "statuses",
                  "LOG_TYPES": "log_types", "SEVERITIES": "severities", "FILE_KINDS": "file_kinds"}


def __getattr__(name: str) -> Any:
    if name in _DEFAULT_ENUMS:
        from . import registry
        return getattr(registry.defaults(), _DEFAULT_ENUMS[name])
    if not name.startswith("_"):
        for part in _PARTS:
            value = getattr(import_module(f".{part}", __name__), name, _MISSING)
            if value is not _MISSING:
                globals()[name] = value  # found once; later uses are plain lookups
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_MISSING = object()
