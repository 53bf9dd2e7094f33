"""``RecordReader``: finding and reading records: svt.yaml, a component by its id, the events
of a component. Reading needs no lock; a change reads under it and writes only over what it
read (:class:`~.layout.RecordRead`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from .. import model
from ..files import schema, yamlio
from ..model.errors import NotFoundError, Problem, RecordError, RuleViolation, SvtError
from .layout import (COMPONENT_FILE, CONFIG_FILE, DEFAULT_MAX_FILE_MB, RECORDS, RecordRead,
                     storable)
from .sparse import SparseView


class RecordReader(SparseView):
    """The records of a store, read and checked against its schemas."""

    # ---- config --------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        if self._config is None:
            self.require()
            self._config = self.load(CONFIG_FILE, kind="config")
        return self._config

    @property
    def max_file_bytes(self) -> int:
        return int(float(self.config.get("max_file_mb", DEFAULT_MAX_FILE_MB)) * 1024 * 1024)

    @property
    def main_branch(self) -> str:
        """The branch pull requests merge into: svt.yaml's main_branch, else the remote's
        default branch (or the one checked out)."""
        return str(self.config.get("main_branch") or self.repo.default_branch() or "main")

    @property
    def review_mode(self) -> bool:
        """svt.yaml says ``review: branch``: changes reach main only through reviewed
        branches, so svt commits only on a topic branch."""
        return self.config.get("review") == "branch"

    # ---- components ----------------------------------------------------------------------
    def find_component_dir(self, component_id: str) -> Path | None:
        """The folder of a component, whatever its type; None when there is none. An id
        under two types (two clones each added it, and git merged them) is refused."""
        base = self.records_dir()
        found = [base / ctype / component_id for ctype in self.enums.component_types
                 if (base / ctype / component_id / COMPONENT_FILE).is_file()]
        if len(found) > 1:
            paths = [self.rel(folder / COMPONENT_FILE) for folder in found]
            raise RecordError([Problem(path, 1, 1, f"id {component_id} has another record")
                               for path in paths],
                              f"{component_id} has {len(paths)} records, {' and '.join(paths)}:"
                              " an id names one component; keep one (git mv the other folder"
                              " to a new id and set its id field), then run svt validate")
        for folder in found:
            if folder.is_symlink() or folder.parent.is_symlink() or base.is_symlink():
                raise RecordError([Problem(self.rel(folder), 1, 1,
                                           "is a symbolic link; svt never follows links"
                                           " in records/: replace it with a real folder")])
            return folder
        ctype = self.outside_sparse().get(component_id)
        if ctype:
            raise SvtError(f"{component_id} is in {RECORDS}/{ctype}/, outside this"
                           " clone's sparse checkout, so svt cannot see it: include it with"
                           f" `git sparse-checkout add {RECORDS}/{ctype}`")
        return None

    def id_taken_ignoring_case(self, component_id: str) -> str | None:
        """An existing id equal to this one but for case (plain names: 100,000 in 30 ms)."""
        low = component_id.lower()
        for _, name in self.namesakes(component_id):
            return name
        return next((cid for cid in self.outside_sparse() if cid.lower() == low), None)

    def namesakes(self, component_id: str) -> Iterator[tuple[str, str]]:
        """(type, id) of the components whose id equals this one but for case (or not).
        Each type folder's names are joined and lower-cased at once and searched in C (a
        Python loop over 10,000 names took 10 ms): "\0".join(names).lower() is
        "\0".join(name.lower() for name in names), as NUL is no letter (not even final
        sigma's rule looks across it); a name whose lower case is longer takes the loop."""
        low = component_id.lower()
        if "\0" in low:
            return
        needle = f"\0{low}\0"
        base = self.records_dir()
        for ctype in self.enums.component_types:
            try:
                names = os.listdir(base / ctype)
            except (FileNotFoundError, NotADirectoryError):
                continue
            joined = f"\0{chr(0).join(names)}\0"
            lowered = joined.lower()
            if len(lowered) != len(joined):  # a character that lower-cases to two: slowly
                found = [name for name in names if name.lower() == low]
            else:
                found, at = [], lowered.find(needle)
                while at >= 0:
                    found.append(joined[at + 1:at + len(needle) - 1])
                    at = lowered.find(needle, at + 1)
            for name in found:
                if (base / ctype / name / COMPONENT_FILE).is_file():
                    yield ctype, name

    def check_new_id(self, component_id: str, *, also: dict[str, str] | None = None) -> None:
        """The case rule of a new component: no id may differ from an existing one (or one of
        ``also``, {lower-cased id: id}, created in the same change) only in case."""
        taken = (also or {}).get(component_id.lower()) or self.id_taken_ignoring_case(component_id)
        if taken:
            raise RuleViolation(f"id {component_id!r} differs from the existing {taken!r} only"
                                " in case, which collides on macOS and Windows; use"
                                f" {taken!r} or another id")

    # ---- reading -------------------------------------------------------------------------
    def load(self, rel_path: str, *, kind: str | None = None, check: bool = True,
             schema_dir: Path | None = None) -> dict:
        """Read a record, refusing it (RecordError, with file:line:col) when it is invalid.
        ``schema_dir``: :attr:`schema_dir`, when the caller (the index, reading thousands of
        records) already looked."""
        return self.read(rel_path, kind=kind, check=check, schema_dir=schema_dir).data

    def read(self, rel_path: str, *, kind: str | None = None, check: bool = True,
             schema_dir: Path | None = None) -> RecordRead:
        """Read a record as :meth:`load` does, keeping the text read: a change that replaces
        the record takes the read (:meth:`stage_replace`) and writes only over that text."""
        path = self.root / rel_path
        doc = None
        try:
            text = yamlio.read_text(path)
            data = yamlio.load_fast(text)
            if data is None:
                doc = yamlio.load(text)
                data = doc.data
        except FileNotFoundError:
            raise NotFoundError(f"{rel_path} does not exist") from None
        except yamlio.YamlError as exc:
            f = exc.finding
            raise RecordError([Problem(rel_path, f.line, f.column, f.message)]) from None
        if not isinstance(data, dict):
            raise RecordError([Problem(rel_path, 1, 1, "a record must be a mapping of fields"
                                                       " (key: value lines)")])
        if check:
            kind = kind or data.get("kind") or "component"
            found = schema.check(data, kind, schema_dir or self.schema_dir)
            if found:
                doc = doc or yamlio.load(text)  # the strict reader knows the lines
                problems = [Problem(rel_path, *doc.mark(p), msg) for p, msg in found]
                raise RecordError(problems, f"{problems[0].render()} (fix this file, or undo"
                                            " the edit with `git checkout -- FILE`)")
        return RecordRead(path.parent, rel_path, data, text)

    def component_record(self, component_id: str) -> tuple[Path, dict]:
        """(folder, record) of a component; :meth:`read_component` for a change."""
        read = self.read_component(component_id)
        return read.folder, read.data

    def read_component(self, component_id: str) -> RecordRead:
        """A component's component.yaml, read and checked (folder and id agree)."""
        folder = self.find_component_dir(component_id)
        if folder is None:
            near = self.id_taken_ignoring_case(component_id)
            hint = f" (did you mean {near}?)" if near else "; `svt list` shows the ids"
            raise NotFoundError(f"no component {component_id!r}{hint}")
        read = self.read(self.rel(folder / COMPONENT_FILE), kind="component")
        if read.data.get("id") != component_id:
            raise RecordError([Problem(read.path, 1, 1,
                                       f"id is {read.data.get('id')!r} but the folder is"
                                       f" {component_id!r}: make them agree")])
        return read

    def event_files(self, folder: Path) -> list[Path]:
        """Event YAML files of a component, oldest first (by file name = event date)."""
        found = []
        try:
            years = sorted(e.name for e in os.scandir(folder)
                           if e.is_dir(follow_symlinks=False) and e.name.isdigit())
        except FileNotFoundError:
            return []
        for year in years:
            for entry in os.scandir(folder / year):
                if entry.name.endswith(".yaml") and entry.is_file(follow_symlinks=False) \
                        and storable(entry.name):
                    found.append(Path(entry.path))
        found.sort(key=lambda p: (p.name[:15], p.name))
        return found

    def events(self, component_id: str, *, kinds: tuple[str, ...] | None = None) -> list[dict]:
        """The component's events in order, each with its ``_path``; only ``kinds``, if given."""
        return self.events_in(self.read_component(component_id).folder, kinds=kinds)

    def events_in(self, folder: Path, *, kinds: tuple[str, ...] | None = None) -> list[dict]:
        """:meth:`events` of the component in ``folder``, its record already read."""
        out = []
        for path in self.event_files(folder):
            data = self.load(self.rel(path))
            if kinds is None or data.get("kind") in kinds:
                data = dict(data)
                data["_path"] = self.rel(path)
                out.append(data)
        out.sort(key=lambda e: model.event_order(model.parse_date(e["date"]), e.get("recorded"),
                                                 e["_path"].rsplit("/", 1)[-1]))
        return out

