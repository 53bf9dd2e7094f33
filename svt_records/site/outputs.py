"""The files a build writes into OUT and the one rule by which it keeps them: an output
is kept when the last build wrote it from inputs of the same hash and the file is still
there. Pages are rendered here from the Jinja2 templates, each file written whole.

Every file the site writes or removes goes through :meth:`SiteOutputs.path` (or
:meth:`~SiteOutputs.remove`): its path must be a plain relative one (no "..", no empty or
absolute part) and every folder on its way a real folder inside OUT (made here when
missing; a symbolic link is refused), so nothing is ever written outside OUT, whatever names
the records hold or OUT held before. A file is written to a temporary name opened with
``O_NOFOLLOW`` and renamed over its target (which replaces a link, never follows it)."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator
from urllib.parse import quote

from .. import __version__
from ..model import registry
from ..model.errors import InvalidInput
from . import FILE_MODE, component_page

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class OutsideOut(InvalidInput):
    """A path the site was to write that is not plainly inside OUT."""


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
        self._folders: set[str] = set()  # folders of OUT seen to be real folders
        # the pages being rendered by forked processes (start_aside), up to _aside_jobs
        self._aside: list[tuple[Any, str, str, dict]] | None = None
        self._aside_jobs = 1

    # ---- the one way into OUT ----------------------------------------------------------
    def path(self, rel: str) -> Path:
        """OUT/rel, to be written: refused (:class:`OutsideOut`) unless ``rel`` is a plain
        relative path and every folder on its way is a real folder of OUT (made if
        missing)."""
        parts = _parts(rel)
        if parts is None:
            raise OutsideOut(f"svt site will not write {rel!r}: it is not a plain path inside"
                             f" {self.out}; a record names it (svt validate says which)")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if folder in self._folders:
                continue
            full = self.out / folder
            try:
                os.mkdir(full)
            except FileExistsError:
                pass
            if not stat.S_ISDIR(os.lstat(full).st_mode):
                raise OutsideOut(f"{full} is a symbolic link or a file, where svt site writes"
                                 " a folder: it writes only inside OUT; remove it, or build"
                                 " into an empty folder")
            self._folders.add(folder)
        return self.out / rel

    @contextmanager
    def writing(self, rel: str, times: tuple[int, int] | None = None) -> Iterator[BinaryIO]:
        """A file to write OUT/rel through, put in place whole when the block ends (with
        ``times``, (atime, mtime) in ns, set first)."""
        target = self.path(rel)
        tmp = target.with_name(f".{target.name}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(tmp, flags, FILE_MODE)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            os.unlink(tmp)  # a link left in the way: removed, never followed
            fd = os.open(tmp, flags, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh
            if times is not None:
                os.utime(tmp, ns=times)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def write(self, rel: str, data: bytes) -> None:
        """Write OUT/rel whole (a reader never sees half of it)."""
        with self.writing(rel) as fh:
            fh.write(data)

    def remove(self, rel: str, *, tree: bool = False) -> None:
        """Remove OUT/rel (a folder and all it holds with ``tree``) if it is there, plainly
        inside OUT: a path that is not, or that passes a link, is left alone (the manifest
        naming it is a file anyone can edit)."""
        parts = _parts(rel)
        if parts is None:
            return
        base = self.out
        for part in parts[:-1]:
            base = base / part
            try:
                if not stat.S_ISDIR(os.lstat(base).st_mode):
                    return
            except OSError:
                return
        target = base / parts[-1]
        try:
            mode = os.lstat(target).st_mode
        except OSError:
            return
        if stat.S_ISDIR(mode):
            if tree:
                shutil.rmtree(target, ignore_errors=True)  # unlinks links, never follows
        else:
            target.unlink(missing_ok=True)

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
            env.filters["size"] = registry.format_size  # as `svt show` prints it
            env.globals["svt_version"] = __version__
            from .display import add_filters  # dates, SI values, verdict badges
            add_filters(env)
            self.env = env
        return self.env

    def page(self, rel: str, template: str, context: dict, aside: bool = False) -> bool:
        """Render ``template`` into OUT/rel unless its inputs are those of the last build
        (and the file is there). True if it wrote (with ``aside``, and :meth:`start_aside`
        called: it is rendered by a forked process of its own meanwhile, and written when
        :meth:`finish_aside` returns)."""
        depth = rel.count("/")
        context = dict(context, root="../" * depth, here=rel)
        digest = input_hash([template, context, __version__])
        self.hashes[rel] = digest
        if self.still_there(rel, digest):
            self.result.pages_kept += 1
            return False
        if aside and self._aside is not None:
            self._render_aside(rel, template, context)
        else:
            self._render(rel, template, context)
        self.result.pages_written += 1
        self.result.written.append(rel)
        return True

    def _render(self, rel: str, template: str, context: dict) -> None:
        html = self.environment().get_template(template).render(**context)
        self.write(rel, html.encode("utf-8"))

    def start_aside(self, jobs: int) -> None:
        """From now on, render the pages :meth:`page` is told to put ``aside`` (the big
        store-wide ones, a second or more each) in forked processes, up to ``jobs`` at a
        time, while this one goes on."""
        from ..index.queries import fork_available
        if jobs >= 2 and fork_available():
            self.environment()  # loaded once, inherited
            self._aside = []
            self._aside_jobs = jobs

    def _render_aside(self, rel: str, template: str, context: dict) -> None:
        import multiprocessing
        assert self._aside is not None
        running = [p for p in self._aside if p[0].is_alive()]
        if len(running) >= self._aside_jobs:
            running[0][0].join()
        # (a forked process inherits the context: nothing is copied or pickled)
        process = multiprocessing.get_context("fork").Process(
            target=_render_aside, args=(self, rel, template, context), daemon=True)
        process.start()
        self._aside.append((process, rel, template, context))

    def finish_aside(self) -> None:
        """Wait for the pages put aside; one whose process failed is rendered here again
        (so that its error, if any, is raised here)."""
        aside, self._aside = self._aside or [], None
        for process, rel, template, context in aside:
            process.join()
            if process.exitcode != 0:
                self._render(rel, template, context)


def _render_aside(outputs: SiteOutputs, rel: str, template: str, context: dict) -> None:
    try:
        outputs._render(rel, template, context)
    except BaseException:
        os._exit(1)  # (the parent renders it again and says why)
    os._exit(0)


def input_hash(value: Any) -> str:
    """The hash of an output's inputs (JSON, keys sorted), as the manifest holds it."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _parts(rel: str) -> list[str] | None:
    """The names of a plain relative path ("a/b/c"), None for anything else (the rule:
    :func:`svt_records.model.names.path_parts`)."""
    from ..model.names import path_parts  # (imported here: this change stays inside _parts)
    return path_parts(rel)


def _value_text(value: Any) -> str:
    """A field's or attribute's value as `svt show` prints it (model.registry), an empty cell
    for none."""
    return "" if value is None else registry.format_value(value)
