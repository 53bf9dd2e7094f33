"""The checks that protect svt and its readers, built into svt whatever a store's schemas say
(a pull request can change those): names that become paths, and stored files with active
content.

- **Path-safe names** (rule ``names``, an error): a component's id and folder, an event's
  component, a test's type and its measurement names, a stored file's name must each pass
  :func:`svt_records.model.names.is_path_safe`, since the site makes file names of them.
- **Active content** (rule ``active-content``, a warning, so reviewers see it): a stored
  file a browser would run: HTML (or XHTML, XML, XSLT, MHTML) by its name, or an SVG
  image with a script, an event-handler attribute, a ``javascript:`` URL, a
  ``<foreignObject>`` or anything else that could become one (:func:`svg_activity`).

`svt site` refuses to build from a store with a ``names`` problem or a symbolic link
(:data:`REFUSED_RULES`), and never publishes active content in a form a browser runs
(site/stored.py).
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Mapping

from ..model.errors import Problem, SvtError
from ..model.names import is_path_safe, path_safe_problem
from ..store.layout import COMPONENT_FILE, RECORDS

if TYPE_CHECKING:
    from .crosschecks import Record

NAMES_RULE = "names"
ACTIVE_RULE = "active-content"
SYMLINK_RULE = "symlink"  # checks.walk's problem for a link under records/
# the problems `svt site` builds nothing with, whatever else validation says
REFUSED_RULES = frozenset({NAMES_RULE, SYMLINK_RULE})

# stored files a browser runs as a page, by their names
ACTIVE_SUFFIXES = (".html", ".htm", ".xhtml", ".xht", ".shtml", ".mht", ".mhtml", ".xml",
                   ".xsl", ".xslt", ".svgz")
SVG_SUFFIX = ".svg"
MAX_SVG_BYTES = 16 * 1024 * 1024  # an SVG is checked whole; a larger one counts as active

_CHAR_REF = re.compile(rb"&#(x[0-9a-f]+|[0-9]+);?")
_HANDLER = re.compile(rb"[\s/\"']on[a-z]+\s*=")
_SPACE = re.compile(rb"[\x00-\x20]+")  # what browsers drop from inside a URL's scheme
# (what is searched for, as the lower-cased, character-reference-decoded text shows it)
_MARKERS = (
    (b"<script", "a <script> element"),
    (b"foreignobject", "a <foreignObject> (HTML inside the image)"),
    (b"<!entity", "an entity declaration (which can hide what the file holds)"),
    (b"<?xml-stylesheet", "a stylesheet instruction (XSLT can make a page of it)"),
    (b"<iframe", "an <iframe>"),
    (b"<embed", "an <embed>"),
    (b"<object", "an <object>"),
    (b"<handler", "an event <handler>"),
    (b"<listener", "an event <listener>"),
)
_URL_MARKERS = ((b"javascript:", "a javascript: URL"), (b"vbscript:", "a vbscript: URL"),
                (b"data:text/html", "a data:text/html URL"),
                (b"data:application/xhtml", "a data:application/xhtml URL"))


def svg_activity(data: bytes) -> str | None:
    """What in an SVG file a browser would run when the file is opened as a page (in
    ``<img>`` nothing runs), or None for an image with nothing active. Conservative: a
    marker found anywhere counts, character references are decoded first, and text that is
    not ASCII-compatible (UTF-16), or too large to check whole, counts as active."""
    if len(data) > MAX_SVG_BYTES:
        return f"a size over {MAX_SVG_BYTES // 1048576} MiB, too large to check"
    if b"\x00" in data:
        return "text in an encoding svt does not check (UTF-16?)"
    text = _CHAR_REF.sub(_char, data.lower()).lower()
    for marker, what in _MARKERS:
        if marker in text:
            return what
    if _HANDLER.search(text):
        return "an event-handler attribute (onload=, onclick=...)"
    compact = _SPACE.sub(b"", text)
    for marker, what in _URL_MARKERS:
        if marker in compact:
            return what
    return None


def _char(match: re.Match[bytes]) -> bytes:
    ref = match.group(1)
    try:
        code = int(ref[1:], 16) if ref.startswith(b"x") else int(ref)
        return chr(code).encode("utf-8") if code < 0x110000 else b"\x00"
    except ValueError:  # a surrogate
        return b"\x00"


def active_by_name(name: str) -> bool:
    """A stored file a browser runs as a page because of its name (HTML, XML...)."""
    return name.lower().endswith(ACTIVE_SUFFIXES)


def is_plain_file_name(name: str) -> bool:
    """Whether a record's stored file (``files: - path:``) is named as one in its own folder:
    no "/" or "\\", not hidden (checks.py reports the others)."""
    return not ("/" in name or "\\" in name or name.startswith("."))


def is_svg(name: str) -> bool:
    return name.lower().endswith(SVG_SUFFIX)


# ---- validate's checks of one record --------------------------------------------------------

def record_problems(root: str, rec: Record,
                    read: Mapping[str, bytes] | None = None) -> list[Problem]:
    """The names and active-content problems of one record (records/<type>/<ID>/...).
    ``read``: the record's stored SVG files already read (name -> bytes; checks.py reads
    them for their sha256), so that each is read once; any other is read here."""
    parts = rec.path.split("/")
    if len(parts) < 4 or parts[0] != RECORDS:
        return []
    data = rec.data
    out: list[Problem] = []

    def name(value: Any, what: str, *field: Any) -> None:
        problem = path_safe_problem(value, what)
        if problem:
            out.append(Problem(rec.path, *rec.at(*field), f"{problem}; svt site will not"
                               " publish the store until it is renamed", rule=NAMES_RULE))

    if parts[-1] == COMPONENT_FILE:
        if "id" in data:
            name(data["id"], "id", "id")
        if data.get("id") != parts[2]:
            name(parts[2], "the folder name")
        return out
    if "component" in data:
        name(data["component"], "component", "component")
    if "test_type" in data:
        name(data["test_type"], "test_type", "test_type")
    measurements = data.get("measurements")
    if isinstance(measurements, dict):
        for key in measurements:
            name(key, "measurement name", "measurements", key)
    folder = os.path.join(root, *parts[:4])
    for i, entry in enumerate(data.get("files") or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            continue
        stored = entry["path"]
        if not is_plain_file_name(stored):
            continue  # checks.py says it must be a plain name
        name(stored, "stored file name", "files", i, "path")
        if is_path_safe(stored):
            active = _active(folder, stored, (read or {}).get(stored))
            if active:
                out.append(Problem(rec.path, *rec.at("files", i, "path"), active, "warning",
                                   ACTIVE_RULE))
    return out


def _active(folder: str, name: str, data: bytes | None = None) -> str | None:
    """What makes stored file ``name`` active content, if anything (``data``: the SVG's
    bytes when already read, at least MAX_SVG_BYTES + 1 of them or the whole file)."""
    if active_by_name(name):
        return (f"stored file {name} is a web page (active content a browser runs): review"
                " what it holds; the site never shows it, and offers it only as a download")
    if not is_svg(name):
        return None
    if data is None:
        from ..store.nofollow import read_stored
        try:
            data = read_stored(folder, name, MAX_SVG_BYTES + 1)
        except (OSError, SvtError):
            return None  # missing, a link, not a file: checks.py says so
    what = svg_activity(data)
    if what is None:
        return None
    return (f"stored file {name} is an SVG image with active content ({what}): review it;"
            " the site does not show it, and offers it only as a download")
