"""``Database``: the Python API of a records repository; each change is one git commit."""
from __future__ import annotations

import copy
import os
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple, Sequence

from .. import model
from ..model import registry
from ..files import schema, yamlio
from ..model.errors import InvalidInput, NotFoundError, RuleViolation, SvtError
from ..git.config import MERGE_ATTRIBUTE
from ..git.lfs import LFS_SETUP
from ..store.base import (COMPONENT_FILE, CONFIG_FILE, RECORDS, RecordRead, StoreBase, event_id,
                    under_lock)
from ..store.txn import Change, sha256_file

if TYPE_CHECKING:
    import git

EDITABLE_FIELDS = ("type", "serial_number", "asset_tag", "manufacturer", "manufacture_date",
                   "status", "location", "notes")


def event_time(date: str | datetime | None) -> datetime:
    """When an event happened: the given date, or now. A date more than a day ahead is a typo
    (the legacy import, which writes the past as it was, does not come through here)."""
    if not date:
        return model.now()
    when = model.parse_date(date)
    if model.in_future(when):
        now = model.now()
        raise InvalidInput(f"date {model.format_date(when)} is more than a day in the future"
                           f" (now is {model.format_date(now)}): give the date it happened, e.g."
                           f" {now.date().isoformat()}, or leave out the date for now")
    return when


def check_test_content(passed: bool | None, measurements: dict | None, files: int) -> None:
    """A test result must say something: a verdict, a measurement or a stored file."""
    if passed is None and not measurements and not files:
        raise InvalidInput("a test needs a result: give --pass or --fail, a measurement"
                           " (--measure NAME=VALUE) or a file (--images/--data)")


class ComponentWrite(NamedTuple):
    """A component record to write, as :meth:`Database.component_write` decided it."""

    path: str  # records/<type>/<id>/component.yaml
    record: dict  # the new record
    old: RecordRead | None  # the record it replaces, as read; None for a new component
    changes: list[str]  # "field old -> new" for each change; empty when nothing changes

    def stage(self, db: "Database", change: Change) -> None:
        """Add the record to ``change`` (replacing the old one only as it was read)."""
        if self.old is None:
            change.contents[self.path] = db.record_bytes(self.path, self.record, "component")
            return
        db.stage_replace(change, self.old, self.record, "component")
        place, was = self.record.get("location"), self.old.data.get("location")
        if place and place != was:  # a move, as `svt location` records it (validate compares)
            db.stage_event(change, self.old, kind="move", name="move", date=model.now(),
                           event={"from": was, "to": place, "moved_by": db._by(None)})


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = str(text)
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInput("text contains control characters; remove them")
    return text.strip() or None


class Database(StoreBase):
    """A records repository. ``Database(path)`` opens (or, with ``initialize_schema()``,
    creates) the store at ``path``; without a path it finds one as the CLI does.

    ``Database(db_path, data_dir)``, the original tracker's form, opens the store in the
    folder that holds ``db_path`` (``~/.hps_svt_tracker/svt_components.db`` is svt's default
    store, ``~/.hps_svt_tracker``); ``data_dir`` is kept as an attribute only, since stored
    files live beside their records in the store."""

    def __init__(self, path: str | os.PathLike | None = None,
                 data_dir: str | os.PathLike | None = None) -> None:
        self.db_path = None if path is None else str(path)
        self.data_dir = None if data_dir is None else str(data_dir)
        if path is not None and data_dir is not None:
            path = Path(os.path.expanduser(str(path))).absolute().parent
        super().__init__(path)

    # ---- creation -----------------------------------------------------------------------
    def initialize_schema(self, *, lfs: bool = False, extra_files: dict[str, bytes] | None = None,
                          ci: bool = True, svt_install: str | None = None,
                          maintainers: tuple[str, ...] = (), review: str | None = None,
                          pages: bool = False) -> bool:
        """Create the store (git repository, svt.yaml, schemas/, records/). False if it
        already existed. ``svt_install`` is what the CI files install (default: this svt's
        release); ``maintainers`` own the rules in CODEOWNERS; ``review`` "branch" makes svt
        commit only on topic branches."""
        if self.exists:
            return False
        if self.root.is_file():
            self.require()
        if lfs and not self.repo.lfs_available():
            raise InvalidInput(f"--lfs needs git-lfs, which is not installed: {LFS_SETUP},"
                               " or leave out --lfs")
        new_repo = not (self.root / ".git").exists()
        # an existing repository keeps its own default branch (e.g. master)
        main = "main" if new_repo else self.repo.default_branch() or "main"
        from ..collab.forge import DEFAULT_INSTALL, ci_files, codeowners
        config: dict = {"schema_version": 1, "name": self.root.name, "main_branch": main,
                        "svt_install": svt_install or DEFAULT_INSTALL}
        if maintainers:
            config["maintainers"] = list(maintainers)
        if review:
            config["review"] = review
        if lfs:
            config["lfs"] = True
        from ..analysis.testtypes import DEFAULT_TEST_TYPES
        config["test_types"] = copy.deepcopy(DEFAULT_TEST_TYPES)
        files: dict[str, bytes] = {}
        files[CONFIG_FILE] = self.record_bytes(CONFIG_FILE, config, "config")  # checks first
        self.root.mkdir(parents=True, exist_ok=True)
        if new_repo:
            self.repo.init(initial_branch=main)
        if lfs:
            self.repo.lfs_install()
        src = schema.package_schema_dir()
        for name in schema.SCHEMA_NAMES:
            files[f"schemas/{name}.schema.json"] = (src / f"{name}.schema.json").read_bytes()
        files[f"{RECORDS}/README.md"] = _RECORDS_README.encode()
        if lfs:
            files[".gitattributes"] = (_LFS_ATTRIBUTES + "\n" + _MERGE_ATTRIBUTES).encode()
        elif not (self.root / ".gitattributes").exists():
            files[".gitattributes"] = _MERGE_ATTRIBUTES.encode()
        if not (self.root / ".gitignore").exists():
            files[".gitignore"] = _GITIGNORE.encode()
        if ci:
            generated = {**ci_files(config["svt_install"], main), **codeowners(maintainers)}
            files.update({p: b for p, b in generated.items() if not (self.root / p).exists()})
        if pages:
            files.update(self._pages_change(config["svt_install"], main, files).contents)
        files.update(extra_files or {})
        for path in list(files):  # e.g. svt's own repository already holds schemas/
            existing = self.root / path
            if existing.is_file() and existing.read_bytes() == files[path]:
                del files[path]
            elif existing.exists():
                raise SvtError(f"{path} already exists in {self.root} and differs from what svt"
                               " would write: move it away, then run svt init again")
        self._config = config
        self.commit(Change(f"init {self.root.name}: new svt records store", contents=files),
                    creating=True)
        return True

    @under_lock
    def enable_lfs(self) -> str | None:
        """Store images and data files with Git LFS from now on (``svt init --lfs`` on an
        existing store): .gitattributes gets svt's LFS patterns, svt.yaml ``lfs: true``, and
        the stored files those patterns cover go through the LFS filter, in one commit (older
        commits keep their plain copies). Returns the commit; None when all was so already."""
        if not self.repo.lfs_available():
            raise InvalidInput(f"--lfs needs git-lfs, which is not installed: {LFS_SETUP}")
        read = self.read(CONFIG_FILE, kind="config")
        config = read.data
        attributes = self.root / ".gitattributes"
        old = yamlio.read_text(attributes) if attributes.is_file() else ""  # as apply compares
        have = set(old.splitlines())
        missing = [line for line in _LFS_ATTRIBUTES.splitlines()
                   if line not in have and not line.startswith("#")]
        self.repo.lfs_install()
        if config.get("lfs") is True and not missing:
            return None
        change = Change("init --lfs: store images and data files with Git LFS")
        if missing:
            if old:
                text = old + ("" if old.endswith("\n") else "\n") + "\n" + "\n".join(
                    [_LFS_ATTRIBUTES.splitlines()[0], *missing]) + "\n"
                change.expected[".gitattributes"] = old
            else:
                text = _LFS_ATTRIBUTES
            change.contents[".gitattributes"] = text.encode("utf-8")
        if config.get("lfs") is not True:
            self.stage_replace(change, read, dict(config, lfs=True), "config")
        # stored files (not the records) are committed again through the new attributes
        change.rehash = [p for p in self.repo.tracked(RECORDS)
                         if not p.endswith(".yaml") and p != f"{RECORDS}/README.md"]
        commit = self.commit(change)
        self._config = None
        return commit

    def _pages_change(self, install: str, main: str, pending: dict[str, bytes]) -> Change:
        """The Pages CI (ci_templates.pages_files) as a change; a file there already is
        kept (the GitLab job is added to .gitlab-ci.yml, ``pending`` or on disk)."""
        from ..collab.forge import GITLAB_FILE, pages_files
        change = Change(f"init --pages: publish the records' web site from {main}")
        gitlab = self.root / GITLAB_FILE
        old = None
        if GITLAB_FILE in pending:
            text = pending[GITLAB_FILE].decode("utf-8")
        elif gitlab.is_file():
            text = old = yamlio.read_text(gitlab)
        else:
            text = None
        for path, data in pages_files(install, main, text).items():
            if path == GITLAB_FILE:
                change.contents[path] = data
                if old is not None:
                    change.expected[path] = old
            elif not (self.root / path).exists():
                change.contents[path] = data
        return change

    @under_lock
    def enable_pages(self) -> str | None:
        """Publish `svt site` from the main branch (``svt init --pages`` on an existing
        store): a GitHub Pages workflow and a GitLab ``pages`` job, in one commit. Returns
        the commit; None when both were there already."""
        from ..collab.forge import DEFAULT_INSTALL
        config = self.read(CONFIG_FILE, kind="config").data
        main = config.get("main_branch") or self.repo.default_branch() or "main"
        change = self._pages_change(config.get("svt_install") or DEFAULT_INSTALL, main, {})
        if not change.contents:
            return None
        return self.commit(change)

    # ---- components ---------------------------------------------------------------------
    def get_component(self, component_id: str) -> dict | None:
        """The component's record (its component.yaml) or None when there is none."""
        self.require()
        model.check_id(component_id)
        try:
            return self.read_component(component_id).data
        except NotFoundError:
            return None

    @under_lock
    def save_component(self, component_id: str, fields: dict[str, Any], *,
                       attributes: dict[str, Any] | None = None) -> tuple[str, bool]:
        """Create a component, or update only the given fields of an existing one.

        Returns (commit, created)."""
        write = self.component_write(component_id, fields, attributes=attributes)
        if write.old is None:
            message = f"add {component_id}: new {write.record['type']}, {write.record['status']}"
        elif not write.changes:
            raise InvalidInput(f"nothing to change: {component_id} already has these values")
        else:
            message = f"update {component_id}: {'; '.join(write.changes)}"
        change = Change(message)
        write.stage(self, change)
        return self.commit(change), write.old is None

    def component_write(self, component_id: str, fields: dict[str, Any], *,
                        attributes: dict[str, Any] | None = None,
                        also: dict[str, str] | None = None) -> "ComponentWrite":
        """Check a component's new or changed fields and attributes by the rules every path
        shares (the Python API, `svt add`, `svt add --from-csv`) and return the record to
        write; ``also`` holds the ids ({lower-cased: id}) the same change creates."""
        model.check_id(component_id)
        fields = {k: _clean(v) if isinstance(v, str) else v for k, v in fields.items()
                  if v is not None}
        unknown = set(fields) - set(EDITABLE_FIELDS)
        if unknown:
            raise InvalidInput(f"unknown field(s) {', '.join(sorted(unknown))}: use"
                               f" {', '.join(EDITABLE_FIELDS)}")
        if "type" in fields:
            model.check_type(fields["type"], self.enums)
        if "status" in fields:
            model.check_status(fields["status"], self.enums)
        attributes = model.check_attributes(attributes or {})
        folder = self.find_component_dir(component_id)
        if folder is None:
            self.check_new_id(component_id, also=also)
            if "type" not in fields:
                raise InvalidInput(f"{component_id} is a new component: give its --type (one of"
                                   f" {', '.join(self.enums.component_types)})")
            record = {"id": component_id, "type": fields["type"],
                      "status": fields.get("status", "incoming"), **fields,
                      "attributes": attributes or None,
                      "created": model.format_date(model.now())}
            self._note_installed_nowhere(record)
            path = f"{RECORDS}/{fields['type']}/{component_id}/{COMPONENT_FILE}"
            return ComponentWrite(path, record, None, [])
        read = self.read_component(component_id)
        old = read.data
        if "type" in fields and fields["type"] != old["type"]:
            raise RuleViolation(f"{component_id} is a {old['type']}; its type cannot change"
                                " (add a new component instead)")
        new = dict(old)
        new.update(fields)
        if attributes:
            new["attributes"] = {**(old.get("attributes") or {}), **attributes}
        describe = registry.describe_change
        changes = [describe(k, old.get(k), new.get(k)) for k in fields if new.get(k) != old.get(k)]
        old_attrs, new_attrs = old.get("attributes") or {}, new.get("attributes") or {}
        changes += [describe(f"attribute {k}", old_attrs.get(k), new_attrs.get(k))
                    for k in new_attrs if new_attrs.get(k) != old_attrs.get(k)]
        if old.get("status") != "installed":
            self._note_installed_nowhere(new)
        return ComponentWrite(read.path, new, read, changes)

    def _note_installed_nowhere(self, record: dict) -> None:
        """Status installed without a position is allowed (the original tracker's API does
        it), but the record is incomplete: say so, as validate's warning does."""
        if record.get("status") == "installed" and not record.get("position"):
            self.notes.append(f"{record['id']} is installed but has no position: record where"
                              f" with `svt install {record['id']} POSITION`")

    def list_components(self, *, component_type: str | None = None, status: str | None = None,
                        location: str | None = None, position: str | None = None,
                        attributes: Sequence[str] = ()) -> list[dict]:
        """Component records matching all the given filters, sorted by type then id.
        ``attributes``: ``KEY=VALUE`` (the attribute prints as VALUE) or ``KEY`` (it has one),
        all of which must hold."""
        self.require()
        if component_type:
            model.check_type(component_type, self.enums)
        if status:
            model.check_status(status, self.enums)
        keep = self.attribute_filter(attributes)
        from ..index.queries import Index
        rows = Index(self).components(component_type, status, location, position)
        return [r for r in rows if keep(r)]

    @staticmethod
    def attribute_filter(attributes: Sequence[str]) -> Any:
        """A test of component records for `svt list --attr` (``KEY=VALUE`` or ``KEY``;
        all must hold), checked before any record is read."""
        filters = [model.parse_attribute_filter(text) for text in attributes]
        return lambda record: model.attributes_match(record.get("attributes"), filters)

    # ---- the changes of a component -----------------------------------------------------
    def _by(self, who: str | None) -> str:
        return _clean(who) or self.repo.identity().name

    def stage_event(self, change: Change, component: RecordRead, *, kind: str, name: str,
                    date: datetime, event: dict, copies: Sequence[tuple[Path, str, str]] = ()
                    ) -> str:
        """Add one event (and its stored files) of ``component`` (its component.yaml as
        read) to ``change``; returns the event's path."""
        taken = {self.root / p for p in change.contents}
        event = {"kind": kind, "date": model.format_date(date), "component": component.data["id"],
                 **event}
        recorded = model.recorded_now()  # names the file even where the schema lacks the field
        if schema.knows_field(kind, "recorded", self.schema_dir):
            event["recorded"] = recorded
        content = dict(event, recorded=recorded, files=[str(c[2]) for c in copies])
        path = self.new_event_path(component.folder, date, name, content, taken=taken)
        rel = self.rel(path)
        stored = stage_files(change, rel.rsplit("/", 1)[0], path.name[:-len(".yaml")], copies)
        if stored:
            event["files"] = stored
        change.contents[rel] = self.record_bytes(rel, event, kind)
        return rel

    def _event_change(self, component: RecordRead, kind: str, name: str, date: datetime,
                      event: dict, message: str,
                      updates: Sequence[tuple[RecordRead, dict]] = (),
                      copies: Sequence[tuple[Path, str, str]] = ()) -> tuple[str, str]:
        """Write one event of ``component`` (plus component.yaml updates) as one commit.

        ``updates`` pairs component records as read with their new contents; ``copies`` are
        files (source, kind, suffix) stored beside the event. Returns (commit, event path)."""
        change = Change(message)
        rel = self.stage_event(change, component, kind=kind, name=name, date=date, event=event,
                               copies=copies)
        for read, record in updates:
            self.stage_replace(change, read, record, "component")
        return self.commit(change), rel

    def test_event(self, test_type: str, *, passed: bool | None, measurements: dict[str, Any],
                   tested_by: str | None, setup: str | None, conditions: str | None,
                   notes: str | None) -> dict[str, Any]:
        """The fields of a test event (checked measurements; texts cleaned, the tester by
        default the git user), as record_test and `svt test --from-csv` write them."""
        return {"test_type": test_type,
                "result": None if passed is None else ("pass" if passed else "fail"),
                "measurements": measurements or None, "tested_by": self._by(tested_by),
                "setup": _clean(setup), "conditions": _clean(conditions), "notes": _clean(notes)}

    @under_lock
    def record_test(self, component_id: str, test_type: str, *, passed: bool | None = None,
                    measurements: dict[str, Any] | None = None, images: Iterable[str] = (),
                    data_files: Iterable[str] = (), plots: Iterable[str] = (),
                    log_files: Iterable[str] = (), tested_by: str | None = None,
                    notes: str | None = None, setup: str | None = None,
                    conditions: str | None = None, date: str | datetime | None = None) -> str:
        """Record a test result; files are copied beside it, each with its kind (image,
        raw data, plot, log file). Returns the event's path."""
        model.check_id(component_id)
        model.check_test_type(test_type)
        when = event_time(date)
        checked = check_measurements(measurements or {})
        copies = [(self.copy_source(f, what), kind, Path(f).name)
                  for files, kind, what in ((images, "image", "image"),
                                            (data_files, "data", "data file"),
                                            (plots, "plot", "plot"),
                                            (log_files, "log", "log file"))
                  for f in files]
        check_test_content(passed, checked, len(copies))
        component = self.read_component(component_id)
        from ..store import testrun
        definition = testrun.definition_for(self, test_type)
        event = self.test_event(test_type, passed=passed, measurements=checked,
                                tested_by=tested_by, setup=setup, conditions=conditions,
                                notes=notes)
        event["component"] = component_id
        scratch: Any = nullcontext("")  # a folder for the plot only where data is analysed
        if any(kind == "data" for _, kind, _ in copies):
            import tempfile
            scratch = tempfile.TemporaryDirectory(prefix="svt-analysis-")
        with scratch as plot_dir:
            # the analysis reads the data file before anything is written; its plot is
            # copied in with the change
            testrun.complete_new_test(self, event, definition, component.data["type"], passed,
                                      copies, Path(plot_dir))
            result = event.get("result") or "no result"
            extra = f", {len(copies)} file(s)" if copies else ""
            _, rel = self._event_change(component, "test", test_type, when, event,
                                        f"test {component_id}: {test_type} {result}{extra}",
                                        copies=copies)
        return rel

    @under_lock
    def reanalyze(self, test_type: str, *, component_ids: Sequence[str] = ()
                  ) -> tuple[str | None, list[str]]:
        """Re-run the analysis of ``test_type`` (svt.yaml's definition) on the stored data of
        its results, of ``component_ids`` or all, updating derived values in one commit;
        values typed by hand stay. Returns (commit or None, one line per changed result)."""
        from ..store.testrun import reanalyze
        return reanalyze(self, test_type, tuple(component_ids))

    def test_types(self) -> dict[str, Any]:
        """svt.yaml's test definitions by name (:class:`testtypes.TestType`)."""
        from ..analysis.testtypes import definitions
        return definitions(self.config)

    @under_lock
    def install(self, component_id: str, position: str, *, run_period: str | None = None,
                installed_by: str | None = None, notes: str | None = None,
                date: str | datetime | None = None) -> str:
        model.check_id(component_id)
        read = self.read_component(component_id)
        record = read.data
        model.check_position(position, record["type"], self.config.get("positions"))
        if record.get("position"):
            raise RuleViolation(f"{component_id} is already installed at {record['position']}:"
                                f" `svt remove {component_id}` first")
        if record["status"] in model.OUT_OF_SERVICE:
            raise RuleViolation(f"{component_id} is {record['status']}; set another status first"
                                f" (svt add --id {component_id} --status spare)")
        holder = self.installed_at(position)
        if holder:
            raise RuleViolation(f"position {position} already holds {holder}: remove it first"
                                f" (svt remove {holder})")
        when = event_time(date)
        new = dict(record, status="installed", position=position,
                   run_period=_clean(run_period), installed_date=model.format_date(when))
        event = {"position": position, "run_period": _clean(run_period),
                 "installed_by": self._by(installed_by), "notes": _clean(notes)}
        period = f" for {run_period}" if run_period else ""
        _, rel = self._event_change(read, "install", "install", when, event,
                                    f"install {component_id}: at {position}{period}",
                                    updates=[(read, new)])
        return rel

    def installed_at(self, position: str) -> str | None:
        """The id of the component installed at ``position``, if any."""
        from ..index.queries import Index
        rows = Index(self).components(position=position)
        if rows:
            return rows[0]["id"]
        return next((cid for cid, data in sorted(self.outside_sparse_records().items())
                     if data.get("position") == position), None)

    @under_lock
    def remove(self, component_id: str, *, reason: str | None = None, removed_by: str | None = None,
               location: str | None = None, notes: str | None = None,
               date: str | datetime | None = None, status: str | None = None) -> str:
        model.check_id(component_id)
        read = self.read_component(component_id)
        record = read.data
        if not record.get("position"):
            raise RuleViolation(f"{component_id} is not installed, so it cannot be removed"
                                f" (status {record['status']})")
        if status:
            model.check_status(status, self.enums)
            if status == "installed":
                raise InvalidInput("a removed component cannot have status installed")
        when = event_time(date)
        if record.get("installed_date") and model.to_utc(when) < model.to_utc(
                model.parse_date(record["installed_date"])):
            raise InvalidInput(f"removal date {model.format_date(when)} is before the installation"
                               f" on {record['installed_date']}")
        new = dict(record)
        for key in ("position", "run_period", "installed_date"):
            new.pop(key, None)
        new["status"] = status or ("spare" if record["status"] == "installed" else record["status"])
        if location:
            new["location"] = _clean(location)
        event = {"position": record["position"], "run_period": record.get("run_period"),
                 "reason": _clean(reason), "removed_by": self._by(removed_by),
                 "location": _clean(location), "notes": _clean(notes)}
        why = f" ({reason})" if reason else ""
        _, rel = self._event_change(read, "remove", "remove", when, event,
                                    f"remove {component_id}: from {record['position']}{why}",
                                    updates=[(read, new)])
        return rel

    @under_lock
    def set_location(self, component_id: str, location: str, *, moved_by: str | None = None,
                     notes: str | None = None, date: str | datetime | None = None) -> str:
        model.check_id(component_id)
        location = _clean(location) or ""
        if not location:
            raise InvalidInput("the new location is empty: give a place such as \"Clean Room\"")
        read = self.read_component(component_id)
        record = read.data
        if record.get("location") == location:
            raise InvalidInput(f"{component_id} is already at {location}")
        new = dict(record, location=location)
        event = {"from": record.get("location"), "to": location, "moved_by": self._by(moved_by),
                 "notes": _clean(notes)}
        _, rel = self._event_change(read, "move", "move", event_time(date), event,
                                    f"move {component_id}: to {location}",
                                    updates=[(read, new)])
        return rel

    @under_lock
    def add_log(self, component_id: str, text: str, *, log_type: str = "note",
                severity: str = "info", logged_by: str | None = None,
                date: str | datetime | None = None, kind: str = "log",
                resolution: str | None = None, images: Sequence[str] = ()) -> str:
        """Add a log entry (or, with ``kind="comment"``, a comment); ``images`` are photos
        stored beside it as a test's images are. Returns the event's path."""
        model.check_id(component_id)
        model.check_choice(log_type, self.enums.log_types, "log type")
        model.check_choice(severity, self.enums.severities, "severity")
        text = _clean(text) or ""
        if not text:
            raise InvalidInput("the log text is empty: say what happened")
        if images and not schema.knows_field("log", "files", self.schema_dir):
            raise InvalidInput("this store's schemas/log.schema.json predates photos on log"
                               " entries: add its `files` property as in"
                               f" {registry.package_schema_dir() / 'log.schema.json'} (or"
                               " store the photo with svt attach)")
        copies = [(self.copy_source(f, "image"), "image", Path(f).name) for f in images]
        event = {"log_type": log_type, "severity": severity, "text": text,
                 "logged_by": self._by(logged_by), "resolution": _clean(resolution)}
        first = text.splitlines()[0]
        short = first if len(first) <= 60 else first[:57] + "..."
        verb = "comment" if kind == "comment" else "log"
        extra = f" ({len(copies)} image(s))" if copies else ""
        when = event_time(date)
        _, rel = self._event_change(self.read_component(component_id), kind, kind, when, event,
                                    f"{verb} {component_id}: {short}{extra}", copies=copies)
        return rel

    def add_comment(self, component_id: str, text: str, *, author: str | None = None,
                    date: str | datetime | None = None) -> str:
        return self.add_log(component_id, text, log_type="note", severity="info", logged_by=author,
                            date=date, kind="comment")

    # ---- assembly -----------------------------------------------------------------------
    @under_lock
    def assemble(self, module_id: str, *, sensor_id: str | None = None,
                 hybrid_id: str | None = None, assembled_by: str | None = None,
                 notes: str | None = None, date: str | datetime | None = None) -> str:
        if not sensor_id and not hybrid_id:
            raise InvalidInput("give --sensor, --hybrid or both to assemble onto the module")
        model.check_id(module_id)
        module_read = self.read_component(module_id)
        module = module_read.data
        if module["type"] != "module":
            raise RuleViolation(f"{module_id} is a {module['type']}, not a module")
        updates: list[tuple[RecordRead, dict]] = []
        new_module = dict(module)
        for part_id, part_type in ((sensor_id, "sensor"), (hybrid_id, "hybrid")):
            if not part_id:
                continue
            model.check_id(part_id)
            part_read = self.read_component(part_id)
            part = part_read.data
            if part["type"] != part_type:
                raise RuleViolation(f"{part_id} is a {part['type']}, not a {part_type}")
            if part.get("module"):
                where = "this module" if part["module"] == module_id else part["module"]
                raise RuleViolation(f"{part_id} is already assembled on {where}: disassemble"
                                    f" {part['module']} first")
            if part.get("position"):
                raise RuleViolation(f"{part_id} is installed at {part['position']}: remove it first")
            if module.get(part_type):
                raise RuleViolation(f"{module_id} already has {part_type} {module[part_type]}:"
                                    f" disassemble it first")
            new_module[part_type] = part_id
            updates.append((part_read, dict(part, module=module_id)))
        updates.append((module_read, new_module))
        event = {"sensor": sensor_id, "hybrid": hybrid_id, "by": self._by(assembled_by),
                 "notes": _clean(notes)}
        parts = ", ".join(f"{t} {p}" for t, p in (("sensor", sensor_id), ("hybrid", hybrid_id)) if p)
        _, rel = self._event_change(module_read, "assembly", "assembly", event_time(date), event,
                                    f"assemble {module_id}: {parts}", updates=updates)
        return rel

    @under_lock
    def disassemble(self, module_id: str, *, disassembled_by: str | None = None,
                    notes: str | None = None, date: str | datetime | None = None,
                    parts: Sequence[str] = model.MODULE_PARTS) -> str:
        model.check_id(module_id)
        module_read = self.read_component(module_id)
        module = module_read.data
        if module["type"] != "module":
            raise RuleViolation(f"{module_id} is a {module['type']}, not a module")
        detached = {t: module[t] for t in parts if module.get(t)}
        if not detached:
            raise RuleViolation(f"{module_id} has no {' or '.join(parts)} to disassemble")
        new_module = dict(module)
        updates: list[tuple[RecordRead, dict]] = []
        stale = set()  # links to parts that name another module (e.g. imported as they were)
        for part_type, part_id in detached.items():
            new_module.pop(part_type, None)
            try:
                part_read = self.read_component(part_id)
            except NotFoundError:
                continue  # a dangling link; validate reports it, the module is still freed
            if part_read.data.get("module") not in (module_id, None):
                stale.add(part_type)  # only this module's link goes; the part stays put
                continue
            part = dict(part_read.data)
            part.pop("module", None)
            updates.append((part_read, part))
        if module.get("position") and set(detached) - stale:
            raise RuleViolation(f"{module_id} is installed at {module['position']}: remove it"
                                " before disassembling")
        updates.append((module_read, new_module))
        event = {**detached, "by": self._by(disassembled_by), "notes": _clean(notes)}
        what = ", ".join(f"{t} {p}" for t, p in detached.items())
        _, rel = self._event_change(module_read, "disassembly", "disassembly", event_time(date), event,
                                    f"disassemble {module_id}: {what}", updates=updates)
        return rel

    # ---- connections --------------------------------------------------------------------
    @under_lock
    def connect(self, a: str, b: str, *, connection_type: str = "signal", cable: str | None = None,
                notes: str | None = None, by: str | None = None,
                date: str | datetime | None = None) -> str:
        model.check_id(a)
        model.check_id(b)
        if a == b:
            raise InvalidInput("a component cannot be connected to itself")
        connection_type = _clean(connection_type) or "signal"
        read_a, read_b = self.read_component(a), self.read_component(b)
        rec_a, rec_b = read_a.data, read_b.data
        if cable:
            model.check_id(cable, "cable id")
            _, rec_c = self.component_record(cable)
            if rec_c["type"] != "cable":
                raise RuleViolation(f"{cable} is a {rec_c['type']}, not a cable")
        for link in rec_a.get("connections") or []:
            if link["to"] == b and link["type"] == connection_type:
                raise RuleViolation(f"{a} and {b} already have a {connection_type} connection")
        when = event_time(date)
        since = model.format_date(when)
        link_a = {"to": b, "type": connection_type, "cable": cable, "since": since}
        link_b = {"to": a, "type": connection_type, "cable": cable, "since": since}
        new_a = dict(rec_a, connections=[*(rec_a.get("connections") or []),
                                         {k: v for k, v in link_a.items() if v}])
        new_b = dict(rec_b, connections=[*(rec_b.get("connections") or []),
                                         {k: v for k, v in link_b.items() if v}])
        event = {"other": b, "connection_type": connection_type, "cable": cable,
                 "by": self._by(by), "notes": _clean(notes)}
        via = f" via {cable}" if cable else ""
        _, rel = self._event_change(read_a, "connect", "connect", when, event,
                                    f"connect {a}: to {b} ({connection_type}{via})",
                                    updates=[(read_a, new_a), (read_b, new_b)])
        return rel

    @under_lock
    def remove_connection(self, connection_id: str, *, notes: str | None = None,
                          by: str | None = None, date: str | datetime | None = None) -> str:
        """Undo the one connection of that id (A~B~TYPE, as :meth:`connections` gives it)."""
        a, b, connection_type = model.parse_connection_id(connection_id)
        try:
            links = self.connections(a)
        except NotFoundError:
            links = []
        if not any(link["id"] == connection_id for link in links):
            raise RuleViolation(f"there is no connection {connection_id}: `svt connections {a}`"
                                " lists the connections and their ids")
        return self.disconnect(a, b, connection_type=connection_type, notes=notes, by=by,
                               date=date)

    @under_lock
    def disconnect(self, a: str, b: str, *, connection_type: str | None = None,
                   notes: str | None = None, by: str | None = None,
                   date: str | datetime | None = None) -> str:
        model.check_id(a)
        model.check_id(b)
        read_a, read_b = self.read_component(a), self.read_component(b)
        rec_a, rec_b = read_a.data, read_b.data

        def keep(links: list, other: str) -> list:
            return [link for link in links if not (
                link["to"] == other and (connection_type is None or link["type"] == connection_type))]

        links_a = rec_a.get("connections") or []
        gone = [link for link in links_a if link not in keep(links_a, b)]
        if not gone:
            kind = f"{connection_type} " if connection_type else ""
            raise RuleViolation(f"{a} and {b} have no {kind}connection to undo")
        new_a = dict(rec_a, connections=keep(links_a, b) or None)
        new_b = dict(rec_b, connections=keep(rec_b.get("connections") or [], a) or None)
        types = ", ".join(sorted({link["type"] for link in gone}))
        cables = sorted({link["cable"] for link in gone if link.get("cable")})
        event = {"other": b, "connection_type": types, "cable": cables[0] if cables else None,
                 "by": self._by(by), "notes": _clean(notes)}
        _, rel = self._event_change(read_a, "disconnect", "disconnect", event_time(date), event,
                                    f"disconnect {a}: from {b} ({types})",
                                    updates=[(read_a, new_a), (read_b, new_b)])
        return rel

    def connections(self, component_id: str) -> list[dict]:
        self.require()
        model.check_id(component_id)
        _, record = self.component_record(component_id)
        return _links(component_id, record)

    # ---- attachments --------------------------------------------------------------------
    @under_lock
    def attach(self, component_id: str, files: Sequence[str], *, description: str | None = None,
               uploaded_by: str | None = None, date: str | datetime | None = None) -> str:
        model.check_id(component_id)
        if not files:
            raise InvalidInput("give at least one file to attach")
        copies = [(self.copy_source(f, "file"), "image", Path(f).name) for f in files]
        event = {"description": _clean(description), "uploaded_by": self._by(uploaded_by)}
        when = event_time(date)
        _, rel = self._event_change(self.read_component(component_id), "attachment", "attachment",
                                    when, event, f"attach {component_id}: {len(copies)} file(s)",
                                    copies=copies)
        return rel

    # ---- reading ------------------------------------------------------------------------
    def tests(self, component_id: str) -> list[dict]:
        """The component's test events in order, each with its short ``id``."""
        return [dict(ev, id=event_id(ev["_path"]))
                for ev in self.events(component_id, kinds=("test",))]

    def find_test(self, test_id: str) -> dict:
        """One test in full (`svt show-test`), by the id `svt show` prints beside it (alone,
        or as COMPONENT:ID), by its event file's path, or after `svt import-sqlite` by the
        original tracker's number. Each stored file gets its ``full_path``."""
        self.require()
        wanted = str(test_id).strip()
        if wanted.endswith(".yaml"):
            full = Path(os.path.abspath(os.path.expanduser(wanted)))
            if not full.is_relative_to(self.root):
                full = self.root / wanted
            inside = full.is_relative_to(self.root / RECORDS)
            paths = [self.rel(full)] if inside and full.is_file() else []
        else:
            cid, sep, short = wanted.rpartition(":")
            if sep:
                model.check_id(cid)
                paths = [ev["_path"] for ev in self.events(cid, kinds=("test",))
                         if event_id(ev["_path"]) == short.lower()]
            else:  # the index knows each test's id, and the original tracker's numbers
                from ..index.queries import Index
                index = Index(self)
                paths = index.tests_with_id(short.lower())
                if short.isdigit():  # may also be the original tracker's test number
                    paths += [p for p in index.tests_with_legacy_id(int(short))
                              if p not in paths]
        if not paths:
            raise NotFoundError(f"no test {wanted!r}: `svt show COMPONENT` prints the ids of"
                                " its tests")
        if len(paths) > 1:
            full_ids = [f"{p.split('/')[2]}:{event_id(p)}" for p in paths]
            names = paths if len(set(full_ids)) < len(full_ids) else full_ids
            raise InvalidInput(f"{wanted} names {len(paths)} tests: give one of"
                               f" {', '.join(names)}")
        rel = paths[0]
        event = self.load(rel)
        if event.get("kind") != "test":
            raise NotFoundError(f"{rel} is a {event.get('kind')} record, not a test")
        folder = (self.root / rel).parent
        out = dict(event, id=event_id(rel), _path=rel)
        out["files"] = [dict(f, full_path=str(folder / f["path"])) for f in event.get("files") or []]
        return out

    def history(self, component_id: str, *, limit: int = 5) -> list[dict]:
        """The latest commits that touched the component's records."""
        folder, _ = self.component_record(component_id)
        return self._history_of(folder, limit)

    def _history_of(self, folder: Path, limit: int) -> list[dict]:
        from ..index.queries import Index
        return [c._asdict() for c in Index(self).recent_commits(self.rel(folder), limit)]

    @property
    def git(self) -> git.Repo:
        """The store as a GitPython ``git.Repo`` (GitPython loads on first use), for scripts
        that explore history: ``db.git.iter_commits(paths="records/module/M-1")``."""
        return self.repo.gitpython()

    def describe(self, component_id: str, *, commits: int = 5,
                 window: model.DateWindow | None = None) -> dict:
        """Everything `svt show` prints: record, assembly both ways, events by kind, commits;
        with ``window``, only the events dated within it."""
        self.require()
        model.check_id(component_id)
        folder, record = self.component_record(component_id)
        assembly = {"sensor": record.get("sensor"), "hybrid": record.get("hybrid"),
                    "module": record.get("module")}
        info: dict[str, Any] = {
            "component": record,
            "record": self.rel(folder / COMPONENT_FILE),
            "assembly": {k: v for k, v in assembly.items() if v},
        }
        current = {"connections": _links(component_id, record)}
        events = [dict(ev, id=event_id(ev["_path"])) if ev.get("kind") == "test" else ev
                  for ev in self.events_in(folder)]
        if window is not None:
            events = [e for e in events if window.holds(model.parse_date(e["date"]))]
        grouped = registry.sections(events)  # each kind names its section
        for section in registry.SECTIONS:
            if section.current:
                info[section.current] = current[section.current]
            info[section.key] = grouped[section.key]
        info["commits"] = self._history_of(folder, commits)
        return info

    def summary(self, *, window: model.DateWindow | None = None) -> dict:
        """Counts by type and status, installations, tests by type and the recent tests;
        with ``window``, the tests (their counts and the recent ones) dated within it."""
        from ..index.queries import Index
        index = Index(self)
        data = index.summary()
        if window is None:
            return data
        sql, args = " WHERE kind='test' AND error IS NULL", []
        for op, bound in ((">=", window.since), ("<=", window.until)):
            if bound is not None:
                sql += f" AND utc {op} ?"  # UTC ISO text: text order is time order
                args.append(bound.isoformat())
        q = index.db.execute
        data["tests"] = {name: {"count": n, "pass": p or 0, "fail": f or 0, "latest": last}
                         for name, n, p, f, last in q(
            "SELECT name, count(*), sum(result='pass'), sum(result='fail'), max(utc) FROM"
            f" events{sql} GROUP BY name ORDER BY name", args)}
        data["recent_tests"] = [
            {"component": c, "test_type": n, "date": d, "result": r}
            for c, n, d, r in q(f"SELECT component, name, date, result FROM events{sql}"
                                " ORDER BY utc DESC, path DESC LIMIT ?",
                                [*args, len(data["recent_tests"]) or 10])]
        return data

    def backup_database(self, path: str | os.PathLike) -> str:
        """Write the whole history (images included) to one git bundle file."""
        self.require()
        target = Path(os.path.expanduser(str(path))).absolute()
        if target.is_dir():
            stamp = model.now().strftime("%Y%m%d_%H%M%S")
            target = target / f"svt-backup-{stamp}.bundle"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".partial")
        self.repo.run("bundle", "create", "-q", str(tmp), "--all")
        os.replace(tmp, target)
        return str(target)


def _links(component_id: str, record: dict) -> list[dict]:
    """The connections a component record lists, each with its id and ``from``."""
    return [dict(link, **{"from": component_id,
                          "id": model.connection_id(component_id, link["to"], link["type"])})
            for link in record.get("connections") or []]


def restore_bundle(bundle: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Clone a backup bundle into a new store folder and check it is an svt store."""
    from ..git.process import clone
    target = Path(os.path.expanduser(str(path))).absolute()
    if target.exists() and any(target.iterdir()):
        raise InvalidInput(f"{target} exists and is not empty: restore into a new folder")
    clone(str(Path(bundle).absolute()), str(target))
    if not (target / CONFIG_FILE).is_file():
        raise InvalidInput(f"{bundle} restored, but it holds no svt store (no {CONFIG_FILE})")
    return target


def stage_files(change: Change, folder: str, base: str,
                copies: Sequence[tuple[Path, str, str | None]]) -> list[dict]:
    """Add files to ``change`` beside the event ``base`` in ``folder`` (the seed's names:
    ``<base>_<n>.<ext>`` for images and plots, ``<base>_data[_<n>].<ext>`` for data) and
    return the event's ``files`` entries with size and sha256."""
    stored = []
    counts = {"image": 0, "data": 0}
    for source, file_kind, original in copies:
        ext = "".join(c for c in source.suffix.lower()[1:] if c.isalnum())[:10]
        if file_kind == "data":
            n = counts["data"]
            stem = f"{base}_data" + (f"_{n}" if n else "")
            counts["data"] += 1
        else:
            stem = f"{base}_{counts['image']}"
            counts["image"] += 1
        name_on_disk = stem + (f".{ext}" if ext else "")
        size, digest = sha256_file(source)
        entry = {"path": name_on_disk, "kind": file_kind, "size": size, "sha256": digest}
        if original:
            entry["original_name"] = original
        stored.append(entry)
        change.copies[f"{folder}/{name_on_disk}"] = source
    return stored


def check_measurements(values: dict[str, Any]) -> dict[str, Any]:
    """Measurements: numbers, text, lists of those, or {value, unit}; finite numbers only."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(f"measurement name {name!r} is empty")
        out[name] = _check_measure(name, value)
    return out


def _check_measure(name: str, value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        raise InvalidInput(f"measurement {name} is {value!r}: give a number, text, list or"
                           " {value, unit}")
    if isinstance(value, (int, float)):
        return model.check_number(value, f"measurement {name}")
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [_check_measure(name, v) for v in value]
    if isinstance(value, dict):
        if set(value) - {"value", "unit"} or "value" not in value:
            raise InvalidInput(f"measurement {name}: a mapping must have value (and unit) only")
        out = {"value": _check_measure(name, value["value"])}
        if value.get("unit") is not None:
            out["unit"] = str(value["unit"])
        return out
    raise InvalidInput(f"measurement {name} has an unsupported type {type(value).__name__}")


_RECORDS_README = """# Records

One folder per component type, one folder per component:

    <type>/<ID>/component.yaml                     identity and current state
    <type>/<ID>/<YYYY>/<YYYYMMDD_HHMMSS>_<kind>_<tag>.yaml  one event (test, install, log, ...)
    <type>/<ID>/<YYYY>/<YYYYMMDD_HHMMSS>_<kind>_<tag>_0.png  files stored with that event

The tag (six hex digits of the event's content and of when svt wrote it) keeps two clones
from ever picking the same name; files named without it come from older versions of svt.

The `svt` command writes these files and commits every change. You may edit them by hand
too: run `svt validate` before you commit, and keep each file's first two comment lines, which
tell your editor which JSON Schema (in ../schemas/) checks the file.
"""

# Binary formats go to Git LFS: git can neither diff nor delta-compress them well. Text a
# component's files may be (.csv, .txt, .json, .log, .svg attached as documents) stays in
# git, where it diffs and compresses; data files of tests (*_data*) go to LFS whatever
# their format, as they always did. .gitattributes cannot route by size.
LFS_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "tif", "tiff", "bmp", "heic", "webp", "pdf",
                  "eps", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp",
                  "root", "h5", "hdf5", "npz", "npy", "bin", "dat", "raw", "zip", "gz", "xz",
                  "bz2", "zst", "7z", "tar", "tgz", "mp4", "mov", "avi")
_LFS_ATTRIBUTES = "# Stored images and data files go to Git LFS (svt init --lfs)\n" + "".join(
    f"records/**/*.{ext} filter=lfs diff=lfs merge=lfs -text\n" for ext in LFS_EXTENSIONS) + (
    "records/**/*_data filter=lfs diff=lfs merge=lfs -text\n"
    "records/**/*_data.* filter=lfs diff=lfs merge=lfs -text\n"
    "records/**/*_data_*.* filter=lfs diff=lfs merge=lfs -text\n")

# Every clone that runs svt defines the driver (svt setup, or any svt write); a clone that
# does not falls back to git's own text merge.
_MERGE_ATTRIBUTES = ("# component.yaml merges field by field with svt's merge driver"
                     " (docs/collaboration.md)\n" + MERGE_ATTRIBUTE + "\n")

_GITIGNORE = """# The original SQLite tracker's files, if this store lives beside them
/svt_components.db
/svt_components.db-*
/test_data/
"""

