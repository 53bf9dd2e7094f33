"""``svt undo [COMMIT]``: take back one commit of records with a new commit.

History is never rewritten. The new commit gives every file the commit changed the content
it had before: a file it added is deleted, one it deleted or changed comes back byte for byte
from git (images and Git LFS pointers alike). It goes through svt's write path (the lock, the
refusals, the transaction), and the records it touches must validate afterwards, checked
before the commit is made (:attr:`~svt_records.txn.Change.verify`).

Only a commit of the current branch that changed files under ``records/`` alone can be
undone, and only when no later commit changed the same components: those build on it.

Whether a later commit took a commit back is read from the diffs, never from messages (a
message is anyone's to write): a commit undoes another when its diff is exactly the other's
reversed, file by file, as both ``svt undo`` and a clean ``git revert`` make it.
"""
from __future__ import annotations

from typing import NamedTuple, NoReturn, Sequence

from ..rules.checks import LFS_POINTER, check_files, walk
from ..rules.crosschecks import UNREADABLE, Record, cross_checks, named_ids
from ..model.errors import GitError, InvalidInput, NotFoundError, Problem, RuleViolation, SvtError
from ..git.log import Commit, LogEntry
from ..git.repo import GitRepo
from .history import SYNC_MERGE, UNDO_PREFIX, verb_of
from ..store.base import StoreBase
from ..store.layout import COMPONENT_FILE, RECORDS, component_folder
from ..store.txn import Change

# what undoing does to a file the commit added, deleted, changed (git's status letters)
ACTIONS = {"A": "delete", "D": "restore", "M": "revert", "T": "revert"}
REVERTS = "This reverts commit {sha}."  # the body of an undo commit, as git revert writes it
SHOW_AT_MOST = 5  # later commits named in a refusal


class UndoPlan(NamedTuple):
    """What ``svt undo`` does: the commit undone and, per file, the action taken."""

    commit: str  # the commit undone (full id)
    subject: str
    files: list[tuple[str, str]]  # (action, path), action one of ACTIONS' values
    change: Change


class _Invalid(SvtError):
    """The reverted records do not validate (raised inside the transaction: it rolls back)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(problems[0].render())


def undo(db: StoreBase, rev: str | None = None, *, dry_run: bool = False
         ) -> tuple[UndoPlan, str | None]:
    """Undo the commit ``rev`` names (None: the branch's last commit, if svt made it) with a
    new commit; returns the plan and that commit (None with ``dry_run``, which writes
    nothing)."""
    db.require()
    with db.locked():
        plan = plan_undo(db, rev)
        if dry_run:
            return plan, None
        folders = sorted({_folder(p) for _, p in plan.files})

        def verify() -> None:
            found = _errors(db, folders)
            if found:
                raise _Invalid(found)

        plan.change.verify = verify
        try:
            return plan, db.commit(plan.change)
        except _Invalid as exc:
            # the transaction put every file back: errors the records had before are not ours
            before = {_key(p) for p in _errors(db, folders)}
            new = [p for p in exc.problems if _key(p) not in before]
            if new:
                raise RuleViolation(
                    f"refused: undoing {plan.commit[:10]} would leave {new[0].render()}"
                    f"{_more(len(new) - 1, 'more problem')}; nothing was written") from None
        plan.change.verify = None
        return plan, db.commit(plan.change)


def plan_undo(db: StoreBase, rev: str | None) -> UndoPlan:
    """The change that undoes ``rev``, or the refusal (an SvtError) saying why not."""
    repo = db.repo
    if repo.head() is None:
        raise NotFoundError("nothing to undo: this store has no commits yet")
    if rev is None:
        entry = repo.commit_entry("HEAD")
        if len(entry.parents) > 1 and entry.subject.startswith(SYNC_MERGE):
            _refuse_merge(repo, entry, "the last commit, ")
        if (len(entry.parents) > 1 or verb_of(entry.subject) == "edit"
                or not _records_only(entry.changes)):
            raise InvalidInput(f"the last commit, {entry.sha[:10]} ({entry.subject}), was not"
                               " made by svt: name the commit to undo (svt undo COMMIT;"
                               " svt history ID or git log shows them)")
    else:
        try:
            sha = repo.resolve(rev)
        except GitError:
            raise NotFoundError(f"no commit {rev!r} in this store: give a commit id that"
                                " svt history ID or git log --oneline shows (a commit svt"
                                " sync put on top of the remote's has a new id: look for it"
                                " there)") from None
        entry = repo.commit_entry(sha)
    sha, short = entry.sha, entry.sha[:10]
    if len(entry.parents) > 1:
        _refuse_merge(repo, entry, "")
    if not entry.parents:
        raise RuleViolation(f"{short} is the first commit of this store; there is nothing"
                            " before it to go back to")
    if repo.merge_base(sha, "HEAD") != sha:
        entry = _rewritten_as(db, entry)
        sha, short = entry.sha, entry.sha[:10]
    if not entry.changes:
        raise InvalidInput(f"{short} ({entry.subject}) changes no files: nothing to undo")
    if not _records_only(entry.changes):
        outside = next(p for _, p in entry.changes if not p.startswith(RECORDS + "/"))
        raise RuleViolation(f"{short} changes {outside}, outside {RECORDS}/: svt undoes changes"
                            f" of records only; take it back with git revert {short}, then run"
                            " svt validate")
    unknown = [p for s, p in entry.changes if s not in ACTIONS]
    if unknown:
        raise RuleViolation(f"{short} changes {unknown[0]} in a way svt cannot undo; use"
                            f" git revert {short}")
    _refuse_later_commits(db, entry.sha, entry.changes)
    parent = entry.parents[0]
    olds = repo.read_blobs([f"{parent}:{p}" for s, p in entry.changes if s != "A"])
    change = Change(f"{UNDO_PREFIX}{entry.subject}\n\n{REVERTS.format(sha=sha)}\n")
    lfs = None
    files = []
    for status, path in entry.changes:
        action = ACTIONS[status]
        files.append((action, path))
        target = db.root / path
        if status != "D":  # on disk: as committed (the dirty check makes sure), read now
            try:
                change.expected[path] = target.read_bytes()
            except OSError:
                raise SvtError(f"refused: {path} is missing from the work tree: restore it"
                               f" (git checkout -- {path}), then undo again") from None
        if status == "A":
            change.deletions.append(path)
            continue
        data = olds.get(f"{parent}:{path}")
        if data is None:
            raise GitError(f"git could not read {path} as of {parent[:10]}")
        if data.startswith(LFS_POINTER):  # the file itself, where Git LFS is set up
            if lfs is None:
                lfs = repo.lfs_configured()
            data = (repo.checked_out_blob(f"{parent}:{path}") if lfs else None) or data
        change.contents[path] = data
    return UndoPlan(sha, entry.subject, files, change)


def _refuse_merge(repo: GitRepo, entry: LogEntry, what: str) -> NoReturn:
    """A merge is refused, saying what it is and which of its commits to undo instead."""
    short = entry.sha[:10]
    if entry.subject.startswith(SYNC_MERGE):
        kind = (f"the merge svt sync --merge made ({entry.subject}): it joins this clone's"
                " commits with the remote's and changes nothing of its own")
    else:
        kind = f"a merge ({entry.subject})"
    mine = repo.commit_entry(entry.parents[0])
    yours = ""
    if len(mine.parents) == 1 and verb_of(mine.subject) != "edit" and _records_only(
            mine.changes):
        yours = (f"; this branch's last commit before it is {mine.sha[:10]} ({mine.subject}):"
                 f" svt undo {mine.sha[:10]}")
    raise RuleViolation(f"{what}{short}{',' if what else ''} is {kind}. svt undoes one change"
                        f" at a time: undo a commit it merged instead{yours} (git log"
                        f" --oneline {short}^1..{short}^2 lists those it brought in)")


REWRITE_SEARCH = 200  # commits of HEAD, since it parted from the one asked for, searched


def _rewritten_as(db: StoreBase, entry: LogEntry) -> LogEntry:
    """The commit of the current branch that a rebase made of ``entry`` (same author, author
    date and subject: a rebase keeps them), when its change is the same (patch-id), to undo
    instead; otherwise a refusal that names it, or says where ``entry`` is."""
    repo = db.repo
    short = entry.sha[:10]
    base = repo.merge_base(entry.sha, "HEAD")
    fmt = "--format=%H%x1f%an%x1f%ae%x1f%ad%x1f%s"
    key = repo.run("log", "-1", "--date=raw", fmt, entry.sha).strip().split("\x1f", 1)[1]
    found = repo.run("log", "--no-merges", f"-n{REWRITE_SEARCH}", "--date=raw", fmt,
                     f"{base}..HEAD" if base else "HEAD").splitlines()
    same = [line.split("\x1f", 1)[0] for line in found if line.split("\x1f", 1)[1:] == [key]]
    if not same:
        raise RuleViolation(f"{short} is not on the current branch: check out the branch that"
                            f" holds it (git branch --contains {short}), then undo it there")
    new = same[0]
    if _patch_id(repo, new) != _patch_id(repo, entry.sha):
        raise RuleViolation(f"{short} was rewritten by a rebase (svt sync puts this clone's"
                            f" commits on top of the remote's) as {new[:10]}, whose change"
                            f" differs (a conflict was settled in it): to undo it, svt undo"
                            f" {new[:10]}")
    db.notes.append(f"{short} was rewritten by a rebase (svt sync puts this clone's commits on"
                    f" top of the remote's): it is now {new[:10]}, the same change; undoing"
                    " that")
    return repo.commit_entry(new)


def _patch_id(repo: GitRepo, sha: str) -> str:
    """git's patch-id of a commit's change: equal for the same change on another parent."""
    diff = repo.run("diff-tree", "-p", "--no-color", "--no-renames", sha)
    return repo.run("patch-id", "--stable", input=diff.encode("utf-8", "surrogateescape")
                    ).split(" ", 1)[0]


def _refuse_later_commits(db: StoreBase, sha: str, changes: list[tuple[str, str]]) -> None:
    """Later commits that changed the same components build on this one: refuse, naming
    them (newest first), or the undo that already took it back. A later commit undone by a
    later undo cancels out with it."""
    repo = db.repo
    folders = sorted({_folder(p) for _, p in changes})
    later = repo.later_commits(sha, folders)
    diffs = _diffs(repo, [sha] + [c.sha for c, _ in later])
    later = _uncancelled(later, diffs)
    undone = next((c for c, _ in later if _reverses(diffs[c.sha], diffs[sha])), None)
    if undone is not None:
        raise RuleViolation(f"refused: {sha[:10]} was already undone by {undone.sha[:10]}"
                            f" ({undone.subject}); to bring it back, undo that commit:"
                            f" svt undo {undone.sha[:10]}")
    if later:
        commits = [c for c, _ in later]
        raise RuleViolation(
            f"refused: later commits change the same component(s) as {sha[:10]}:"
            f" {_names(commits)}; undo them first, newest first"
            f" (svt undo {commits[0].sha[:10]}), then undo {sha[:10]}")
    differ = [p for _, p in repo.changes_between(sha, "HEAD", [p for _, p in changes])]
    if differ:  # changed alongside it on another branch, then merged
        others = [c for c, _ in repo.later_commits(sha, differ, which="all")] or [
            c for c, _ in repo.later_commits(sha, differ, which="merges")]
        raise RuleViolation(f"refused: {differ[0]} changed alongside {sha[:10]}, in"
                            f" {_names(others) if others else 'a merge'}: svt undo cannot"
                            f" combine the two; take it back with git revert {sha[:10]},"
                            " then run svt validate")


Diff = frozenset  # of (path, blob before, blob after); git's 0{40} for no file


def _diffs(repo: GitRepo, shas: Sequence[str]) -> dict[str, Diff]:
    """Each commit's whole change against its parent, read in one ``git diff-tree``."""
    out = repo.run("diff-tree", "--stdin", "-r", "-z", "--no-renames",
                   input="\n".join(shas).encode() + b"\n")
    found: dict[str, set] = {sha: set() for sha in shas}
    current: set = set()
    parts = out.split("\0")
    i = 0
    while i < len(parts):
        token = parts[i]
        if token.startswith(":") and i + 1 < len(parts):  # :mode mode blob blob status, path
            fields = token[1:].split()
            current.add((parts[i + 1], fields[2], fields[3]))
            i += 2
            continue
        if token.strip():  # the commit the entries that follow belong to
            current = found.setdefault(token.strip(), set())
        i += 1
    return {sha: frozenset(entries) for sha, entries in found.items()}


def _taken_back(diff: Diff) -> Diff:
    """The diff that takes ``diff`` back: every file it changed, from what it made the file
    to what the file was before, and nothing else."""
    return frozenset((path, after, before) for path, before, after in diff)


def _reverses(diff: Diff, other: Diff) -> bool:
    """Whether ``diff`` is exactly ``other`` taken back."""
    return bool(diff) and diff == _taken_back(other)


def _uncancelled(later: list[tuple[Commit, str]], diffs: dict[str, Diff]
                 ) -> list[tuple[Commit, str]]:
    """``later`` (newest first) without the pairs of a commit and a later one that takes it
    back exactly (:func:`_reverses`; each with the nearest older commit it reverses)."""
    cancelled: set[str] = set()
    for n, (c, _) in enumerate(later):
        if c.sha in cancelled:
            continue
        undoes = _taken_back(diffs[c.sha])  # what the commit it takes back changed
        target = next((o.sha for o, _ in later[n + 1:] if o.sha not in cancelled
                       and diffs[o.sha] and diffs[o.sha] == undoes), None)
        if target is not None:
            cancelled |= {c.sha, target}
    return [(c, body) for c, body in later if c.sha not in cancelled]


def _names(commits: list[Commit]) -> str:
    shown = ", ".join(f"{c.sha[:10]} ({c.subject})" for c in commits[:SHOW_AT_MOST])
    return shown + _more(len(commits) - SHOW_AT_MOST, "more")


def _more(n: int, what: str) -> str:
    return f" and {n} {what}" if n > 0 else ""


def _records_only(changes: list[tuple[str, str]]) -> bool:
    return all(p.startswith(RECORDS + "/") for _, p in changes)


def _folder(path: str) -> str:
    """The component folder a path lies in; the path itself above."""
    return component_folder(path) or path


def _errors(db: StoreBase, folders: list[str]) -> list[Problem]:
    """svt validate's errors in these component folders (those still there) and in the rules
    across records, checked against the components they name (the fields crosschecks.py's
    rules follow), share a position with, or share their id with but for case: as a write
    checks its records, without reading the whole store."""
    root = str(db.root)
    ids = {f.split("/")[2] for f in folders if f.count("/") == 2}
    starts = {f for f in folders if (db.root / f).exists()}
    for cid in ids:
        starts |= {f"{RECORDS}/{ctype}/{name}" for ctype, name in db.namesakes(cid)}
    focus = ids | {s.split("/")[2] for s in starts if s.count("/") == 2}
    yamls, others, problems = walk(root, sorted(starts))
    records, found = check_files(root, yamls, str(db.schema_dir))
    problems += found
    named: set[str] = set()
    positions: set[str] = set()
    for rec in records:
        if rec.kind == "component":
            named |= named_ids(rec.data)
            if isinstance(rec.data.get("position"), str):
                positions.add(rec.data["position"])
    given = {}
    for cid in sorted(named - focus):
        for ctype in db.enums.component_types:
            path = f"{RECORDS}/{ctype}/{cid}/{COMPONENT_FILE}"
            if (db.root / path).is_file():
                try:
                    data = db.read(path, check=False).data
                except SvtError:
                    data = {UNREADABLE: True}
                given[cid] = Record(path, data, "component", None, root)
    if positions:
        from ..index.queries import Index
        index = Index(db)
        for position in sorted(positions):
            for row in index.components(position=position):
                if row["id"] not in focus:
                    given[row["id"]] = Record(f"{RECORDS}/{row['type']}/{row['id']}/"
                                              f"{COMPONENT_FILE}", row, "component", None, root)
    problems += cross_checks(records, others, given, focus)
    return [p for p in problems if p.severity == "error"]


def _key(problem: Problem) -> tuple[str, str, str]:
    return problem.path, problem.message, problem.rule
