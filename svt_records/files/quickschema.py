"""A compiled checker for the subset of JSON Schema that svt's own schemas use.

Importing jsonschema costs 60-160 ms, more than everything else a write command does, so the
write path and the query index check records with this: each schema is compiled once into
nested closures. `svt validate` keeps using jsonschema itself, and tests check on a corpus of
valid and invalid records that both give the same verdict on every field.
A schema using a keyword outside the subset raises ``Unsupported`` at compile time, and the
caller falls back to jsonschema.
"""
from __future__ import annotations

import re
from typing import Any, Callable

Check = Callable[[Any, tuple, list], None]
_IGNORED = {"$schema", "$id", "title", "description", "$comment", "default", "examples", "$defs"}


class Unsupported(Exception):
    """The schema uses a keyword this checker does not implement."""


class Error:
    """Shaped like jsonschema's ValidationError where svt's message formatting looks.

    Built often and mostly thrown away (oneOf tries alternatives), so it stays cheap: the
    message text is made only when asked for."""

    __slots__ = ("absolute_path", "validator", "validator_value", "instance", "schema", "_text")

    def __init__(self, absolute_path: tuple, validator: str, validator_value: Any,
                 instance: Any, schema: dict, text: Any = "") -> None:
        self.absolute_path = absolute_path
        self.validator = validator
        self.validator_value = validator_value
        self.instance = instance
        self.schema = schema
        self._text = text

    @property
    def message(self) -> str:
        return self._text() if callable(self._text) else self._text


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool)
    or isinstance(v, float) and v.is_integer(),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


class Compiler:
    def __init__(self, documents: dict[str, dict]) -> None:
        self.documents = documents  # file name -> schema document
        self.cache: dict[tuple[str, str], Check] = {}

    def compile(self, name: str) -> Check:
        return self._ref(name, "")

    def _ref(self, doc_name: str, pointer: str) -> Check:
        key = (doc_name, pointer)
        if key not in self.cache:
            holder: list[Check] = []
            self.cache[key] = lambda v, p, out: holder[0](v, p, out)  # allows recursion
            node: Any = self.documents[doc_name]
            for part in [p for p in pointer.split("/") if p]:
                node = node[part]
            holder.append(self._schema(node, doc_name))
            self.cache[key] = holder[0]
        return self.cache[key]

    def _schema(self, schema: Any, doc: str) -> Check:
        if schema is True:
            return lambda v, p, out: None
        if schema is False:
            return lambda v, p, out: out.append(Error(p, "false", False, v, {}, "not allowed"))
        unknown = set(schema) - _IGNORED - set(_KEYWORDS)
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        checks: list[Check] = []
        for keyword, make in _KEYWORDS.items():
            made = make(self, schema, doc) if keyword in schema else None
            if made is not None:
                checks.append(made)

        def run(value: Any, path: tuple, out: list) -> None:
            for check in checks:
                check(value, path, out)
        return run

    def ref(self, target: str, doc: str) -> Check:
        file, _, pointer = target.partition("#")
        return self._ref(file or doc, pointer)


def _k_ref(c: Compiler, s: dict, doc: str) -> Check:
    return c.ref(s["$ref"], doc)


def _k_type(c: Compiler, s: dict, doc: str) -> Check:
    names = s["type"] if isinstance(s["type"], list) else [s["type"]]
    tests = [_TYPES[n] for n in names]

    def check(v: Any, p: tuple, out: list) -> None:
        if not any(t(v) for t in tests):
            out.append(Error(p, "type", s["type"], v, s, lambda: f"{v!r} is not of type {s['type']!r}"))
    return check


def _k_enum(c: Compiler, s: dict, doc: str) -> Check:
    def check(v: Any, p: tuple, out: list) -> None:
        if not any(_equal(v, e) for e in s["enum"]):
            out.append(Error(p, "enum", s["enum"], v, s, lambda: f"{v!r} is not one of {s['enum']!r}"))
    return check


def _k_const(c: Compiler, s: dict, doc: str) -> Check:
    def check(v: Any, p: tuple, out: list) -> None:
        if not _equal(v, s["const"]):
            out.append(Error(p, "const", s["const"], v, s, lambda: f"{s['const']!r} was expected"))
    return check


def _k_pattern(c: Compiler, s: dict, doc: str) -> Check:
    rx = re.compile(s["pattern"])

    def check(v: Any, p: tuple, out: list) -> None:
        if isinstance(v, str) and not rx.search(v):
            out.append(Error(p, "pattern", s["pattern"], v, s, lambda: f"{v!r} does not match"))
    return check


def _bound(keyword: str, test: Callable[[Any, Any], bool], applies: Callable[[Any], bool],
           size: Callable[[Any], Any]) -> Callable[[Compiler, dict, str], Check]:
    def make(c: Compiler, s: dict, doc: str) -> Check:
        limit = s[keyword]

        def check(v: Any, p: tuple, out: list) -> None:
            if applies(v) and not test(size(v), limit):
                out.append(Error(p, keyword, limit, v, s, lambda: f"{keyword} {limit} not met"))
        return check
    return make


_is_num = _TYPES["number"]
_is_str = _TYPES["string"]
_is_arr = _TYPES["array"]


def _k_required(c: Compiler, s: dict, doc: str) -> Check:
    def check(v: Any, p: tuple, out: list) -> None:
        if isinstance(v, dict):
            for name in s["required"]:
                if name not in v:
                    out.append(Error(p, "required", s["required"], v, s,
                                     f"'{name}' is a required property"))
    return check


def _k_properties(c: Compiler, s: dict, doc: str) -> Check:
    props = {k: c._schema(sub, doc) for k, sub in s["properties"].items()}
    extra = s.get("additionalProperties", True)
    extra_check = None if extra is True else (
        None if extra is False else c._schema(extra, doc))

    if extra is True:  # only the named properties matter: look them up, do not scan
        named = list(props.items())

        def check_named(v: Any, p: tuple, out: list) -> None:
            if isinstance(v, dict):
                for key, sub in named:
                    if key in v:
                        sub(v[key], p + (key,), out)
        return check_named

    def check(v: Any, p: tuple, out: list) -> None:
        if not isinstance(v, dict):
            return
        unknown = []
        for key, value in v.items():
            sub = props.get(key)
            if sub is not None:
                sub(value, p + (key,), out)
            elif extra is False:
                unknown.append(key)
            elif extra_check is not None:
                extra_check(value, p + (key,), out)
        if unknown:
            out.append(Error(p, "additionalProperties", False, v, s,
                             f"Additional properties are not allowed ({unknown!r})"))
    return check


def _k_additional(c: Compiler, s: dict, doc: str) -> Check | None:
    if "properties" in s:
        return None  # handled with properties
    extra = s["additionalProperties"]
    if extra is False:
        def refuse(v: Any, p: tuple, out: list) -> None:
            if isinstance(v, dict) and v:
                out.append(Error(p, "additionalProperties", False, v, {**s, "properties": {}},
                                 "Additional properties are not allowed"))
        return refuse
    sub = c._schema(extra, doc)

    def check(v: Any, p: tuple, out: list) -> None:
        if isinstance(v, dict):
            for key, value in v.items():
                sub(value, p + (key,), out)
    return check


def _k_property_names(c: Compiler, s: dict, doc: str) -> Check:
    sub = c._schema(s["propertyNames"], doc)

    def check(v: Any, p: tuple, out: list) -> None:
        if isinstance(v, dict):
            for key in v:
                sub(key, p, out)
    return check


def _k_items(c: Compiler, s: dict, doc: str) -> Check:
    sub = c._schema(s["items"], doc)

    def check(v: Any, p: tuple, out: list) -> None:
        if isinstance(v, list):
            for i, item in enumerate(v):
                sub(item, p + (i,), out)
    return check


def _k_unique(s: dict) -> Check:
    def check(v: Any, p: tuple, out: list) -> None:
        if isinstance(v, list):
            seen: list = []
            for item in v:
                if any(item == other and type(item) is type(other) for other in seen):
                    out.append(Error(p, "uniqueItems", True, v, s,
                                     lambda: f"{v!r} has non-unique elements"))
                    return
                seen.append(item)
    return check


def _k_one_of(c: Compiler, s: dict, doc: str) -> Check:
    subs = [c._schema(sub, doc) for sub in s["oneOf"]]

    def check(v: Any, p: tuple, out: list) -> None:
        matches = 0
        for sub in subs:
            errs: list = []
            sub(v, p, errs)
            matches += not errs
        if matches != 1:
            out.append(Error(p, "oneOf", s["oneOf"], v, s, f"{v!r} is not valid under exactly"
                                                           " one of the given schemas"))
    return check


def _k_all_of(c: Compiler, s: dict, doc: str) -> Check:
    subs = [c._schema(sub, doc) for sub in s["allOf"]]

    def check(v: Any, p: tuple, out: list) -> None:
        for sub in subs:
            sub(v, p, out)
    return check


def _k_if(c: Compiler, s: dict, doc: str) -> Check:
    cond = c._schema(s["if"], doc)
    then = c._schema(s.get("then", True), doc)
    other = c._schema(s.get("else", True), doc)

    def check(v: Any, p: tuple, out: list) -> None:
        errs: list = []
        cond(v, p, errs)
        (then if not errs else other)(v, p, out)
    return check


def _k_not(c: Compiler, s: dict, doc: str) -> Check:
    sub = c._schema(s["not"], doc)

    def check(v: Any, p: tuple, out: list) -> None:
        errs: list = []
        sub(v, p, errs)
        if not errs:
            out.append(Error(p, "not", s["not"], v, s, lambda: f"{v!r} should not be valid"))
    return check


_KEYWORDS: dict[str, Callable[[Compiler, dict, str], Check | None]] = {
    "$ref": _k_ref, "type": _k_type, "enum": _k_enum, "const": _k_const,
    "pattern": _k_pattern,
    "minLength": _bound("minLength", lambda n, m: n >= m, _is_str, len),
    "maxLength": _bound("maxLength", lambda n, m: n <= m, _is_str, len),
    "maxItems": _bound("maxItems", lambda n, m: n <= m, _is_arr, len),
    "minItems": _bound("minItems", lambda n, m: n >= m, _is_arr, len),
    "uniqueItems": lambda c, s, d: _k_unique(s) if s["uniqueItems"] else None,
    "minimum": _bound("minimum", lambda n, m: n >= m, _is_num, lambda v: v),
    "exclusiveMinimum": _bound("exclusiveMinimum", lambda n, m: n > m, _is_num, lambda v: v),
    "maximum": _bound("maximum", lambda n, m: n <= m, _is_num, lambda v: v),
    "required": _k_required, "properties": _k_properties,
    "additionalProperties": _k_additional, "propertyNames": _k_property_names,
    "items": _k_items, "oneOf": _k_one_of, "allOf": _k_all_of, "if": _k_if,
    "then": lambda c, s, d: None, "else": lambda c, s, d: None, "not": _k_not,
}
