"""``Database``: the Python API of a records repository; each change is one git commit.

``Database`` is a facade: each method hands its arguments to the module that holds the
operation: :mod:`.setup` (svt init, --lfs, --pages, backups), :mod:`.components`,
:mod:`.events` (tests, installations, moves, logs, attachments), :mod:`.assembly` (modules
and connections), :mod:`.queries` (what reads many records or asks the index), and the
store's write path (:mod:`..store.staging`, :mod:`..store.testrun`). Each method imports its
module when it is first called, so a command loads only the operations it runs.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .. import model
from ..store.base import StoreBase, under_lock
from ..store.layout import RecordRead
from ..store.txn import Change

if TYPE_CHECKING:
    import git

    from ..index.watch import Status as WatchStatus
    from ..store.staging import ComponentWrite


def _store_folder(path: str | os.PathLike | None,
                  data_dir: str | os.PathLike | None) -> str | os.PathLike | None:
    """Where the store is: ``path``, or in the original tracker's form (a database file
    and a data folder) the folder that holds the database file."""
    if path is not None and data_dir is not None:
        return Path(os.path.expanduser(str(path))).absolute().parent
    return path


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
        super().__init__(_store_folder(path, data_dir))

    # ---- creation -----------------------------------------------------------------------
    def initialize_schema(self, *, lfs: bool = False, extra_files: dict[str, bytes] | None = None,
                          ci: bool | tuple[str, ...] = True, svt_install: str | None = None,
                          maintainers: tuple[str, ...] = (), review: str | None = None,
                          pages: bool = False, forms: bool = False,
                          name: str | None = None) -> bool:
        """Create the store (git repository, svt.yaml, schemas/, records/). False if it
        already existed. ``name``: the store's title on its web site (default
        "HPS SVT records"). ``ci``: the forges to write CI files for ("github", "gitlab"; True
        both); ``pages`` publishes the site there, ``forms`` adds GitHub issue forms;
        ``svt_install`` is what the CI files install (default: this svt's release);
        ``maintainers`` own the rules in CODEOWNERS; ``review`` "branch" makes svt commit
        only on topic branches."""
        from . import setup
        return setup.initialize_schema(self, lfs=lfs, extra_files=extra_files, ci=ci,
                                       svt_install=svt_install, maintainers=maintainers,
                                       review=review, pages=pages, forms=forms, name=name)

    @under_lock
    def enable_lfs(self) -> str | None:
        """Store images and data files with Git LFS from now on (``svt init --lfs`` on an
        existing store): .gitattributes gets svt's LFS patterns, svt.yaml ``lfs: true``, and
        the stored files those patterns cover go through the LFS filter, in one commit (older
        commits keep their plain copies). Returns the commit; None when all was so already."""
        from . import setup
        return setup.enable_lfs(self)

    @under_lock
    def enable_ci(self, ci: str | bool | Sequence[str], *, pages: bool = False,
                  forms: bool = False) -> str | None:
        """Add the CI files an existing store lacks (``svt init --ci/--pages/--forms``): the
        validation CI of the forges ``ci`` names, the Pages CI, the issue forms and their
        workflow, in one commit. Returns the commit; None when all were there already."""
        from . import setup
        return setup.enable_ci(self, ci, pages=pages, forms=forms)

    # ---- components ---------------------------------------------------------------------
    def get_component(self, component_id: str) -> dict | None:
        """The component's record (its component.yaml) or None when there is none."""
        from . import components
        return components.get_component(self, component_id)

    @under_lock
    def save_component(self, component_id: str, fields: dict[str, Any], *,
                       attributes: dict[str, Any] | None = None) -> tuple[str, bool]:
        """Create a component, or update only the given fields of an existing one.

        Returns (commit, created)."""
        from . import components
        return components.save_component(self, component_id, fields, attributes=attributes)

    def component_write(self, component_id: str, fields: dict[str, Any], *,
                        attributes: dict[str, Any] | None = None,
                        also: dict[str, str] | None = None) -> "ComponentWrite":
        """Check a component's new or changed fields and attributes by the rules every path
        shares (the Python API, `svt add`, `svt add --from-csv`) and return the record to
        write; ``also`` holds the ids ({lower-cased: id}) the same change creates."""
        from ..store import staging
        return staging.component_write(self, component_id, fields, attributes=attributes,
                                       also=also)

    def list_components(self, *, component_type: str | None = None, status: str | None = None,
                        location: str | None = None, position: str | None = None,
                        attributes: Sequence[str] = ()) -> list[dict]:
        """Component records matching all the given filters, sorted by type then id.
        ``attributes``: ``KEY=VALUE`` (the attribute prints as VALUE) or ``KEY`` (it has one),
        all of which must hold."""
        from . import components
        return components.list_components(self, component_type=component_type, status=status,
                                          location=location, position=position,
                                          attributes=attributes)

    @staticmethod
    def attribute_filter(attributes: Sequence[str]) -> Any:
        """A test of component records for `svt list --attr` (``KEY=VALUE`` or ``KEY``;
        all must hold), checked before any record is read."""
        from . import components
        return components.attribute_filter(attributes)

    # ---- the changes of a component -----------------------------------------------------
    def stage_event(self, change: Change, component: RecordRead, *, kind: str, name: str,
                    date: datetime, event: dict, copies: Sequence[tuple[Path, str, str]] = ()
                    ) -> str:
        """Add one event (and its stored files) of ``component`` (its component.yaml as
        read) to ``change``; returns the event's path."""
        from ..store import staging
        return staging.stage_event(self, change, component, kind=kind, name=name, date=date,
                                   event=event, copies=copies)

    def test_event(self, test_type: str, *, passed: bool | None, measurements: dict[str, Any],
                   tested_by: str | None, setup: str | None, conditions: str | None,
                   notes: str | None) -> dict[str, Any]:
        """The fields of a test event (checked measurements; texts cleaned, the tester by
        default the git user), as record_test and `svt test --from-csv` write them."""
        from ..store import staging
        return staging.test_event(self, test_type, passed=passed, measurements=measurements,
                                  tested_by=tested_by, setup=setup, conditions=conditions,
                                  notes=notes)

    @under_lock
    def record_test(self, component_id: str, test_type: str, *, passed: bool | None = None,
                    measurements: dict[str, Any] | None = None, images: Iterable[str] = (),
                    data_files: Iterable[str] = (), plots: Iterable[str] = (),
                    log_files: Iterable[str] = (), tested_by: str | None = None,
                    notes: str | None = None, setup: str | None = None,
                    conditions: str | None = None, date: str | datetime | None = None) -> str:
        """Record a test result; files are copied beside it, each with its kind (image,
        raw data, plot, log file). Returns the event's path."""
        from . import events
        return events.record_test(self, component_id, test_type, passed=passed,
                                  measurements=measurements, images=images,
                                  data_files=data_files, plots=plots, log_files=log_files,
                                  tested_by=tested_by, notes=notes, setup=setup,
                                  conditions=conditions, date=date)

    @under_lock
    def reanalyze(self, test_type: str, *, component_ids: Sequence[str] = ()
                  ) -> tuple[str | None, list[str]]:
        """Re-run the analysis of ``test_type`` (svt.yaml's definition) on the stored data of
        its results, of ``component_ids`` or all, updating derived values in one commit;
        values typed by hand stay. Returns (commit or None, one line per changed result)."""
        from ..store.testrun import reanalyze
        from . import queries
        return reanalyze(self, test_type, tuple(component_ids),
                         lambda: queries.tests_of_type(self, test_type))

    def test_types(self) -> dict[str, Any]:
        """svt.yaml's test definitions by name (:class:`testtypes.TestType`)."""
        from ..analysis.testtypes import definitions
        return definitions(self.config)

    @under_lock
    def install(self, component_id: str, position: str, *, run_period: str | None = None,
                installed_by: str | None = None, notes: str | None = None,
                date: str | datetime | None = None) -> str:
        from . import events
        return events.install(self, component_id, position, run_period=run_period,
                              installed_by=installed_by, notes=notes, date=date)

    def installed_at(self, position: str) -> str | None:
        """The id of the component installed at ``position``, if any."""
        from . import queries
        return queries.installed_at(self, position)

    @under_lock
    def remove(self, component_id: str, *, reason: str | None = None, removed_by: str | None = None,
               location: str | None = None, notes: str | None = None,
               date: str | datetime | None = None, status: str | None = None) -> str:
        from . import events
        return events.remove(self, component_id, reason=reason, removed_by=removed_by,
                             location=location, notes=notes, date=date, status=status)

    @under_lock
    def set_location(self, component_id: str, location: str, *, moved_by: str | None = None,
                     notes: str | None = None, date: str | datetime | None = None) -> str:
        from . import events
        return events.set_location(self, component_id, location, moved_by=moved_by, notes=notes,
                                   date=date)

    @under_lock
    def add_log(self, component_id: str, text: str, *, log_type: str = "note",
                severity: str = "info", logged_by: str | None = None,
                date: str | datetime | None = None, kind: str = "log",
                resolution: str | None = None, images: Sequence[str] = ()) -> str:
        """Add a log entry (or, with ``kind="comment"``, a comment); ``images`` are photos
        stored beside it as a test's images are. Returns the event's path."""
        from . import events
        return events.add_log(self, component_id, text, log_type=log_type, severity=severity,
                              logged_by=logged_by, date=date, kind=kind, resolution=resolution,
                              images=images)

    def add_comment(self, component_id: str, text: str, *, author: str | None = None,
                    date: str | datetime | None = None) -> str:
        return self.add_log(component_id, text, log_type="note", severity="info", logged_by=author,
                            date=date, kind="comment")

    # ---- assembly -----------------------------------------------------------------------
    @under_lock
    def assemble(self, module_id: str, *, sensor_id: str | None = None,
                 hybrid_id: str | None = None, assembled_by: str | None = None,
                 notes: str | None = None, date: str | datetime | None = None) -> str:
        from . import assembly
        return assembly.assemble(self, module_id, sensor_id=sensor_id, hybrid_id=hybrid_id,
                                 assembled_by=assembled_by, notes=notes, date=date)

    def retype(self, component_id: str, new_type: str) -> tuple[str, list[tuple[str, str]]]:
        """Make a component a ``new_type``: its record, events and files move to
        records/<new_type>/<id>/ in one commit (with any of its events left under another
        type's folder). Returns (commit, [(old path, new path)])."""
        from . import retype
        return retype.retype(self, component_id, new_type)

    def move_events(self, from_id: str, to_id: str, created: str
                    ) -> tuple[str, list[tuple[str, str]]]:
        """Move the events of ``from_id`` recorded on the part created at ``created`` to
        ``to_id``, in one commit (two parts that were given one id). Returns (commit,
        [(old path, new path)])."""
        from . import retype
        return retype.move_events(self, from_id, to_id, created)

    @under_lock
    def disassemble(self, module_id: str, *, disassembled_by: str | None = None,
                    notes: str | None = None, date: str | datetime | None = None,
                    parts: Sequence[str] = model.MODULE_PARTS) -> str:
        from . import assembly
        return assembly.disassemble(self, module_id, disassembled_by=disassembled_by, notes=notes,
                                    date=date, parts=parts)

    # ---- connections --------------------------------------------------------------------
    @under_lock
    def connect(self, a: str, b: str, *, connection_type: str = "signal", cable: str | None = None,
                notes: str | None = None, by: str | None = None,
                date: str | datetime | None = None) -> str:
        from . import assembly
        return assembly.connect(self, a, b, connection_type=connection_type, cable=cable,
                                notes=notes, by=by, date=date)

    @under_lock
    def remove_connection(self, connection_id: str, *, notes: str | None = None,
                          by: str | None = None, date: str | datetime | None = None) -> str:
        """Undo the one connection of that id (A~B~TYPE, as :meth:`connections` gives it)."""
        from . import assembly
        return assembly.remove_connection(self, connection_id, notes=notes, by=by, date=date)

    @under_lock
    def disconnect(self, a: str, b: str, *, connection_type: str | None = None,
                   notes: str | None = None, by: str | None = None,
                   date: str | datetime | None = None) -> str:
        from . import assembly
        return assembly.disconnect(self, a, b, connection_type=connection_type, notes=notes,
                                   by=by, date=date)

    def connections(self, component_id: str) -> list[dict]:
        from . import assembly
        return assembly.connections(self, component_id)

    # ---- attachments --------------------------------------------------------------------
    @under_lock
    def attach(self, component_id: str, files: Sequence[str], *, description: str | None = None,
               uploaded_by: str | None = None, date: str | datetime | None = None) -> str:
        from . import events
        return events.attach(self, component_id, files, description=description,
                             uploaded_by=uploaded_by, date=date)

    # ---- reading ------------------------------------------------------------------------
    def tests(self, component_id: str) -> list[dict]:
        """The component's test events in order, each with its short ``id``."""
        from . import queries
        return queries.tests(self, component_id)

    def find_test(self, test_id: str) -> dict:
        """One test in full (`svt show-test`), by the id `svt show` prints beside it (alone,
        or as COMPONENT:ID), by its event file's path, or after `svt import-sqlite` by the
        original tracker's number. Each stored file gets its ``full_path``."""
        from . import queries
        return queries.find_test(self, test_id)

    def history(self, component_id: str, *, limit: int = 5) -> list[dict]:
        """The latest commits that touched the component's records."""
        from . import queries
        return queries.history(self, component_id, limit=limit)

    @property
    def git(self) -> git.Repo:
        """The store as a GitPython ``git.Repo`` (GitPython loads on first use), for scripts
        that explore history: ``db.git.iter_commits(paths="records/module/M-1")``."""
        return self.repo.gitpython()

    def describe(self, component_id: str, *, commits: int = 5,
                 window: model.DateWindow | None = None) -> dict:
        """Everything `svt show` prints: record, assembly both ways, events by kind, commits;
        with ``window``, only the events dated within it."""
        from . import queries
        return queries.describe(self, component_id, commits=commits, window=window)

    def summary(self, *, window: model.DateWindow | None = None) -> dict:
        """Counts by type and status, installations, tests by type and the recent tests;
        with ``window``, the tests (their counts and the recent ones) dated within it."""
        from . import queries
        return queries.summary(self, window=window)

    def watch(self, *, on: bool = True) -> "WatchStatus":
        """Keep a watcher of records/ running for this store (``svt watch``; Linux), so that
        queries ask it what changed instead of checking every file; ``on=False`` stops it
        and no query starts it again. Returns the watcher's state after."""
        from . import setup
        return setup.watch(self, on)

    def backup_database(self, path: str | os.PathLike) -> str:
        """Write the whole history (images included) to one git bundle file."""
        from . import setup
        return setup.backup_database(self, path)
