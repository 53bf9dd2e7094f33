"""The one strict YAML reader and the one canonical YAML writer.

Reading (docs/design.md, "Reading YAML"): YAML 1.2 core types, duplicate keys, aliases and
custom tags are errors, nesting and size are bounded (untrusted pull requests are validated
in CI), and every value keeps its line and column so that errors can point at it. libyaml's C parser produces
the events; the small builder here turns them into plain Python values.

Writing is deterministic: block style, the caller's key order, quoting only where a plain
scalar would read back differently, floats that read back as the same float.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import json
import math
import os
import stat
import re
from pathlib import Path
from typing import Any, NamedTuple

from ..model.errors import InvalidInput
from .yamlsyntax import syntax_error


@functools.lru_cache(maxsize=None)
def _libyaml() -> tuple[Any, Any]:
    """PyYAML and its event parser, imported on first use: commands that read only the
    canonical form (the fast reader below) or the query index never pay for it (~10 ms)."""
    import yaml
    try:  # libyaml: about ten times faster than the pure-Python parser
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover - PyYAML wheels ship libyaml
        from yaml.parser import Parser as PyParser
        from yaml.reader import Reader
        from yaml.scanner import Scanner

        class CParser(Reader, Scanner, PyParser):  # type: ignore[no-redef]
            def __init__(self, stream: str) -> None:
                Reader.__init__(self, stream)
                Scanner.__init__(self)
                PyParser.__init__(self)
    return yaml, CParser


MAX_FILE_BYTES = 1_000_000
_CONFLICT_RE = re.compile(r"^(<{7}|>{7})( |$)", re.M)
MAX_DEPTH = 24
SCHEMA_COMMENT = "# yaml-language-server: $schema={0}\n# $schema: {0}\n"

_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT_RE = re.compile(r"^[-+]?[0-9]+$")
_OCT_RE = re.compile(r"^0o[0-7]+$")
_HEX_RE = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF_RE = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN_RE = re.compile(r"^\.(nan|NaN|NAN)$")
# Plain scalars that YAML 1.1 tools (PyYAML's default, many editors) read differently.
_YAML11_BOOL = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
                "on", "On", "ON", "off", "Off", "OFF"}
_YAML11_NUM_RE = re.compile(r"^([-+]?0[0-7_]+|[-+]?0b[01_]+|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"
                            r"|[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*)$")


class Finding(NamedTuple):
    """A problem found while reading: 1-based line and column."""

    line: int
    column: int
    message: str
    severity: str = "error"


class YamlError(ValueError):
    """The text is not a record this reader accepts; carries the first error's position."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(f"{finding.line}:{finding.column}: {finding.message}")


class Document:
    """A loaded document: the data, where each value sits, and warnings."""

    __slots__ = ("data", "marks", "warnings")

    def __init__(self, data: Any) -> None:
        self.data = data
        self.marks: dict[tuple, tuple[int, int]] = {}
        self.warnings: list[Finding] = []

    def mark(self, path: tuple) -> tuple[int, int]:
        """Line and column of the value at ``path`` (or its nearest enclosing value)."""
        path = tuple(path)
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))


_SPECIAL_WORDS = _NULL | set(_BOOL)

# Integers in records are 64-bit, as SQLite (the index), JSON tools and pandas hold them; any
# other is a problem with a line, never a crash (Python >= 3.11 converts at most 4,300 digits).
INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1
_MAX_DIGITS = {10: 19, 8: 21, 16: 16}  # more significant digits than these: out of range
_OUT_OF_RANGE = object()  # a plain integer beyond them: the strict reader reports its line


def _integer(digits: str, base: int) -> object:
    sign, significant = "-" if digits.startswith("-") else "", digits.lstrip("+-").lstrip("0")
    if len(significant) > _MAX_DIGITS[base]:
        return _OUT_OF_RANGE  # never converted: bounded work whatever the length
    value = int(sign + (significant or "0"), base)
    return value if INT_MIN <= value <= INT_MAX else _OUT_OF_RANGE


def _shown(raw: str, width: int = 24) -> str:  # a long scalar, cut for a message
    return raw if len(raw) <= width else f"{raw[:width - 1]}… ({len(raw)} characters)"


def out_of_range(what: str) -> str:
    return (f"{what} is out of range: records hold integers from {INT_MIN} to {INT_MAX};"
            " write a larger number as a float (e.g. 1.5e+30), or quote it if it is text")


def _resolve_plain(text: str) -> Any:
    if text and text[0].isalpha() and text not in _SPECIAL_WORDS:
        return text  # words: the common case, no number or null can start with a letter
    if text in _NULL or text in _BOOL:
        return _BOOL.get(text)  # None for the nulls
    if _INT_RE.match(text):
        return _integer(text, 10)
    if _OCT_RE.match(text):
        return _integer(text[2:], 8)
    if _HEX_RE.match(text):
        return _integer(text[2:], 16)
    if _FLOAT_RE.match(text):
        return float(text)
    if _INF_RE.match(text):
        return math.inf if not text.startswith("-") else -math.inf
    if _NAN_RE.match(text):
        return math.nan
    return text


def _yaml11_warning(text: str, value: Any) -> str | None:
    if text in _YAML11_BOOL:
        return (f"plain {text!r} is the text {text!r} here but a boolean to YAML 1.1 tools: write"
                f" true/false for a yes/no value, or \"{text}\" in quotes for text")
    if isinstance(value, int) and len(text.lstrip("+-")) > 1 and text.lstrip("+-").startswith("0") \
            and not text.startswith(("0o", "0x")):
        return (f"{text} reads as the number {value} here but as octal to YAML 1.1 tools: write"
                f" {value} for the number, or \"{text}\" in quotes for text such as a serial number")
    if isinstance(value, str) and _YAML11_NUM_RE.match(text):
        return (f"plain {text!r} is text here but a number to YAML 1.1 tools: quote it"
                f" (\"{text}\") if it is text")
    return None


def load(text: str | bytes, *, with_marks: bool = True) -> Document:
    """Read one YAML document under the strict rules; raise YamlError on the first error."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise YamlError(Finding(1, 1, f"file is {len(text)} bytes; records are limited to"
                                          f" {MAX_FILE_BYTES} bytes (store large data as files)"))
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlError(Finding(1, 1, f"not UTF-8 text ({exc.reason} at byte {exc.start});"
                                          " save the file as UTF-8")) from None
    elif len(text) > MAX_FILE_BYTES:
        raise YamlError(Finding(1, 1, f"file is longer than {MAX_FILE_BYTES} characters"))
    text = text[1:] if text.startswith("\ufeff") else text
    conflict = _CONFLICT_RE.search(text)
    if conflict:
        line = text.count("\n", 0, conflict.start()) + 1
        raise YamlError(Finding(line, 1, "unresolved merge conflict markers (<<<<<<< ======="
                                         " >>>>>>>): keep the right lines, delete the markers,"
                                         " then git add and commit"))
    doc = Document(None)
    marks = doc.marks
    # Each frame: [container, path, pending key or None, seen keys {key: line}]
    stack: list[list] = []
    root: list = []
    documents = 0
    yaml, parser_class = _libyaml()
    parser = parser_class(text)
    try:
        while True:
            event = parser.get_event()
            if event is None:
                break
            etype = type(event)
            if etype is yaml.StreamStartEvent or etype is yaml.StreamEndEvent \
                    or etype is yaml.DocumentEndEvent:
                continue
            mark = event.start_mark
            pos = (mark.line + 1, mark.column + 1)
            if etype is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlError(Finding(*pos, "more than one YAML document ('---'); a record"
                                                  " file holds exactly one"))
                continue
            if etype is yaml.AliasEvent:
                raise YamlError(Finding(*pos, f"alias *{event.anchor} is not allowed in records:"
                                              " write the value out in full"))
            if getattr(event, "anchor", None):
                raise YamlError(Finding(*pos, f"anchor &{event.anchor} is not allowed in records:"
                                              " remove it and write values out in full"))
            if etype is yaml.MappingEndEvent or etype is yaml.SequenceEndEvent:
                frame = stack.pop()
                value = frame[0]
                _attach(stack, root, value, None, marks, doc)
                continue
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!":
                raise YamlError(Finding(*pos, f"tag {tag} is not allowed in records: remove it"
                                              " (quote the value if it should be text)"))
            if etype is yaml.ScalarEvent:
                raw = event.value
                plain = not event.style  # libyaml says '', the Python parser None
                if plain and tag is None:
                    value = _resolve_plain(raw)
                    if value is _OUT_OF_RANGE:
                        raise YamlError(Finding(*pos, out_of_range(f"the integer {_shown(raw)}")))
                    if isinstance(value, float) and not math.isfinite(value):
                        raise YamlError(Finding(*pos, f"{_shown(raw)} is not a finite number; records"
                                                      " hold finite numbers only (quote it for text)"))
                    hint = _yaml11_warning(raw, value)
                    if hint:
                        doc.warnings.append(Finding(*pos, hint, "warning"))
                else:
                    value = raw
                _attach(stack, root, value, pos, marks, doc, scalar_raw=raw)
                continue
            # MappingStart / SequenceStart
            if len(stack) >= MAX_DEPTH:
                raise YamlError(Finding(*pos, f"nesting deeper than {MAX_DEPTH} levels;"
                                              " records are shallow, flatten this value"))
            container: Any = {} if etype is yaml.MappingStartEvent else []
            path = _child_path(stack)
            if path is _KEY:
                raise YamlError(Finding(*pos, "a key must be plain text, not a list or mapping"))
            marks[path] = pos
            stack.append([container, path, None, {}])
    except yaml.MarkedYAMLError as exc:  # where the mistake is, not where libyaml gave up
        raise YamlError(Finding(*syntax_error(exc))) from None
    except yaml.YAMLError as exc:  # reader errors (control characters) have no problem_mark
        raise YamlError(Finding(1, 1, f"YAML: {exc}")) from None
    doc.data = root[0] if root else None
    if not with_marks:
        doc.marks = {}
    return doc


_KEY = object()


def _child_path(stack: list[list]) -> Any:
    if not stack:
        return ()
    frame = stack[-1]
    container = frame[0]
    if isinstance(container, dict):
        return _KEY if frame[2] is None else frame[1] + (frame[2][0],)
    return frame[1] + (len(container),)


def _attach(stack: list[list], root: list, value: Any, pos: tuple[int, int] | None,
            marks: dict[tuple, tuple[int, int]], doc: Document,
            scalar_raw: str | None = None) -> None:
    if not stack:
        root.append(value)
        if pos is not None:
            marks[()] = pos
        return
    frame = stack[-1]
    container = frame[0]
    if isinstance(container, list):
        if pos is not None:
            marks[frame[1] + (len(container),)] = pos
        container.append(value)
        return
    if frame[2] is None:  # this value is a key
        if scalar_raw is None or pos is None:  # a list or mapping ended (scalars have a pos)
            raise YamlError(Finding(*(marks.get(frame[1], (1, 1))),
                                    "a key must be plain text, not a list or mapping"))
        key = scalar_raw
        if key in frame[3]:
            raise YamlError(Finding(pos[0], pos[1],
                                    f"duplicate key {key!r} (first on line {frame[3][key]}):"
                                    " keep one of them"))
        frame[3][key] = pos[0]
        frame[2] = (key, pos)
        return
    key = frame[2][0]
    path = frame[1] + (key,)
    if pos is not None:
        marks[path] = pos
    container[key] = value
    frame[2] = None


def read_text(path: str | os.PathLike) -> str:
    """The text of a record file, refusing symlinks, special files, huge files and non-UTF-8."""
    return read_text_stat(path)[0]


def read_text_stat(path: str | os.PathLike) -> tuple[str, os.stat_result]:
    """:func:`read_text`, and the stat of the file read (the index's signature of it)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise YamlError(Finding(1, 1, "is a symbolic link; records must be regular files"))\
                from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise YamlError(Finding(1, 1, "is not a regular file"))
        if st.st_size > MAX_FILE_BYTES:
            raise YamlError(Finding(1, 1, f"file is {st.st_size} bytes; records are limited to"
                                          f" {MAX_FILE_BYTES} bytes"))
        raw, limit = b"", MAX_FILE_BYTES + 1  # to the end: os.read as many bytes as fstat gave
        while len(raw) < limit:  # and one (a buffered file object cost a rebuild 0.5 s of CPU)
            piece = os.read(fd, min(limit - len(raw), 1 << 16 if raw else st.st_size + 1))
            if not piece:
                break
            raw += piece
    finally:
        os.close(fd)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(Finding(1, 1, f"not UTF-8 text ({exc.reason} at byte {exc.start});"
                                      " save the file as UTF-8")) from None
    return (text[1:] if text.startswith("\ufeff") else text), st


def load_file(path: str | os.PathLike) -> Document:
    """Read a record file under the strict rules (refusing symlinks and special files)."""
    return load(read_text(path))


# ---- writing -------------------------------------------------------------------------

_PLAIN_SAFE_RE = re.compile(r"^[A-Za-z0-9_./()@+][A-Za-z0-9 _./()@+,=-]*$")
_INDICATOR_START = set("-?:,[]{}#&*!|>'\"%@`")


def _needs_quotes(text: str) -> bool:
    if text == "" or text != text.strip() or _resolve_plain(text) != text \
            or not isinstance(_resolve_plain(text), str) or text in _YAML11_BOOL \
            or _YAML11_NUM_RE.match(text) or text[0] in _INDICATOR_START \
            or ": " in text or " #" in text or text.endswith(":"):
        return True
    if not _PLAIN_SAFE_RE.match(text):
        # Allow ordinary text (letters of any script, spaces, common punctuation) plain.
        if any(c in text for c in "#:\t\n\r\"'\\{}[]`") or not text.isprintable():
            return True
    return False


_RAW_IN_QUOTES = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def _scalar(value: Any) -> str:
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            raise InvalidInput("refused: " + out_of_range(f"a {value.bit_length()}-bit integer"))
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be stored: records hold finite numbers only")
        return repr(value)  # '1e-06' reads back as a float under YAML 1.2 core
    if isinstance(value, str):
        if _needs_quotes(value):  # JSON's escapes are YAML's; \\u for what YAML refuses raw
            return _RAW_IN_QUOTES.sub(lambda m: f"\\u{ord(m.group()):04x}",  # or reads as a break
                                      json.dumps(value, ensure_ascii=False))
        return value
    raise TypeError(f"cannot write {type(value).__name__} to a record")


def _block_literal(text: str, indent: str) -> str | None:
    """A literal block for multi-line notes, when it reads back exactly."""
    if "\n" not in text or not text.isprintable() and any(
            not (c.isprintable() or c == "\n") for c in text):
        return None
    if text.startswith((" ", "\n")) or "\r" in text or "\t" in text:
        return None
    lines = text.split("\n")
    if any(line != line.rstrip() for line in lines):
        return None
    if text.endswith("\n\n"):
        return None
    head, body = ("|", lines[:-1]) if text.endswith("\n") else ("|-", lines)
    return head + "\n" + "\n".join((indent + line) if line else "" for line in body)


def _emit(value: Any, indent: str, out: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            k = _scalar(str(key))
            _emit_entry(f"{indent}{k}:", item, indent, out)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                for n, (key, sub) in enumerate(item.items()):
                    prefix = f"{indent}- " if n == 0 else f"{indent}  "
                    _emit_entry(f"{prefix}{_scalar(str(key))}:", sub, indent + "  ", out)
            else:
                _emit_entry(f"{indent}-", item, indent, out)
    else:
        out.append(indent + _scalar(value))


def _emit_entry(head: str, item: Any, indent: str, out: list[str]) -> None:
    if isinstance(item, (dict, list)) and item:
        out.append(head)
        _emit(item, indent + "  ", out)
    elif isinstance(item, (dict, list)):
        out.append(head + (" {}" if isinstance(item, dict) else " []"))
    elif isinstance(item, str) and "\n" in item:
        block = _block_literal(item, indent + "  ")
        out.append(head + " " + (block if block is not None else _scalar(item)))
    else:
        out.append(head + " " + _scalar(item))


def dump(data: dict, schema_ref: str | None = None) -> str:
    """Canonical text of a record: optional schema comment, then block-style YAML."""
    out: list[str] = []
    _emit(data, "", out)
    body = "\n".join(out) + "\n"
    return (SCHEMA_COMMENT.format(schema_ref) if schema_ref else "") + body


def atomic_write(path: str | os.PathLike, data: bytes, tmp_dir: str | os.PathLike | None = None) -> None:
    """Write bytes to ``path`` through a temporary file and a rename (never half-written)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    import tempfile
    fd, tmp = tempfile.mkstemp(dir=tmp_dir or target.parent, prefix=".svt-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# ---- fast path for canonical files ------------------------------------------------------

_FAST_KEY = r'(?:[A-Za-z0-9_][A-Za-z0-9_.-]*|"(?:[^"\\]|\\.)*")'
_FAST_LINE = re.compile(r"^( *)(- )?(?:(" + _FAST_KEY + r"):(?: (.*))?|(.*))$")
_FAST_PLAIN = re.compile(r"^[^#:\[\]{}&*!|>'\"%`,@?\\][^#:\[\]{}&*!|>'\"%`\\]*$")
_SEEN: dict[str, Any] = {}  # plain scalars resolved before (at most 4096; they repeat)


class _NotCanonical(Exception):
    pass


def load_fast(text: str) -> Any:
    """Read a file in the form svt writes (block style, plain or JSON-quoted scalars) quickly.

    Returns None when the text is not in that form; the caller then uses :func:`load`. For any
    text it accepts, the result equals ``load(text).data`` (tests check this)."""
    if _CONFLICT_RE.search(text):
        return None
    lines = [line for line in text.split("\n") if line.strip() and not line.lstrip().startswith("#")]
    if not lines or any("\t" in line or line.rstrip() != line for line in lines):
        return None
    try:
        value, end = _fast_block(lines, 0, 0)
    except (_NotCanonical, ValueError, IndexError):
        return None
    return value if end == len(lines) and isinstance(value, dict) else None


def _fast_scalar(raw: str) -> Any:
    if raw.startswith('"'):  # JSON strings are YAML double-quoted strings: json.loads gives
        inner = raw[1:-1]  # one without escape, quote or control character as it stands
        if len(raw) > 1 and raw[-1] == '"' and '"' not in inner and "\\" not in inner \
                and inner.isprintable():
            return inner
        return json.loads(raw)
    value = _SEEN.get(raw, _NotCanonical)  # (a marker no scalar resolves to)
    if value is _NotCanonical:
        value = _fast_plain(raw)
        if len(_SEEN) < 4096 and not isinstance(value, (dict, list)):
            _SEEN[raw] = value
    return value


def _fast_plain(raw: str) -> Any:
    if raw in ("{}", "[]"):
        return {} if raw == "{}" else []
    if raw[:1] in " -?~" and not (_INT_RE.match(raw) or _FLOAT_RE.match(raw) or raw == "~"):
        raise _NotCanonical
    if not _FAST_PLAIN.match(raw):
        raise _NotCanonical
    value = _resolve_plain(raw)
    if value is _OUT_OF_RANGE or isinstance(value, float) and not math.isfinite(value) \
            or _yaml11_warning(raw, value):
        raise _NotCanonical  # the strict reader refuses it, or warns about it
    return value


def _fast_key(raw: str) -> str:
    return json.loads(raw) if raw.startswith('"') else raw


def _fast_block(lines: list[str], i: int, indent: int) -> tuple[Any, int]:
    m = _FAST_LINE.match(lines[i])
    if not m or len(m.group(1)) != indent:
        raise _NotCanonical
    if m.group(2):  # a list
        out_list: list = []
        while i < len(lines):
            m = _FAST_LINE.match(lines[i])
            if not m or len(m.group(1)) != indent or not m.group(2):
                if m and len(m.group(1)) < indent:
                    break
                raise _NotCanonical
            if m.group(3) is not None:  # "- key: value" starts a mapping item
                lines[i] = " " * (indent + 2) + lines[i][indent + 2:]
                item, i = _fast_mapping(lines, i, indent + 2)
            else:
                item, i = _fast_scalar(m.group(5)), i + 1
            out_list.append(item)
        return out_list, i
    return _fast_mapping(lines, i, indent)


def _fast_mapping(lines: list[str], i: int, indent: int) -> tuple[dict, int]:
    out: dict = {}
    while i < len(lines):
        m = _FAST_LINE.match(lines[i])
        if not m:
            raise _NotCanonical
        depth = len(m.group(1))
        if depth < indent:
            break
        if depth != indent or m.group(2) or m.group(3) is None:
            raise _NotCanonical
        key, rest = _fast_key(m.group(3)), m.group(4)
        if key in out:
            raise _NotCanonical  # duplicate: the strict reader reports it with its line
        i += 1
        if rest is None or rest == "":
            if i < len(lines) and len(lines[i]) - len(lines[i].lstrip(" ")) > indent:
                out[key], i = _fast_block(lines, i, indent + 2)
            else:
                out[key] = None
        elif rest.startswith(("|", ">")):
            raise _NotCanonical  # block scalars (multi-line notes): the strict reader does them
        else:
            out[key] = _fast_scalar(rest)
    return out, i


_TOP_LEVEL_RE: dict[tuple, re.Pattern] = {}


def top_level_scalars(text: str, keys: tuple[str, ...]) -> dict | None:
    """The given top-level keys' scalar values, read from their lines alone (for the index).

    None when the text is not simple enough to be sure (then use :func:`load`): a wanted key
    written twice, with a nested or multi-line value, or the first two keys missing."""
    pattern = _TOP_LEVEL_RE.get(keys)
    if pattern is None:
        pattern = _TOP_LEVEL_RE[keys] = re.compile(
            r"^(" + "|".join(map(re.escape, keys)) + r"):( ?)(.*)$", re.M)
    found: dict[str, Any] = {}
    for key, space, rest in pattern.findall(text):
        if not space:
            return None  # "key:" with a nested or empty value
        if key in found or rest != rest.strip():
            return None
        try:
            found[key] = _fast_scalar(rest)
        except (_NotCanonical, ValueError):
            return None
        if isinstance(found[key], (dict, list)):
            return None
    if any(k not in found for k in keys[:2]):
        return None
    return found
