"""The files a build writes into OUT and the one rule by which it keeps them: an output
is kept when the last build wrote it from inputs of the same hash and the file is still
there. Pages are rendered here from the Jinja2 templates, each file written whole."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from . import component_page


@dataclass
class BuildResult:
    """What a build did (the CLI reports it)."""

    out: Path
    full: bool = True
    components: int = 0
    pages_written: int = 0
    pages_kept: int = 0
    plots_drawn: int = 0
    plots_kept: int = 0
    labels_written: int = 0
    labels_kept: int = 0
    problems: int = 0
    notes: list[str] = field(default_factory=list)  # said once each (e.g. no labels)
    written: list[str] = field(default_factory=list)  # paths relative to OUT


class SiteOutputs:
    """OUT, the last build's manifest (``old``; {} for none) and, for this build, the input
    hash of every output (``hashes``: path relative to OUT -> hash) and what was written or
    kept (``result``)."""

    def __init__(self, out: Path, old: dict) -> None:
        self.out = out
        self.old = old
        self.hashes: dict[str, str] = {}  # output path -> input hash, this build
        self.result = BuildResult(out)
        self.env: Any = None

    def still_there(self, rel: str, digest: str | None = None) -> bool:
        """Whether the last build wrote OUT/rel (from inputs of hash ``digest``, if given)
        and the file is still there: the one rule by which an output is kept rather than
        made again."""
        old = (self.old.get("outputs") or {}).get(rel)
        return old is not None and (digest is None or old == digest) and \
            (self.out / rel).is_file()

    def keep(self, prefix: str) -> None:
        """Keep what the last build wrote under ``prefix`` (its inputs did not change)."""
        for rel, digest in (self.old.get("outputs") or {}).items():
            if rel.startswith(prefix) and self.still_there(rel):
                self.hashes[rel] = digest
                if rel.endswith(".html"):
                    self.result.pages_kept += 1
                else:
                    self.result.plots_kept += 1

    def environment(self) -> Any:
        if self.env is None:
            import jinja2
            env = jinja2.Environment(loader=jinja2.PackageLoader("svt_records.site", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
            env.filters["url"] = lambda text: quote(str(text))
            env.filters["page"] = component_page
            env.filters["short"] = lambda sha: str(sha)[:10]
            env.filters["day"] = lambda text: str(text or "")[:10]
            env.filters["when"] = lambda text: str(text or "")[:16].replace("T", " ")
            env.filters["value"] = _value_text
            env.filters["size"] = _size_text
            env.globals["svt_version"] = __version__
            self.env = env
        return self.env

    def page(self, rel: str, template: str, context: dict) -> bool:
        """Render ``template`` into OUT/rel unless its inputs are those of the last build
        (and the file is there). True if it wrote."""
        depth = rel.count("/")
        context = dict(context, root="../" * depth, here=rel)
        digest = input_hash([template, context, __version__])
        self.hashes[rel] = digest
        target = self.out / rel
        if self.still_there(rel, digest):
            self.result.pages_kept += 1
            return False
        html = self.environment().get_template(template).render(**context)
        write_whole(target, html.encode("utf-8"))
        self.result.pages_written += 1
        self.result.written.append(rel)
        return True


def input_hash(value: Any) -> str:
    """The hash of an output's inputs (JSON, keys sorted), as the manifest holds it."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:32]


def write_whole(target: Path, data: bytes) -> None:
    """Write a file whole (a reader never sees half of it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _value_text(value: Any) -> str:
    if isinstance(value, dict) and "value" in value:
        unit = value.get("unit")
        return f"{_value_text(value['value'])}{' ' + unit if unit else ''}"
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return ""
    return str(value)


def _size_text(size: Any) -> str:
    if not isinstance(size, int):
        return ""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return ""
