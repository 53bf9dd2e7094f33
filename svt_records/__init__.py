"""svt_records: the HPS SVT component tracker on a git-backed YAML record store.

The names below load on first use, so that ``import svt_records`` (and ``svt --help``) stays
fast: GitPython, jsonschema and the store modules are imported only when needed.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Database": "api.database", "Component": "api.original", "TestResult": "api.original",
    "get_default_db": "api.original", "check_measurements": "store.inputs",
    "install_component": "api.original", "remove_component": "api.original",
    "create_connection": "api.original", "get_connections_for_component": "api.original",
    "get_connected_components": "api.original", "remove_connection": "api.original",
    "add_maintenance_log": "api.original", "get_maintenance_logs": "api.original",
    "SvtError": "model.errors", "InvalidInput": "model.errors", "NotFoundError": "model.errors",
    "RuleViolation": "model.errors", "RecordError": "model.errors",
    "StoreNotFound": "model.errors", "GitError": "model.errors", "Problem": "model.errors",
    "COMPONENT_TYPES": "model", "STATUSES": "model",
}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'svt_records' has no attribute {name!r}")
    from importlib import import_module
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
