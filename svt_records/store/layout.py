"""How a records repository is laid out: where a store is, what its files are named, and the
canonical text of a record.

Layout::

    svt.yaml
    schemas/*.schema.json
    records/<type>/<ID>/component.yaml
    records/<type>/<ID>/<YYYY>/<YYYYMMDD_HHMMSS>_<kind>_<tag>.yaml   (+ stored files beside it)

The tag is 6 hex digits of the event's content, its ``recorded`` time included, so two clones
never pick the same name; names without it (``..._<kind>[-N].yaml``) are those of older stores.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Callable, NamedTuple

from ..files import schema, yamlio

CONFIG_FILE = "svt.yaml"
RECORDS = "records"
DEFAULT_HOME = "~/.hps_svt_tracker"
COMPONENT_FILE = "component.yaml"
EVENT_NAME_RE = re.compile(
    r"^(?P<stamp>\d{8}_\d{6})_(?P<name>[A-Za-z][A-Za-z0-9_]*?)"
    r"(?:-(?P<seq>[2-9]|[1-9]\d+)|_(?P<tag>[0-9a-f]{6}))?\.yaml$")

COMPONENT_KEYS = (
    "id", "type", "serial_number", "asset_tag", "manufacturer", "manufacture_date", "status",
    "location", "position", "run_period", "installed_date", "sensor", "hybrid", "module",
    "connections", "attributes", "notes", "created",
)
EVENT_KEYS = (
    "kind", "date", "recorded", "component", "test_type", "result", "position", "run_period", "from", "to",
    "other", "connection_type", "cable", "sensor", "hybrid", "log_type", "severity", "text",
    "reason", "location", "measurements", "analysis", "limits", "setup", "conditions", "description", "files",
    "tested_by", "installed_by", "removed_by", "moved_by", "logged_by", "uploaded_by", "by",
    "resolution", "resolved_date", "notes", "legacy_id",
)
CONFIG_KEYS = ("schema_version", "name", "example", "main_branch", "review", "sync",
               "svt_install", "maintainers", "lfs", "max_file_mb", "positions", "detector",
               "site_url", "strict", "test_types")
DEFAULT_MAX_FILE_MB = 50
DEFAULT_NAME = "HPS SVT records"  # svt.yaml's name (svt init --name): the site's title
_KEYS = {"component": COMPONENT_KEYS, "config": CONFIG_KEYS}


def ordered(data: dict, keys: tuple[str, ...]) -> dict:
    """The canonical key order of a record: known keys first, others as they came."""
    out = {k: data[k] for k in keys if k in data and data[k] is not None}
    for k, v in data.items():
        if k not in out and v is not None:
            out[k] = v
    return out


class RecordRead(NamedTuple):
    """A record as one operation read it. The change that replaces it is decided on ``data``
    and must find ``text`` still in the file, else it is refused (compare before replace)."""

    folder: Path  # the record's folder: a component's own folder for its component.yaml
    path: str  # relative to the store's root
    data: dict
    text: str  # exactly what was read


_sha256_hex: Callable[[bytes], str] | None = None  # model.hashing's, imported on first use


def _short_hash(text: str) -> str:
    """Six hex digits of sha256: event tags and ids (model.hashing: without OpenSSL)."""
    global _sha256_hex
    if _sha256_hex is None:  # once: a rebuild of the index asks for 60,000 ids
        from ..model.hashing import sha256_hex
        _sha256_hex = sha256_hex
    return _sha256_hex(text.encode("utf-8"))[:6]


def event_tag(content: dict) -> str:
    """Six hex digits of sha256 over an event's canonical content (the tag in its name)."""
    return _short_hash(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str))


def event_id(rel_path: str) -> str:
    """The short id `svt show` prints beside an event and `svt show-test` takes: the tag in
    its file name (<stamp>_<name>_<tag>.yaml), or for a name without one (older svt, the
    legacy import) six hex digits of sha256 over its path in the store."""
    m = EVENT_NAME_RE.match(rel_path[rel_path.rfind("/") + 1:])
    if m is not None:
        tag = m.group("tag")
        if tag:
            return tag
    return _short_hash(rel_path)


def storable(name: str) -> bool:
    """Whether a file name, as Python decodes it (bytes that are no UTF-8 kept as
    surrogates), can be a record's: no record's name has such bytes (svt validate asks for
    a rename), and neither the query index nor an event's id can hold them."""
    if name.isascii():
        return True
    try:
        name.encode()
    except UnicodeEncodeError:
        return False
    return True


def record_of_component(path: str) -> str | None:
    """The id whose component record ``path`` is (records/TYPE/ID/component.yaml, nothing
    deeper); None for any other path."""
    parts = path.split("/")
    return parts[2] if len(parts) == 4 and parts[0] == RECORDS and parts[3] == COMPONENT_FILE \
        else None


def component_folder(path: str) -> str | None:
    """The component folder (records/<type>/<ID>) a store path lies in, or is; None for a
    path outside every component folder."""
    parts = path.split("/")
    return "/".join(parts[:3]) if parts[0] == RECORDS and len(parts) >= 3 else None


def record_kind(rel_path: str, data: dict) -> str | None:
    """Which record a file is: svt.yaml is the config, a component.yaml a component, and an
    event says its kind in ``kind:``; None when an event's kind is missing or not text."""
    if rel_path == CONFIG_FILE:
        return "config"
    if rel_path.endswith("/" + COMPONENT_FILE):
        return "component"
    declared = data.get("kind")
    return declared if isinstance(declared, str) else None


def render_record(rel_path: str, data: dict, kind: str) -> bytes:
    """The canonical text of a record: schema comment for editors, fixed key order."""
    ref = "../" * rel_path.count("/") + "schemas/" + schema.schema_file(kind)
    return yamlio.dump(ordered(data, _KEYS.get(kind, EVENT_KEYS)), ref).encode("utf-8")


def find_store(explicit: str | os.PathLike | None = None, cwd: str | None = None) -> Path:
    """Where the records live: option, SVT_REPO, enclosing store, then ~/.hps_svt_tracker."""
    if explicit:
        return Path(os.path.expanduser(str(explicit))).absolute()
    env = os.environ.get("SVT_REPO")
    if env:
        return Path(os.path.expanduser(env)).absolute()
    here = Path(cwd or os.getcwd()).absolute()
    for folder in (here, *here.parents):
        config = folder / CONFIG_FILE
        if config.is_file() and not _is_example(config):
            return folder
    return Path(os.path.expanduser(DEFAULT_HOME))


def _is_example(config: Path) -> bool:
    """An example store (svt's own records/) is used only when named with --repo/SVT_REPO.
    A file that never says "example" is parsed no further (every command run inside a
    store asks; loading the YAML parser costs 10-15 ms)."""
    try:
        if b"example" not in config.read_bytes():
            return False
        data = yamlio.load_file(config).data
    except (OSError, yamlio.YamlError):
        return False
    return isinstance(data, dict) and data.get("example") is True
