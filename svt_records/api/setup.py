"""A store's creation and its copies: `svt init` (git repository, svt.yaml, schemas/,
records/, the CI files), Git LFS and the web site's Pages CI added to an existing store, and
a backup bundle written and restored.

``Database``'s methods of these names delegate here (their docstrings say what each does);
the forge's CI templates (:mod:`..collab.forge`) load only when a store is set up.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .. import model
from ..files import schema, yamlio
from ..model.errors import InvalidInput, SvtError
from ..git.config import MERGE_ATTRIBUTE
from ..git.lfs import LFS_SETUP
from ..store.layout import CONFIG_FILE, DEFAULT_NAME, RECORDS
from ..store.txn import Change

if TYPE_CHECKING:
    from ..index.watch import Status as WatchStatus
    from .database import Database

WATCH_START_S = 20.0  # the watches of 200,000 folders take seconds on a busy machine


def forges_of(ci: str | bool | Sequence[str] | None, *, pages: bool = False,
              forms: bool = False) -> tuple[str, ...]:
    """The forges to write CI files for, in svt's order: ``ci`` as `svt init --ci` takes it
    (a comma list such as "github,gitlab"; True both, False or None none), with what
    ``pages`` (both, unless ``ci`` names one) and ``forms`` (github) imply. An empty comma
    list or a forge svt writes no CI files for is refused (InvalidInput), before anything
    is written. The only place the forge list is read and checked: the CLI passes its
    --ci here."""
    from ..collab.forge import FORGES
    if ci is True:
        named: list[str] = list(FORGES)
    elif ci is False or ci is None:
        named = []
    else:
        parts = ci.split(",") if isinstance(ci, str) else list(ci)
        named = [str(f).strip().lower() for f in parts if str(f).strip()]
        if isinstance(ci, str) and not named:
            raise InvalidInput(f"--ci names no forge: give {', '.join(FORGES)} or both,"
                               f" e.g. --ci {','.join(FORGES)}")
        unknown = [f for f in named if f not in FORGES]
        if unknown:
            known = [f for f in FORGES if f in named]
            shown = ", ".join(repr(f[:40]) for f in unknown[:3])
            raise InvalidInput(f"--ci: svt writes CI files only for {' and '.join(FORGES)},"
                               f" not {shown}: e.g. --ci {','.join(known or FORGES)}")
    wanted = set(named) | (set(FORGES) if pages and not named else set())
    wanted |= {"github"} if forms else set()
    return tuple(f for f in FORGES if f in wanted)


def _store_name(name: str | None) -> str:
    if name is None:
        return DEFAULT_NAME
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 200:
        raise InvalidInput("--name: give the store's title, 1 to 200 characters, e.g."
                           ' --name "HPS SVT 2026 run"')
    return cleaned


def initialize_schema(db: "Database", *, lfs: bool, extra_files: dict[str, bytes] | None,
                      ci: str | bool | Sequence[str], svt_install: str | None,
                      maintainers: tuple[str, ...], review: str | None, pages: bool,
                      forms: bool = False, name: str | None = None) -> bool:
    forges = forges_of(ci, pages=pages, forms=forms)
    if db.exists:
        return False
    if db.root.is_file():
        db.require()
    if lfs and not db.repo.lfs_available():
        raise InvalidInput(f"--lfs needs git-lfs, which is not installed: {LFS_SETUP},"
                           " or leave out --lfs")
    new_repo = not (db.root / ".git").exists()
    # an existing repository keeps its own default branch (e.g. master)
    main = "main" if new_repo else db.repo.default_branch() or "main"
    from ..rules.rulefiles import branch_problem
    if branch_problem(main):
        raise InvalidInput(f"{branch_problem(main)}; it is this repository's default branch:"
                           " rename it (git branch -m NEW), then run svt init again")
    from ..collab.forge import DEFAULT_INSTALL, ci_files, codeowners
    if svt_install is None and (forges or pages or forms):
        svt_install = _this_install(db)
    config: dict = {"schema_version": 1, "name": _store_name(name), "main_branch": main,
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
    files[CONFIG_FILE] = db.record_bytes(CONFIG_FILE, config, "config")  # checks first
    db.root.mkdir(parents=True, exist_ok=True)
    if new_repo:
        db.repo.init(initial_branch=main)
    if lfs:
        db.repo.lfs_install()
    src = schema.package_schema_dir()
    for name in schema.SCHEMA_NAMES:
        files[f"schemas/{name}.schema.json"] = (src / f"{name}.schema.json").read_bytes()
    files[f"{RECORDS}/README.md"] = _RECORDS_README.encode()
    if lfs:
        files[".gitattributes"] = (_LFS_ATTRIBUTES + "\n" + _MERGE_ATTRIBUTES).encode()
    elif not (db.root / ".gitattributes").exists():
        files[".gitattributes"] = _MERGE_ATTRIBUTES.encode()
    if not (db.root / ".gitignore").exists():
        files[".gitignore"] = _GITIGNORE.encode()
    if forges:
        generated = {**ci_files(config["svt_install"], main, forges),
                     **codeowners(maintainers, forges=forges)}
        files.update({p: b for p, b in generated.items() if not (db.root / p).exists()})
    if pages or forms:
        files.update(ci_change(db, config["svt_install"], main, files, maintainers,
                               forges=(), pages=forges if pages else (),
                               forms=forms).contents)
    files.update(extra_files or {})
    for path in list(files):  # e.g. svt's own repository already holds schemas/
        existing = db.root / path
        if existing.is_file() and existing.read_bytes() == files[path]:
            del files[path]
        elif existing.exists():
            raise SvtError(f"{path} already exists in {db.root} and differs from what svt"
                           " would write: move it away, then run svt init again")
    db._config = config
    db.commit(Change(f"init {db.root.name}: new svt records store", contents=files),
              creating=True)
    return True


def _this_install(db: "Database") -> str | None:
    """What CI installs to run this very svt (PEP 610, files.install.install_source), or
    None (then svt's release on the index) with a note when this svt is a folder of this
    machine, which CI cannot install."""
    from ..collab.forge import DEFAULT_INSTALL
    from ..files.install import install_source
    from ..rules.rulefiles import install_problem
    source = install_source()
    if source is None:
        return None
    if source.local or source.editable or install_problem(source.requirement):
        db.notes.append(f"the CI files install {DEFAULT_INSTALL} from the package index, not"
                        f" this svt, which runs from {source.requirement} on this machine"
                        " (CI cannot install that): to have CI install this svt, set"
                        " svt_install in svt.yaml to a git URL of it (e.g."
                        " git+https://github.com/ORG/svt@v0.1.0), commit, and run svt upgrade")
        return None
    return source.requirement


def enable_lfs(db: "Database") -> str | None:
    if not db.repo.lfs_available():
        raise InvalidInput(f"--lfs needs git-lfs, which is not installed: {LFS_SETUP}")
    read = db.read(CONFIG_FILE, kind="config")
    config = read.data
    attributes = db.root / ".gitattributes"
    old = yamlio.read_text(attributes) if attributes.is_file() else ""  # as apply compares
    have = set(old.splitlines())
    missing = [line for line in _LFS_ATTRIBUTES.splitlines()
               if line not in have and not line.startswith("#")]
    db.repo.lfs_install()
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
        db.stage_replace(change, read, dict(config, lfs=True), "config")
    # stored files (not the records) are committed again through the new attributes
    change.rehash = [p for p in db.repo.tracked(RECORDS)
                     if not p.endswith(".yaml") and p != f"{RECORDS}/README.md"]
    commit = db.commit(change)
    db._config = None
    return commit


def ci_change(db: "Database", install: str, main: str, pending: dict[str, bytes],
              maintainers: list[str] | tuple[str, ...] = (), *, forges: tuple[str, ...],
              pages: tuple[str, ...], forms: bool, authors: list[str] | None = None) -> Change:
    """The CI files an existing store (or ``pending``, a new store's files) lacks, as a
    change: the validation CI of ``forges``, the Pages CI of ``pages`` (forge.pages_files;
    the GitLab job is added to .gitlab-ci.yml) and with ``forms`` the issue forms and their
    workflow. A file there already is kept. CODEOWNERS gets lines for the CI files written
    (owned by ``maintainers``), in the CODEOWNERS of each forge written for."""
    from ..collab.forge import (GITLAB_FILE, ci_files, codeowners_update, forms_files,
                                pages_files)
    what = [w for w, on in (("--ci", forges), ("--pages", pages), ("--forms", forms)) if on]
    change = Change(f"init {' '.join(what)}: CI files for {main}")
    gitlab = db.root / GITLAB_FILE
    old = None
    if GITLAB_FILE in pending:
        text = pending[GITLAB_FILE].decode("utf-8")
    elif gitlab.is_file():
        text = old = yamlio.read_text(gitlab)
    else:
        text = None
    wanted = {p: b for p, b in ci_files(install, main, forges).items()
              if p not in pending and not (db.root / p).exists()}
    if GITLAB_FILE in wanted:
        text = wanted[GITLAB_FILE].decode("utf-8")
    if pages:
        wanted.update(pages_files(install, main, text, pages))
    if forms:
        wanted.update(forms_files(install, main, authors))
    for path, data in wanted.items():
        if path == GITLAB_FILE:
            change.contents[path] = data
            if old is not None:
                change.expected[path] = old
        elif path not in pending and not (db.root / path).exists():
            change.contents[path] = data

    def read(path: str) -> str | None:
        if path in pending:
            return pending[path].decode("utf-8")
        on_disk = db.root / path
        return yamlio.read_text(on_disk) if on_disk.is_file() else None

    written = sorted(change.contents)
    owned = tuple(sorted(set(forges) | set(pages) | ({"github"} if forms else set())))
    for path, data in (codeowners_update(read, written, maintainers, owned)
                       if written else {}).items():
        change.contents[path] = data
        if path not in pending and (db.root / path).is_file():
            change.expected[path] = yamlio.read_text(db.root / path)
    return change


def enable_ci(db: "Database", ci: str | bool | Sequence[str], *, pages: bool = False,
              forms: bool = False) -> str | None:
    """`svt init --ci/--pages/--forms` on an existing store: the CI files it lacks, in one
    commit (None when it has them all)."""
    from ..collab.forge import DEFAULT_INSTALL
    forges = forges_of(ci, pages=pages, forms=forms)
    config = db.read(CONFIG_FILE, kind="config").data
    main = config.get("main_branch") or db.repo.default_branch() or "main"
    change = ci_change(db, config.get("svt_install") or DEFAULT_INSTALL, main, {},
                       config.get("maintainers") or (), forges=forges,
                       pages=forges if pages else (), forms=forms,
                       authors=config.get("issue_authors"))
    if not change.contents:
        return None
    return db.commit(change)


def backup_database(db: "Database", path: str | os.PathLike) -> str:
    db.require()
    target = Path(os.path.expanduser(str(path))).absolute()
    if target.is_dir():
        stamp = model.now().strftime("%Y%m%d_%H%M%S")
        target = target / f"svt-backup-{stamp}.bundle"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    db.repo.run("bundle", "create", "-q", str(tmp), "--all")
    os.replace(tmp, target)
    return str(target)


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



def watch(db: "Database", on: bool) -> "WatchStatus":
    """``Database.watch``: mark the store as wanting a watcher and start one (waiting until
    it answers), or unmark it and stop the running one."""
    import time
    from ..index import watch as watching
    svt_dir = db.repo.svt_dir()
    if not on:
        watching.want(svt_dir, False)
        watching.stop(svt_dir)
        return watching.status(svt_dir)
    if not watching.supported():
        raise SvtError("svt watch needs Linux (inotify); on this system every query checks"
                       " the files itself, as it does without a watcher")
    watching.want(svt_dir, True)
    status = watching.status(svt_dir)
    log = Path(watching.watch_dir(svt_dir), "log")
    if status.pid is None:
        before = _log_state(log)  # (what earlier starts said may still be in it)
        watching.start(db.root, svt_dir)
        deadline = time.monotonic() + WATCH_START_S
        # a watcher says nothing in its log unless it fails (it empties it once it runs)
        while status.pid is None and time.monotonic() < deadline \
                and not _said(log, before):
            time.sleep(0.05)
            status = watching.status(svt_dir)
    if status.pid is None:
        watching.want(svt_dir, False)  # no query starts one again, to fail again
        raise SvtError(f"the watcher did not start; what it said is in {log}. Queries check"
                       " every file, as without it; mend that, then run: svt watch")
    return status


def _log_state(log: Path) -> tuple[int, int, int]:
    try:
        st = log.stat()
    except OSError:
        return (0, 0, 0)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _said(log: Path, before: tuple[int, int, int]) -> bool:
    """Whether the watcher wrote to its log since ``before`` (what ``_log_state`` said)."""
    now = _log_state(log)
    return now[0] > 0 and now != before
