"""The checks of `svt validate`: every file on its own, then the store as a whole (the rules
across records are in crosschecks.py).

Findings are :class:`~svt_records.errors.Problem` values with the file (relative to the store
root), line and column, and a message that says what to write instead. Rendering them is
report.py's business.
"""
from __future__ import annotations

import hashlib
import os
import stat
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .. import model
from ..model import registry
from ..files import schema, yamlio
from .crosschecks import CREATED_KEY, HISTORY_KEYS, UNREADABLE, Record, cross_checks
from .safety import (MAX_SVG_BYTES, SYMLINK_RULE, is_plain_file_name, is_svg,
                     record_problems as safety_problems)
from ..model.errors import InvalidInput, Problem, SvtError
from ..store.base import StoreBase
from ..store.layout import (COMPONENT_FILE, CONFIG_FILE, EVENT_NAME_RE, RECORDS, component_folder,
                             record_kind, record_of_component)

if TYPE_CHECKING:  # imported where used: the index is needed only for some checks
    from ..index.queries import Index

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
# the events that install or remove: dated ahead, they hold back the component's next one
_POSITION_KINDS = {name for name, kind in registry.EVENT_KINDS.items() if "position" in kind.changes}
PARALLEL_FROM = 3000


# ---- the files ---------------------------------------------------------------------------

def walk(root: str, only: Iterable[str] | None = None) -> tuple[list[str], list[str], list[Problem]]:
    """YAML records and other files under records/ (relative paths); links are problems.
    Folder entries are told apart by their type from the folder listing (scandir's d_type:
    no stat per file, which cost 5 of a full validation's 26 s at 80,000 files)."""
    yamls: list[str] = []
    others: list[str] = []
    problems: list[Problem] = []
    stack: list[str] = []

    def place(rel: str, link: bool, folder: bool, regular: bool) -> None:
        if link:
            problems.append(Problem(rel, 1, 1, "is a symbolic link: svt never follows links in"
                                               " records/; replace it with the real file or folder",
                                    rule=SYMLINK_RULE))
        elif folder:
            stack.append(rel)
        elif not regular:
            problems.append(Problem(rel, 1, 1, "is not a regular file; remove it", rule="layout"))
        elif rel.endswith(".yaml"):
            yamls.append(rel)
        else:
            others.append(rel)

    for start in (list(only) if only is not None else [RECORDS]):
        try:
            mode = os.lstat(os.path.join(root, start)).st_mode
        except OSError:
            continue  # not there: nothing to check
        place(start, stat.S_ISLNK(mode), stat.S_ISDIR(mode), stat.S_ISREG(mode))
    while stack:
        rel = stack.pop()
        with os.scandir(os.path.join(root, rel)) as entries:
            for e in entries:
                place(f"{rel}/{e.name}", e.is_symlink(), e.is_dir(follow_symlinks=False),
                      e.is_file(follow_symlinks=False))
    return sorted(yamls), sorted(others), problems


def check_file(root: str, rel: str, schema_dir: str) -> tuple[Record | None, list[Problem]]:
    """Syntax, strict rules, schema and layout of one record file."""
    problems: list[Problem] = []
    doc = None
    text = ""
    try:
        text = yamlio.read_text(os.path.join(root, rel))
        data = yamlio.load_fast(text)  # declines anything the strict reader would flag
        if data is None:
            doc = yamlio.load(text)
            data = doc.data
    except yamlio.YamlError as exc:
        f = exc.finding
        return None, [Problem(rel, f.line, f.column, _in_conflict(rel, text) or f.message,
                              rule="yaml")]
    except OSError as exc:
        return None, [Problem(rel, 1, 1, f"cannot be read: {exc.strerror}", rule="yaml")]
    if doc is not None:
        problems += [Problem(rel, w.line, w.column, w.message, "warning", "yaml11")
                     for w in doc.warnings]
    if not isinstance(data, dict):
        return None, problems + [Problem(rel, 1, 1, "a record must be a mapping of fields"
                                                    " (key: value lines)", rule="yaml")]
    kind = record_kind(rel, data) or "?"
    record = Record(rel, data, kind, doc.marks if doc else None, root)
    if kind not in schema.SCHEMA_OF_KIND:
        problems.append(Problem(rel, *record.at("kind"),
                                f"kind is {data.get('kind')!r}: use one of"
                                f" {', '.join(model.EVENT_KINDS)}", rule="schema"))
        return None, problems
    for path, message in schema.check(data, kind, schema_dir):
        problems.append(Problem(rel, *record.at(*path), message, rule="schema"))
    if rel == CONFIG_FILE:  # what CI files take from svt.yaml, whatever the store's schema says
        from .rulefiles import config_problems
        problems += [Problem(rel, *record.at(*path), message, rule="rules")
                     for path, message in config_problems(data)]
    if rel != CONFIG_FILE:
        svgs: dict[str, bytes] = {}  # the SVG files _layout read, for safety's check
        problems += _layout(root, record, registry.enumerations(schema_dir).component_types,
                            svgs)
        problems += safety_problems(root, record, svgs)  # path-safe names, active content
    return record, problems


def _in_conflict(rel: str, text: str) -> str | None:
    """How to settle a component record a merge or rebase left with conflict markers."""
    found = record_of_component(rel)
    if found is None or "\n<<<<<<< " not in "\n" + text:
        return None
    import shlex
    cid = shlex.quote(found)
    return (f"{cid} is in conflict: a merge or rebase stopped on it (git's merge conflict markers"
            f" are in the file); settle it with `svt resolve {cid} --ours` (or --theirs, or --set"
            " FIELD=VALUE), then continue the merge (git commit) or rebase (git rebase"
            " --continue)")


def _layout(root: str, rec: Record, types: tuple[str, ...],
            svgs: dict[str, bytes] | None = None) -> list[Problem]:
    """The layout problems of one record; the stored SVG files it reads (to check their
    sha256) go into ``svgs`` (name -> bytes, at most MAX_SVG_BYTES + 1 of them)."""
    parts = rec.path.split("/")
    out: list[Problem] = []

    def bad(message: str, *field: Any, rule: str = "layout") -> None:
        out.append(Problem(rec.path, *rec.at(*field), message, rule=rule))

    if len(parts) < 4 or parts[0] != RECORDS or parts[1] not in types:
        bad(f"records live in records/<type>/<ID>/ with <type> one of"
            f" {', '.join(types)}; move this file there")
        return out
    ctype, cid = parts[1], parts[2]
    data = rec.data
    if rec.kind == "component":
        if len(parts) != 4:
            bad("component.yaml belongs directly in records/<type>/<ID>/")
        if data.get("id") != cid:
            bad(f"id is {data.get('id')!r} but the folder is {cid!r}: make them agree", "id")
        if data.get("type") != ctype:
            bad(f"type is {data.get('type')!r} but the file is under records/{ctype}/: fix the"
                " type or move the folder", "type")
        return out
    if len(parts) != 5:
        bad("event files belong in records/<type>/<ID>/<YYYY>/")
        return out
    if isinstance(data.get("component"), str) and data.get("component") != cid:
        bad(f"component is {data.get('component')!r} but the file is in {cid}'s folder",
            "component")
    m = EVENT_NAME_RE.match(parts[4])
    if not m:
        bad("event file names are <YYYYMMDD_HHMMSS>_<test type or kind>[_<tag>].yaml; rename"
            " it", rule="naming")
        return out
    declared = registry.EVENT_KINDS.get(rec.kind)  # each kind declares its file-name word
    name = (declared.word or data.get("test_type")) if declared else data.get("kind")
    # a test type may itself end in _ and six hex digits: then the name has no tag
    named = m.group("name") == name or f"{m.group('name')}_{m.group('tag')}" == name
    if isinstance(name, str) and not named:
        bad(f"file name says {m.group('name')!r} but the record is {name!r}: rename the file"
            f" to {m.group('stamp')}_{name}.yaml", "test_type" if rec.kind == "test" else "kind",
            rule="naming")
    if isinstance(data.get("date"), str):
        try:
            when = model.parse_date(data["date"])
        except SvtError:
            return out  # the schema already says the date is malformed
        stamp = model.date_stamp(when)
        if m.group("stamp") != stamp:
            bad(f"file name says {m.group('stamp')} but date is {data['date']}: rename the file"
                f" to {stamp}_{m.group('name')}.yaml (or fix the date)", "date", rule="naming")
        if parts[3] != stamp[:4]:
            bad(f"the file is in year folder {parts[3]} but its date is in {stamp[:4]}:"
                f" move it to {'/'.join(parts[:3])}/{stamp[:4]}/", "date", rule="naming")
        if model.in_future(when):
            bad(f"date {data['date']} is in the future: correct it (and the file name)", "date",
                rule="date")
        elif rec.kind in _POSITION_KINDS and model.in_future(when, model.POSITION_SLACK):
            out.append(Problem(rec.path, *rec.at("date"), f"date {data['date']} is"
                               f" {model.time_ahead(when)} ahead: until then no later install or"
                               f" removal of {cid} can be recorded; if it is wrong, correct it"
                               " (and the file name" + (", and installed_date in"
                               " component.yaml)" if rec.kind == "install" else ")"),
                               "warning", "date"))
    for i, entry in enumerate(data.get("files") or []):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            problem = _stored_file(root, "/".join(parts[:4]), entry, svgs)
            if problem:
                bad(problem, "files", i, "path", rule="files")
    return out


def _stored_file(root: str, folder: str, entry: dict,
                 svgs: dict[str, bytes] | None = None) -> str | None:
    name = entry["path"]
    if not is_plain_file_name(name):
        return f"file path {name!r} must be a plain file name in this folder"
    full = os.path.join(root, folder, name)
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return f"stored file {name} is missing: restore it (git checkout -- {folder}/{name})"
    if not stat.S_ISREG(st.st_mode):
        return f"stored file {name} is not a regular file"
    with open(full, "rb") as fh:
        head = fh.read(len(LFS_POINTER))
        if head == LFS_POINTER:  # an LFS pointer in a clone without git-lfs
            pointer = (head + fh.read(1024)).decode("ascii", "replace")
            oid = next((l.split(":", 1)[1] for l in pointer.splitlines()
                        if l.startswith("oid sha256:")), "")
            size = next((l.split()[1] for l in pointer.splitlines() if l.startswith("size ")), "")
            if oid != entry.get("sha256") or size != str(entry.get("size")):
                return f"stored file {name} (Git LFS) does not match the recorded sha256/size"
            return None
        h = hashlib.sha256(head)
        kept = [head] if svgs is not None and is_svg(name) else None
        count = len(head)
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            if kept is not None and count <= MAX_SVG_BYTES:
                kept.append(block)
            count += len(block)
        if kept is not None and svgs is not None:
            svgs[name] = b"".join(kept)[:MAX_SVG_BYTES + 1]
    if st.st_size != entry.get("size"):
        return (f"stored file {name} is {st.st_size} bytes but the record says"
                f" {entry.get('size')}: the file was changed or replaced")
    if h.hexdigest() != entry.get("sha256"):
        return f"stored file {name} does not match its recorded sha256: the file was changed"
    return None


# ---- running everything --------------------------------------------------------------------

def _check_many(args: tuple[str, list[str], str, bool]
                ) -> tuple[list[Record], list[Problem], dict[str, dict]]:
    """check_file over ``paths``: the records the cross checks need, the problems, and (when
    asked) every event's data as read."""
    root, paths, schema_dir, keep_events = args
    records, problems = [], []
    events: dict[str, dict] = {}
    seen: set[tuple] = set()  # (component folder, creation stamp) with an event kept
    for rel in paths:
        rec, found = check_file(root, rel, schema_dir)
        problems += found
        if rec is None and record_of_component(rel) is not None:
            # the component exists, its file does not load: its own problem says why, and the
            # rules across records (events, partners) take it as there but unreadable
            rec = Record(rel, {UNREADABLE: True}, "component", {}, root)
        if rec is None:
            continue
        rec.marks = None  # re-read on demand: cheaper than carrying them between processes
        if rec.kind in model.EVENT_KINDS:
            if keep_events:
                events[rel] = rec.data
            # keep only what the cross checks use, so 100,000 components fit in memory
            files = [{"path": f["path"]} for f in rec.data.get("files") or []
                     if isinstance(f, dict) and isinstance(f.get("path"), str)]
            folder = component_folder(rel)
            made = rec.data.get(CREATED_KEY)  # which part it was recorded on (one-part-per-record)
            if rec.kind in HISTORY_KEYS:
                rec.data = {k: rec.data.get(k) for k in HISTORY_KEYS[rec.kind]}
            elif not files and (folder, made) in seen:
                continue  # nothing the cross checks need beyond "this folder holds events"
            else:
                rec.data = {"kind": rec.kind}
            if files:
                rec.data["files"] = files
            if made is not None:
                rec.data[CREATED_KEY] = made
            seen.add((folder, made))
        records.append(rec)
    return records, problems, events


def check_files(root: str, paths: list[str], schema_dir: str,
                step: Callable[[int], None] = lambda done: None,
                events: dict[str, dict] | None = None) -> tuple[list[Record], list[Problem]]:
    """check_file over many files, with several processes when there are many; ``step`` is
    told how many files each finished part held. ``events``: filled with every event
    record's data as read (path -> data)."""
    workers = min(os.cpu_count() or 1, 4)
    from ..index.queries import fork_available
    keep = events is not None
    if len(paths) < PARALLEL_FROM or workers < 2 or not fork_available():
        records, problems, read = _check_many((root, paths, schema_dir, keep))
        step(len(paths))
        if events is not None:
            events.update(read)
        return records, problems
    import multiprocessing
    # whole component folders per chunk, so a component's events stay together
    chunks, start = [], 0
    while start < len(paths):
        end = min(start + 3000, len(paths))
        while end < len(paths) and paths[end].split("/")[:3] == paths[end - 1].split("/")[:3]:
            end += 1
        chunks.append((root, paths[start:end], schema_dir, keep))
        start = end
    records, problems = [], []
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for (_, part, _, _), (part_records, part_problems, read) in zip(
                chunks, pool.imap(_check_many, chunks)):
            records += part_records
            problems += part_problems
            if events is not None:
                events.update(read)
            step(len(part))
    return records, problems


def validate_store(store: StoreBase, targets: Iterable[str] | None = None,
                   since: str | None = None, index: Index | None = None,
                   changed: list[str] | None = None, events: dict[str, dict] | None = None
                   ) -> tuple[list[Problem], int]:
    """Check the whole store, or the components behind ``targets`` (paths) or changed since
    the revision ``since``. Returns the problems and the number of files checked.
    ``index``: the store's index, which the caller has just refreshed (``since`` then
    refreshes none of its own); ``changed``: the paths changed since ``since``, when the
    caller has asked git already; ``events``: filled with every event record's data as
    read (the site renders its pages from them instead of reading the files again)."""
    root = str(store.root)
    schema_dir = str(store.schema_dir)
    focus: set[str] | None = None
    starts: list[str] | None = None
    if since is None:
        index = None
    if since is not None or targets is not None:
        # user paths are relative to where they stand; git's are relative to the store
        paths = [_target(root, p) for p in targets or []]
        if since is not None:
            if index is None:
                from ..index.queries import Index
                index = Index(store)
                index.refresh()  # also finds new files git does not track yet
            paths += changed if changed is not None else \
                store.repo.changed_since(since) + index.uncommitted()
        focus, start_set = set(), set()
        for rel in paths:
            parts = rel.split("/")
            if rel == RECORDS or rel == ".":
                return validate_store(store, events=events)  # the whole store after all
            folder = component_folder(rel)
            if folder:
                focus.add(parts[2])
                start_set.add(folder)
                start_set.update(f"{RECORDS}/{t}/{parts[2]}" for t in store.enums.component_types
                                 if os.path.isdir(os.path.join(root, RECORDS, t, parts[2])))
            elif parts[0] == RECORDS and len(parts) == 2:
                start_set.add(rel)  # a whole type: its components come from the walk
            elif rel == CONFIG_FILE:
                start_set.add(CONFIG_FILE)
        starts = sorted(start_set)
        for start in starts:
            if start.count("/") == 1:  # records/<type>: every component in it is in focus
                folder = os.path.join(root, start)
                focus |= set(os.listdir(folder)) if os.path.isdir(folder) else set()
    yamls, others, problems = walk(root, [s for s in (starts or []) if s != CONFIG_FILE]
                                   if starts is not None else None)
    if starts is None or CONFIG_FILE in starts:
        yamls = [CONFIG_FILE] + yamls if os.path.exists(os.path.join(root, CONFIG_FILE)) else yamls
    with store.progress_bar("Checking", len(yamls)) as step:
        records, found = check_files(root, yamls, schema_dir, step, events)
    problems += found
    problems += lfs_plain_blobs(store, others)
    if targets and not yamls and not others and since is None:
        raise InvalidInput(f"{' '.join(map(str, targets))} holds no records: give a component"
                           f" folder or record file under {os.path.join(root, RECORDS)}")
    everyone = _other_components(store, focus, index) if focus is not None else None
    outside = store.outside_sparse_records()
    if outside:  # a sparse checkout: the rest of the store is in HEAD, checked elsewhere
        if focus is None:
            focus = {p.split("/")[2] for p in yamls + others if p.count("/") >= 3}
        everyone = everyone or {}
        for cid, data in outside.items():
            path = f"{RECORDS}/{store.outside_sparse()[cid]}/{cid}/{COMPONENT_FILE}"
            everyone.setdefault(cid, Record(path, data or {UNREADABLE: True}, "component", {}))
    problems += cross_checks(records, others, everyone, focus)
    if starts is None:  # on main: results that rest on figures still to set
        from ..store.testrun import placeholder_problems
        problems += placeholder_problems(store, yamls)
    if targets is None:  # schemas older than svt's, CI files nobody owns: store notes
        from .rulefiles import store_notes
        store_notes(store)
    return sorted(set(problems)), len(yamls) + len(others)


def lfs_plain_blobs(store: StoreBase, paths: list[str]) -> list[Problem]:
    """Stored files .gitattributes sends to Git LFS but HEAD holds as plain blobs (committed
    where git-lfs was not set up). Only stores whose .gitattributes names LFS pay for this."""
    try:
        with open(os.path.join(str(store.root), ".gitattributes"), encoding="utf-8") as fh:
            if "filter=lfs" not in fh.read():
                return []
    except (OSError, UnicodeDecodeError):
        return []
    specs = {p: f"HEAD:{p}" for p in store.repo.lfs_routed(paths)}
    sizes = store.repo.blob_sizes(list(specs.values()))
    small = store.repo.read_blobs([s for s in specs.values() if (sizes.get(s) or 0) < 1024])
    out = []
    for path, spec in specs.items():
        if sizes.get(spec) is None or (small.get(spec) or b"").startswith(LFS_POINTER):
            continue  # not committed yet, or committed as an LFS pointer
        out.append(Problem(path, 1, 1, "is committed as a plain git object, but .gitattributes"
                                       " sends it to Git LFS: with git-lfs set up (git lfs"
                                       f" install) re-add it (git rm --cached {path}; git add"
                                       f" {path}; git commit), or rewrite history with git lfs"
                                       f" migrate import --include=\"{path}\"", rule="lfs"))
    return out


def _target(root: str, path: str) -> str:
    """A path the user gave, relative to the store; refused if missing or outside it."""
    full = os.path.abspath(path)
    rel = os.path.relpath(full, root).replace(os.sep, "/")
    elsewhere = os.path.relpath(os.getcwd(), root).replace(os.sep, "/").startswith("..")
    if elsewhere and (rel == ".." or rel.startswith("../") or not os.path.lexists(full)):
        raise InvalidInput(f"{path} is not in the store at {root}, and {os.getcwd()} is in no"
                           " svt store: run svt inside the store's folder, or name the store"
                           " with --repo PATH (or SVT_REPO)")
    if not os.path.lexists(full):
        raise InvalidInput(f"{path} does not exist: give a component folder or record file"
                           f" of the store at {root}")
    if rel == ".." or rel.startswith("../"):
        raise InvalidInput(f"{path} is not in the store at {root}: give a component folder or"
                           " record file of that store, or name another with --repo PATH")
    return rel


def _other_components(store: StoreBase, focus: set[str],
                      index: Index | None = None) -> dict[str, Record]:
    """Every component not in focus, from the index (fast; it re-reads what changed)."""
    from ..index.queries import Index
    out = {}
    fresh = index is None
    index = index or Index(store)
    rows = index.components(refresh=fresh)
    for cid, ctype in index.unreadable_components():  # exists; its own check says what is wrong
        rows.append({"id": cid, "type": ctype, UNREADABLE: True})
    for data in rows:
        cid = data.get("id")
        if cid and cid not in focus:
            out[cid] = Record(f"{RECORDS}/{data.get('type')}/{cid}/{COMPONENT_FILE}", data,
                              "component", None, str(store.root))
    return out
