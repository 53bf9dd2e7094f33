"""JSON Schema checks of records: one compiled validator per schema, errors as messages.

jsonschema is imported on first use only: commands that do not write or validate (``--help``,
``list``, ``show``) never pay for it.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from ..model.registry import EVENT_KINDS, OTHER_SCHEMAS
from ..model.registry import package_schema_dir as package_schema_dir  # where it always was

SCHEMA_OF_KIND = {**OTHER_SCHEMAS, **{name: k.schema for name, k in EVENT_KINDS.items()}}
SCHEMA_NAMES = sorted(set(SCHEMA_OF_KIND.values()) | {"defs"})

def schema_file(kind: str) -> str:
    return f"{SCHEMA_OF_KIND[kind]}.schema.json"


@lru_cache(maxsize=8)
def _validators(schema_dir: str) -> dict[str, Any]:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    base = Path(schema_dir)
    docs = {name: json.loads((base / f"{name}.schema.json").read_text(encoding="utf-8"))
            for name in SCHEMA_NAMES}
    # svt's schemas carry no `$id`: a reference such as ``defs.schema.json#/$defs/id``
    # resolves against the schema file's own location, as other validators read it. Stores
    # made by an older svt have https `$id`s, so each file is also registered beside those.
    bases = {doc["$id"] for doc in docs.values() if isinstance(doc.get("$id"), str)}
    registry = Registry().with_resources(
        (uri, Resource.from_contents(doc, default_specification=DRAFT202012))
        for name, doc in docs.items()
        for uri in {f"{name}.schema.json", *(urljoin(b, f"{name}.schema.json") for b in bases)})
    return {name: Draft202012Validator(doc, registry=registry)
            for name, doc in docs.items() if name != "defs"}


class _QuickCheckers:
    """The compiled checker of each schema of a folder, read and compiled when first asked
    for (a write checks one or two kinds: compiling all eleven cost more than the checks)."""

    def __init__(self, schema_dir: str) -> None:
        from .quickschema import Compiler
        self.base = Path(schema_dir)
        self.compiler = Compiler(_Documents(self.base))
        self.checkers: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """The checker of schema ``name``; None when it uses more than the subset
        (jsonschema checks that kind)."""
        from .quickschema import Unsupported
        if name not in self.checkers:
            cache = dict(self.compiler.cache)
            try:
                self.checkers[name] = self.compiler.compile(f"{name}.schema.json")
            except Unsupported:
                # forget the references left half-compiled, which other schemas may share
                self.compiler.cache = cache
                self.checkers[name] = None
        return self.checkers[name]


class _Documents(dict):
    """Schema documents by file name, each read on first use."""

    def __init__(self, base: Path) -> None:
        super().__init__()
        self.base = base

    def __missing__(self, file_name: str) -> Any:
        self[file_name] = doc = json.loads((self.base / file_name).read_text(encoding="utf-8"))
        return doc


@lru_cache(maxsize=8)
def _quick(schema_dir: str) -> _QuickCheckers:
    return _QuickCheckers(schema_dir)


@lru_cache(maxsize=64)
def _properties(schema_dir: str, name: str, mtime_ns: int) -> frozenset[str]:
    path = Path(schema_dir) / f"{name}.schema.json"
    return frozenset(json.loads(path.read_text(encoding="utf-8")).get("properties", {}))


def knows_field(kind: str, field: str, schema_dir: Path | None = None) -> bool:
    """Whether the schema of ``kind`` has the top-level field ``field``.

    A store keeps its own copy of the schemas; one made by an older svt may predate a field
    that svt now writes (e.g. ``recorded``), and svt then leaves the field out."""
    directory = str(schema_dir or package_schema_dir())
    name = SCHEMA_OF_KIND[kind]
    try:
        mtime = (Path(directory) / f"{name}.schema.json").stat().st_mtime_ns
        return field in _properties(directory, name, mtime)
    except (OSError, ValueError):
        return False


def check(data: Any, kind: str, schema_dir: Path | str | None = None,
          reference: bool = False) -> list[tuple[tuple, str]]:
    """Validate ``data`` as a record of ``kind``; return ``(path, message)`` pairs.

    The compiled subset checker answers by default (no jsonschema import on the write path);
    ``reference=True`` asks jsonschema itself, as `svt validate` does."""
    name = SCHEMA_OF_KIND.get(kind)
    if name is None:
        return [((), f"unknown record kind {kind!r}")]
    directory = str(schema_dir or package_schema_dir())
    quick = None if reference else _quick(directory).get(name)
    if quick is not None:
        errors: list = []
        quick(data, (), errors)
    else:
        errors = list(_validators(directory)[name].iter_errors(data))
    found = []
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        found.append((tuple(error.absolute_path), _message(error)))
    return found


def _field(path: Any) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "the record"


def _message(error: Any) -> str:
    where = _field(error.absolute_path)
    v, schema = error.validator, error.schema
    if v == "additionalProperties":
        extra = [k for k in error.instance if k not in schema.get("properties", {})]
        known = ", ".join(schema.get("properties", {}))
        return (f"unknown field {', '.join(map(repr, extra))} in {where}: remove it or use one of"
                f" {known}")
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{where} lacks the required field {missing!r}: add it"
    if v == "enum":
        return (f"{where} is {error.instance!r}: use one of "
                f"{', '.join(map(str, error.validator_value))}")
    if v == "const":
        return f"{where} is {error.instance!r}: it must be {error.validator_value!r}"
    if v == "pattern":
        hint = schema.get("description", f"it must match {error.validator_value}")
        return f"{where} is {error.instance!r}, which is not valid: {hint}"
    if v == "type":
        return (f"{where} is {error.instance!r} ({type(error.instance).__name__}): write a"
                f" {error.validator_value}" + (" (quote it)" if error.validator_value == "string" else ""))
    if v == "false" or (v is None) or error.validator_value is False:
        return f"{where} is not allowed here"
    if v == "not" and schema.get("description"):
        return f"{where} is {error.instance!r}: {schema['description']}"
    if v == "oneOf":
        return (f"{where} is {error.instance!r}: write a number, text, a list, or a mapping with"
                " value and unit")
    if v in _BOUNDS:
        return f"{where} {_bound(v, error.validator_value, error.instance)}"
    if v == "uniqueItems":
        return f"{where} lists an item twice: list each once"
    return f"{where}: {error.message}"


def _count(n: Any, unit: str) -> str:
    """``20,000 characters``: a limit as people read it."""
    number = f"{n:,}" if isinstance(n, int) and not isinstance(n, bool) else str(n)
    return f"{number} {unit}{'' if n == 1 else 's'}"


# each bound keyword: (what is measured, how the value may relate to the limit)
_BOUNDS = {
    "maxLength": ("character", "longer than"), "minLength": ("character", "shorter than"),
    "maxItems": ("item", "more than"), "minItems": ("item", "fewer than"),
    "maxProperties": ("field", "more than"), "minProperties": ("field", "fewer than"),
    "maximum": ("", "more than"), "minimum": ("", "less than"),
    "exclusiveMaximum": ("", "not less than"), "exclusiveMinimum": ("", "not more than"),
}


def _bound(keyword: str, limit: Any, instance: Any) -> str:
    """What a value beyond a schema bound is, and what to write instead (the value itself is
    not repeated: it may be 20,000 characters long)."""
    unit, relation = _BOUNDS[keyword]
    if not unit:
        return f"is {instance}, {relation} {limit:,}: write a number within the limit"
    size = len(instance) if isinstance(instance, (str, list, dict)) else instance
    if keyword == "minLength" and limit == 1:
        return "is empty: write at least one character, or leave the field out"
    fix = "shorten it" if relation in ("longer than", "more than") else "add to it"
    return f"is {_count(size, unit)}, {relation} {_count(limit, unit)}: {fix}"
