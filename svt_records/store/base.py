"""The records repository: where it is, how records are laid out, read, checked and committed.

Layout::

    svt.yaml
    schemas/*.schema.json
    records/<type>/<ID>/component.yaml
    records/<type>/<ID>/<YYYY>/<YYYYMMDD_HHMMSS>_<kind>_<tag>.yaml   (+ stored files beside it)

The tag is 6 hex digits of the event's content, its ``recorded`` time included, so two clones
never pick the same name; names without it (``..._<kind>[-N].yaml``) are those of older stores.
"""
from __future__ import annotations

import functools
import json
import os
import shlex
import sys
import re
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, NamedTuple, TypeVar

from .. import model
from ..model import registry
from ..files import schema, yamlio
from ..model.errors import (InvalidInput, LockTimeout, NotFoundError, Problem, RecordError,
                     RuleViolation, StoreNotFound, SvtError)
from ..git.lfs import LFS_SETUP
from ..git.repo import GitRepo
from ..git.worktree import SparseCheckout
from .txn import Change, StoreLock, Transaction

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
_KEYS = {"component": COMPONENT_KEYS, "config": CONFIG_KEYS}


def ordered(data: dict, keys: tuple[str, ...]) -> dict:
    """The canonical key order of a record: known keys first, others as they came."""
    out = {k: data[k] for k in keys if k in data and data[k] is not None}
    for k, v in data.items():
        if k not in out and v is not None:
            out[k] = v
    return out


# The merge driver's exit status for "merged, but some field conflicts" (markers written):
# anything else that is not 0 means svt could not run, and git's own text merge takes over.
MERGE_CONFLICT_EXIT = 9


def merge_driver_command() -> str:
    """The shell command git runs to merge a component.yaml: this Python's svt, by absolute
    path, falling back to git's text merge (with markers) when svt cannot run there, since
    git would otherwise keep "ours" unmarked and a plain `git add` would lose "theirs"."""
    return (f"{shlex.quote(sys.executable)} -m svt_records merge-driver %O %A %B %P; s=$?;"
            f" if [ $s -eq 0 ]; then exit 0; elif [ $s -eq {MERGE_CONFLICT_EXIT} ]; then exit 1;"
            " fi; git merge-file -L ours -L base -L theirs %A %O %B")


class RecordRead(NamedTuple):
    """A record as one operation read it. The change that replaces it is decided on ``data``
    and must find ``text`` still in the file, else it is refused (compare before replace)."""

    folder: Path  # the record's folder: a component's own folder for its component.yaml
    path: str  # relative to the store's root
    data: dict
    text: str  # exactly what was read


F = TypeVar("F", bound=Callable[..., Any])
# Work on fewer items than this shows no progress bar: it would only flicker.
PROGRESS_FROM = 2000
Step = Callable[[int], None]


def under_lock(method: F) -> F:
    """Run a changing operation entirely under the store's lock (read, check, write)."""
    @functools.wraps(method)
    def wrapper(self: "StoreBase", *args: Any, **kwargs: Any) -> Any:
        self.require()
        with self.locked():
            return method(self, *args, **kwargs)
    return wrapper  # type: ignore[return-value]


def _short_hash(text: str) -> str:
    """Six hex digits of sha256: event tags and ids (hashlib loads only when a command
    names or looks up an event, not for list or summary)."""
    import hashlib
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]


def event_tag(content: dict) -> str:
    """Six hex digits of sha256 over an event's canonical content (the tag in its name)."""
    return _short_hash(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str))


def event_id(rel_path: str) -> str:
    """The short id `svt show` prints beside an event and `svt show-test` takes: the tag in
    its file name (<stamp>_<name>_<tag>.yaml), or for a name without one (older svt, the
    legacy import) six hex digits of sha256 over its path in the store."""
    m = EVENT_NAME_RE.match(rel_path.rsplit("/", 1)[-1])
    if m and m.group("tag"):
        return m.group("tag")
    return _short_hash(rel_path)


def component_folder(path: str) -> str | None:
    """The component folder (records/<type>/<ID>) a store path lies in, or is; None for a
    path outside every component folder."""
    parts = path.split("/")
    return "/".join(parts[:3]) if parts[0] == RECORDS and len(parts) >= 3 else None


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


class StoreBase:
    """A records repository on disk. Reading needs no lock; every change takes one."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.root = find_store(path)
        self.repo = GitRepo(self.root)
        self.notes: list[str] = []  # things the CLI may want to tell the user
        self.warnings: list[str] = []  # things the user should check: a result may be wrong
        self._config: dict | None = None
        self.last_commit: str | None = None
        # Set by the command line on a terminal: progress(label, total) gives a context whose
        # value is called with each amount of work done. The library itself never prints.
        self.progress: Callable[[str, int], ContextManager[Step]] | None = None
        self._lock_depth = 0
        self._sparse: Any = _UNKNOWN  # the work tree's SparseCheckout, or None
        self._outside: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    def progress_bar(self, label: str, total: int) -> ContextManager[Step]:
        """Report ``total`` items of long work through :attr:`progress`, if set."""
        if self.progress is None or total < PROGRESS_FROM:
            return nullcontext(_no_step)
        return self.progress(label, total)

    # ---- existence and config ------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return (self.root / CONFIG_FILE).is_file()

    def require(self) -> None:
        if self.root.is_file():
            raise StoreNotFound(
                f"{self.root} is a file (an SQLite database of the original tracker?); svt keeps"
                f" records in a git repository folder: run `svt init DIR`, then"
                f" `svt --repo DIR import-sqlite {self.root}`")
        if not self.exists:
            raise StoreNotFound(f"no svt store at {self.root}: run `svt init {self.root}` to"
                                " create one (or set --repo / SVT_REPO)")
        if not self._lock_depth and (self.repo.git_dir / "svt" / "tx" / "journal.json").exists():
            try:  # a change was interrupted: finish or undo it before reading
                with self.locked(timeout=0):
                    pass
            except LockTimeout:
                pass  # no: a live svt command is making it (our caller may be its git hook)

    @property
    def config(self) -> dict:
        if self._config is None:
            self.require()
            self._config = self.load(CONFIG_FILE, kind="config")
        return self._config

    @property
    def schema_dir(self) -> Path:
        local = self.root / "schemas"
        return local if (local / "component.schema.json").is_file() else schema.package_schema_dir()

    @property
    def enums(self) -> registry.Enumerations:
        """This store's component types, statuses, log types...: its schemas/ say."""
        return registry.enumerations(self.schema_dir)

    @property
    def max_file_bytes(self) -> int:
        return int(float(self.config.get("max_file_mb", DEFAULT_MAX_FILE_MB)) * 1024 * 1024)

    # ---- layout --------------------------------------------------------------------------
    def records_dir(self) -> Path:
        return self.root / RECORDS

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

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

    # ---- sparse checkouts: HEAD, not the work tree, says what exists ------------------------
    @property
    def sparse_checkout(self) -> SparseCheckout | None:
        if self._sparse is _UNKNOWN:
            self._sparse = self.repo.sparse_checkout()
        return self._sparse

    def outside_sparse(self) -> dict[str, str]:
        """{id: type} of the components HEAD holds outside this clone's sparse checkout
        (none in a full checkout, which pays one stat for the answer)."""
        sparse = self.sparse_checkout
        if sparse is None:
            return {}
        if self._outside is None:
            self._outside = {}
            for name in self.repo.tree_names("HEAD", [f"{RECORDS}/{t}"
                                                      for t in self.enums.component_types]):
                _, ctype, cid = name.split("/", 2)
                path = f"{name}/{COMPONENT_FILE}"
                inside = sparse.includes(path)
                if inside is None:  # not cone mode: what git checked out
                    inside = (self.root / path).exists()
                if not inside:
                    self._outside[cid] = ctype
        return self._outside

    def outside_sparse_records(self) -> dict[str, dict]:
        """The component records (as HEAD has them) behind :meth:`outside_sparse`; an
        empty mapping for one that cannot be read."""
        specs = {cid: f"HEAD:{RECORDS}/{ctype}/{cid}/{COMPONENT_FILE}"
                 for cid, ctype in self.outside_sparse().items()}
        blobs = self.repo.read_blobs(list(specs.values()))
        out = {}
        for cid, spec in specs.items():
            try:
                text = (blobs.get(spec) or b"").decode("utf-8")
                data = yamlio.load_fast(text)
                data = yamlio.load(text).data if data is None else data
            except (UnicodeDecodeError, yamlio.YamlError):
                data = None
            out[cid] = data if isinstance(data, dict) else {}
        return out

    def hidden_by_sparse_checkout(self) -> int:
        """How many components listings leave out: those outside the sparse checkout."""
        self.require()
        return len(self.outside_sparse())

    def _refuse_outside_sparse(self, paths: list[str]) -> None:
        sparse = self.sparse_checkout
        if sparse is None:
            return
        for path in paths:
            if sparse.includes(path) is False:
                parts = path.split("/")
                folder = "/".join(parts[:2]) if parts[0] == RECORDS and len(parts) > 2 else path
                raise SvtError(f"refused: {path} lies outside this clone's sparse checkout:"
                               f" include it with `git sparse-checkout add {folder}`, then run"
                               " the command again")

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
    def load(self, rel_path: str, *, kind: str | None = None, check: bool = True) -> dict:
        """Read a record, refusing it (RecordError, with file:line:col) when it is invalid."""
        return self.read(rel_path, kind=kind, check=check).data

    def read(self, rel_path: str, *, kind: str | None = None, check: bool = True) -> RecordRead:
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
            found = schema.check(data, kind, self.schema_dir)
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
                if entry.name.endswith(".yaml") and entry.is_file(follow_symlinks=False):
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

    # ---- writing -------------------------------------------------------------------------
    def record_bytes(self, rel_path: str, data: dict, kind: str) -> bytes:
        """Check a record against its schema and render it canonically."""
        data = ordered(data, _KEYS.get(kind, EVENT_KEYS))
        problems = schema.check(data, kind, self.schema_dir)
        if problems:
            path, msg = problems[0]
            raise InvalidInput(f"refused: {msg}")
        return render_record(rel_path, data, kind)

    def stage_replace(self, change: Change, read: RecordRead, data: dict, kind: str) -> None:
        """Add ``data`` to ``change`` as the new text of the record ``read``; the change is
        refused if the file no longer holds what was read (compare before replace)."""
        change.contents[read.path] = self.record_bytes(read.path, data, kind)
        change.expected[read.path] = read.text

    def new_event_path(self, folder: Path, date: datetime, name: str, content: dict, *,
                       taken: set[Path] | frozenset = frozenset()) -> Path:
        """A free event file name for ``date``: <YYYY>/<stamp>_<name>_<tag>.yaml, the tag
        derived from ``content`` (which holds the time svt recorded it), so another clone
        writing an event of the same name and date picks another name."""
        stamp = model.date_stamp(date)
        tag = event_tag(content)
        while True:
            candidate = folder / stamp[:4] / f"{stamp}_{name}_{tag}.yaml"
            if not candidate.exists() and candidate not in taken:
                return candidate
            tag = event_tag({"tag": tag})  # the same content twice in one microsecond

    @contextmanager
    def locked(self, *, timeout: float | None = None) -> Iterator[None]:
        """Hold the store's lock (re-entrant): a change reads, decides and writes under it,
        so two svt processes never base their changes on the same old state. ``timeout``
        (seconds) bounds the wait: LockTimeout after it."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        lock_path = self.repo.svt_dir() / "lock"
        with (StoreLock(lock_path) if timeout is None else StoreLock(lock_path, timeout)) as lock:
            self.notes.extend(lock.notes)
            recovered = Transaction(self.repo).recover()
            if recovered:
                self.notes.append(recovered)
            self._lock_depth = 1
            self._outside = None  # and HEAD may have moved since the last one
            try:
                yield
            finally:
                self._lock_depth = 0

    def commit(self, change: Change, *, creating: bool = False) -> str:
        """Apply one change under the lock: check state, write, commit; all or nothing."""
        if not creating:
            self.require()
        with self.locked(), self.repo.batch():  # one cat-file for the checks and the commit
            tx = Transaction(self.repo)
            self._refuse_busy(change)
            if not creating:
                self._refuse_main_in_review()
            self._refuse_outside_sparse(change.paths() + change.rehash)
            self._refuse_without_lfs(list(change.copies))
            try:
                self.register_merge_driver()
            except (SvtError, OSError) as exc:  # a read-only .git/config must not stop a write
                self.notes.append(f"could not register svt's merge driver ({exc}); run"
                                  " `svt setup` where .git/config is writable")
            if self.repo.identity().fallback:
                ident = self.repo.identity()
                self.notes.append(f"git has no user identity here; committed as {ident.name}"
                                  f" <{ident.email}> (set one with git config user.name/user.email)")
            self.last_commit = tx.apply(change)
            return self.last_commit

    def register_merge_driver(self) -> bool:
        """Make git merge this clone's component.yaml files with svt (every write, init and
        setup call this; it reads two files when all is in place). True if it changed."""
        command = merge_driver_command()
        if self.repo.merge_driver_registered(command):
            return False
        self.repo.register_merge_driver("svt: component.yaml field by field", command)
        return True

    def use_split_index(self) -> None:
        """Keep git's index split in this clone (core.splitIndex), under the store's lock:
        each commit's update-index then writes a small file, not the whole index."""
        with self.locked():
            self.repo.split_index()

    def _refuse_busy(self, change: Change) -> None:
        busy = self.repo.busy_state()
        if busy:
            raise SvtError(f"refused: {busy}")
        self._refuse_detached()
        paths = change.paths()
        dirty = self.repo.changed_paths([p for p in paths if (self.root / p).exists()])
        if change.rehash:
            rehash = set(change.rehash)
            dirty += [p for p in self.repo.changed_paths([RECORDS]) if p in rehash]
        if dirty:
            raise SvtError(
                f"refused: {dirty[0]} has uncommitted changes; svt commits only its own changes."
                " Commit yours first (git add/commit) or discard them (git checkout -- FILE)")

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

    def _refuse_main_in_review(self) -> None:
        if self.review_mode and self.repo.current_branch() == self.main_branch:
            raise SvtError(f"refused: this store takes changes through review (review: branch"
                           f" in svt.yaml), so svt does not commit on {self.main_branch}: start"
                           " a topic branch with `svt branch NAME`, then run the command again")

    def _refuse_without_lfs(self, paths: list[str]) -> None:
        """A file .gitattributes sends to Git LFS would go in as a plain blob where git-lfs
        is not set up, bloating every clone for good: refuse it."""
        routed = self.repo.lfs_routed(paths)
        if routed and not self.repo.lfs_configured():
            raise SvtError(f"refused: .gitattributes sends {routed[0]} to Git LFS, which is not"
                           " set up in this clone (the file would be committed as a plain git"
                           f" object): {LFS_SETUP}, then run the command again")

    def _refuse_detached(self) -> None:
        """A commit on a detached HEAD is lost at the next checkout: name a branch instead."""
        detached = self.repo.detached_head()
        if detached is None:
            return
        main = self.main_branch
        branches = self.repo.branches_containing(detached)
        branch = main if main in branches or not branches else branches[0]
        raise SvtError(f"refused: HEAD is detached at {detached[:7]}, and svt's commits there"
                       " would be lost at the next checkout: check out a branch first"
                       f" (git switch {branch}), then run the command again")

    def copy_source(self, source: str | os.PathLike, what: str) -> Path:
        """Check a user file that is to be stored: exists, regular, within the size limit."""
        import stat as _stat
        path = Path(os.path.expanduser(str(source)))
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise InvalidInput(f"{what} {source} does not exist: check the path") from None
        except OSError as exc:
            raise InvalidInput(f"{what} {source} cannot be read: {exc.strerror}") from None
        if _stat.S_ISDIR(st.st_mode):
            raise InvalidInput(f"{what} {source} is a folder: give the files in it one by one")
        if not _stat.S_ISREG(st.st_mode):
            raise InvalidInput(f"{what} {source} is not a regular file (a pipe or device?);"
                               " save it to a file first")
        limit = self.max_file_bytes
        if st.st_size > limit:
            raise InvalidInput(
                f"{what} {source} is {st.st_size / 1048576:.1f} MiB, over the store's limit of"
                f" {limit / 1048576:.0f} MiB: track large files with Git LFS (svt init --lfs) and"
                " raise max_file_mb in svt.yaml")
        if not os.access(path, os.R_OK):
            raise InvalidInput(f"{what} {source} is not readable: check its permissions")
        return path


_UNKNOWN = object()


def _no_step(done: int) -> None:
    pass
