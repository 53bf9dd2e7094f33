"""``svt sync`` and ``svt branch``: a clone and its remote in step (docs/collaboration.md).

sync fetches, puts this branch's own commits on top of the remote's (rebase, or merge when
svt.yaml says ``sync: merge`` or when asked), validates what changed in the result (the local
commits and the pulled ones, since the two parted), and pushes only a result that passes; a
push rejected because someone pushed in between starts over, a few times. A result that
fails is remembered (.git/svt/sync-failing): each later sync validates those files too, until
a fix makes them pass. A real conflict stops it: a rebase is aborted, so the clone is exactly
as before; a merge (asked for) is left for ``svt resolve``, and the next sync commits it.

In review mode (``review: branch``) svt commits only on topic branches: ``svt branch NAME``
starts one from the remote's main branch; sync rebases it onto that main, pushes it and
names the page that opens its pull or merge request; on main, sync only pulls.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

from . import driver
from .history import SYNC_MERGE
from ..model.errors import GitError, InvalidInput, Problem, RecordError, SvtError
from ..git.remote import web_project
from ..git.repo import GitRepo
from ..store.base import StoreBase
from ..store.layout import CONFIG_FILE, RECORDS, record_of_component

MAX_ATTEMPTS = 3  # pushes tried when someone else pushes in between
FAILING = "sync-failing"  # in .git/svt: the files the last sync's result failed validation in
MAX_REMEMBERED = 1000  # of them
# how git says the remote branch moved since the fetch (not: a hook or a protection refused)
RACE_SIGNS = ("(fetch first)", "(non-fast-forward)", "(stale info)", "cannot lock ref",
              "failed to update ref")


@dataclass
class SyncOutcome:
    """What a sync did, or where it stopped."""
    branch: str
    onto: str  # the remote branch the local commits went on top of, e.g. origin/main
    push_to: str | None  # where they went, e.g. origin/topic; None: nothing is pushed
    method: str  # rebase or merge
    finished_merge: bool = False  # committed a merge that svt resolve had settled
    pulled: int = 0  # commits that came in
    pushed: int = 0  # commits pushed
    attempts: int = 0
    unpushed: int = 0  # review mode: commits on main that only a topic branch can take
    conflicted: list[str] = field(default_factory=list)  # paths both sides changed
    conflicts: list[str] = field(default_factory=list)  # lines that explain them
    components: list[str] = field(default_factory=list)  # ids for svt resolve: records the
    # merge stops on (after a rebase stopped: the ones `svt sync --merge` would stop on)
    by_hand: list[str] = field(default_factory=list)  # other files to settle, then git add
    merge_left: bool = False  # a merge stopped on the conflicts, for svt resolve
    problems: list[Problem] = field(default_factory=list)  # why the result was not pushed
    url: str | None = None  # the page that opens the pull/merge request

    @property
    def ok(self) -> bool:
        return not self.conflicted and not self.problems


def sync(db: StoreBase, *, merge: bool | None = None) -> SyncOutcome:
    """Bring this branch and its remote in step (see the module's doc). ``merge``: True
    merges, False rebases, None does what svt.yaml's ``sync`` says (rebase by default)."""
    db.require()
    repo = db.repo
    with db.locked():
        branch = repo.current_branch()
        if branch is None:
            raise SvtError("refused: HEAD is detached: check out the branch to sync (git switch"
                           f" {db.main_branch}), then run svt sync again")
        finishing = repo.merge_in_progress()
        start = repo.rev("HEAD")  # what validation compares the result with
        if finishing:
            left = repo.unmerged_paths()
            if left:
                raise SvtError(_still_conflicts(left))
            repo.commit_merge()
        else:
            busy = repo.busy_state()
            if busy:
                raise SvtError(f"refused: {busy}")
        try:
            db.register_merge_driver()
        except (SvtError, OSError) as exc:
            db.notes.append(f"could not register svt's merge driver ({exc}): merges of"
                            " component.yaml fall back to git's text merge")
        if merge is None:
            merge = db.config.get("sync") == "merge"
        remote, onto_branch, push_branch = _plan(db, branch)
        outcome = SyncOutcome(branch, f"{remote}/{onto_branch}",
                              f"{remote}/{push_branch}" if push_branch else None,
                              "merge" if merge else "rebase", finished_merge=finishing)
        topic = push_branch is not None and push_branch != onto_branch
        for attempt in range(1, MAX_ATTEMPTS + 1):
            outcome.attempts = attempt
            repo.fetch(remote)
            onto = repo.rev(f"refs/remotes/{outcome.onto}")
            if onto is None:
                raise SvtError(f"{remote} has no branch {onto_branch} yet: push it once with"
                               f" `git push -u {remote} {onto_branch}`, then run svt sync again")
            pushed_tip = (None if not push_branch else onto if push_branch == onto_branch
                          else repo.rev(f"refs/remotes/{outcome.push_to}"))
            if topic and pushed_tip and repo.unique_commits("HEAD", pushed_tip):
                raise SvtError(f"refused: {outcome.push_to} has commits this branch lacks"
                               " (someone else pushed to it): bring them in with `git pull"
                               f" --rebase {remote} {push_branch}`, then run svt sync again")
            head = repo.rev("HEAD")
            if head != onto and (head is None or not repo.is_ancestor(onto, head)):
                _refuse_uncommitted(repo)
                outcome.pulled += repo.count(f"{head}..{onto}" if head else onto)
                if not _integrate(repo, outcome, onto, head):
                    return outcome
                head = repo.rev("HEAD")
            pulled = outcome.pulled > 0 or finishing
            base = (repo.merge_base(start, onto) if start else None) if pulled else onto
            if push_branch is None:  # review mode on main: pull only
                outcome.unpushed = repo.count(f"{onto}..HEAD")
                _check(db, outcome, base, pulled)
                return outcome
            if topic:
                outcome.url = review_url(repo.config_value(f"remote.{remote}.url") or "",
                                         onto_branch, push_branch)
            if head == pushed_tip:  # nothing to push: what came in is validated all the same
                _check(db, outcome, base, pulled)
                return outcome
            _refuse_uncommitted(repo)
            if _check(db, outcome, base, True):
                return outcome
            ahead = repo.count(f"{pushed_tip}..HEAD" if pushed_tip else f"{onto}..HEAD")
            ok, message = repo.push(remote, push_branch, lease=(pushed_tip or "") if topic
                                    else None, set_upstream=topic and not repo.upstream(branch))
            if ok:
                outcome.pushed = ahead
                return outcome
            if not any(sign in message for sign in RACE_SIGNS):
                raise GitError(f"git push to {remote} failed: {_push_reason(message)}")
        raise GitError(f"git push to {remote} was rejected {MAX_ATTEMPTS} times, as others kept"
                       f" pushing in between ({_push_reason(message)}); run svt sync again")


def _still_conflicts(left: list[str]) -> str:
    """What to do about files a merge left conflicting: the command for each record."""
    found = {p: cid for p in left if (cid := record_of_component(p)) is not None}
    others = [p for p in left if p not in found]
    ids = " ".join(shlex.quote(cid) for cid in found.values())
    how = []
    if found:
        how.append(f"settle {'it' if len(found) == 1 else 'them'} with `svt resolve {ids}"
                   " --ours` (keep yours), --theirs (keep the remote's) or --set FIELD=VALUE")
    if others:
        how.append(f"settle {others[0]}{f' and {len(others) - 1} more' if len(others) > 1 else ''}"
                   f" by hand, then `git add` {'it' if len(others) == 1 else 'each'}")
    return (f"{', '.join(left[:3])}{f' and {len(left) - 3} more' if len(left) > 3 else ''} still"
            f" conflict{'s' if len(left) == 1 else ''}: {'; '.join(how)}; then run svt sync"
            " again, or give up the merge with `git merge --abort`")


def _refuse_uncommitted(repo: GitRepo) -> None:
    """Before the work tree changes (rebase, merge) or what is pushed is validated; a sync
    with nothing to do skips it (git status reads every file's stat)."""
    dirty = repo.tracked_changes()
    if dirty:
        raise SvtError(f"refused: {dirty[0]} has uncommitted changes, and sync moves and checks"
                       " commits: commit them (git add/commit) or discard them (git checkout --"
                       " FILE), then run svt sync again")


def _plan(db: StoreBase, branch: str) -> tuple[str, str, str | None]:
    """(remote, the branch there that ours goes on top of, the branch there it is pushed
    to, or None when nothing is pushed). A topic branch (in review mode any branch but main;
    otherwise one with no upstream yet) goes on top of main and is pushed as itself."""
    repo = db.repo
    remotes = repo.remotes()
    if not remotes:
        raise SvtError("this clone has no remote to sync with: add one with `git remote add"
                       " origin URL` (the store's GitHub or GitLab repository), then run svt"
                       " sync again")
    upstream = repo.upstream(branch)
    remote = upstream[0] if upstream else ("origin" if "origin" in remotes else remotes[0])
    if db.review_mode:
        main = db.main_branch
        if branch == main:
            return remote, main, None
        return remote, main, upstream[1] if upstream else branch
    if upstream is None:
        main = db.main_branch
        if branch != main:  # a new topic branch (svt branch): onto main, published
            return remote, main, branch
        raise SvtError(f"branch {branch} has no upstream to sync with: push it once with `git"
                       f" push -u {remote} {branch}`, then run svt sync again")
    return remote, upstream[1], upstream[1]


def _integrate(repo: GitRepo, outcome: SyncOutcome, onto: str, head: str | None) -> bool:
    """Put the local commits on top of ``onto``; False when a conflict stopped it (a rebase
    is then aborted, a merge asked for is left in progress)."""
    if head is None or repo.is_ancestor(head, onto):
        repo.fast_forward(onto)
        return True
    rebase = outcome.method == "rebase" and not repo.has_merges(f"{onto}..{head}")
    done, message = repo.rebase(onto) if rebase else repo.merge(
        onto, f"{SYNC_MERGE}{outcome.onto} into {outcome.branch}")
    if done:
        outcome.method = "rebase" if rebase else "merge"
        return True
    outcome.conflicted = repo.unmerged_paths()
    if not outcome.conflicted:  # not a conflict: e.g. an untracked file in the way
        repo.abort()
        raise GitError(f"git {'rebase' if rebase else 'merge'} {outcome.onto} failed, and"
                       f" nothing was changed: {_last_line(message)}")
    # git's stage 2 is the branch being merged into: in a rebase, the remote's
    revs: dict[str, str | None] = ({"remote": onto, "yours": head} if rebase
                                   else {"yours": head, "remote": onto})
    for path in outcome.conflicted:
        outcome.conflicts += _explain(repo, path, revs, outcome.components)
    outcome.by_hand = [p for p in outcome.conflicted if not _record_of(p, outcome.components)]
    if outcome.method == "merge":
        outcome.merge_left = True
    else:
        repo.abort()
        # the rebase stopped at the first commit that conflicts; the merge that settles it
        # (svt sync --merge) stops on every record both sides changed differently
        stops = _merge_stops(repo, head or "HEAD", onto)
        if stops is not None:
            outcome.components, outcome.by_hand = stops
    return False


def _record_of(path: str, ids: list[str]) -> bool:
    """Whether ``path`` is the component.yaml of one of ``ids``."""
    return record_of_component(path) in ids


def _merge_stops(repo: GitRepo, head: str, onto: str) -> tuple[list[str], list[str]] | None:
    """Where merging ``onto`` into ``head`` would stop, worked out in git's object store
    (nothing here changes): (ids of the records svt resolve settles, other files to settle
    by hand); None when git cannot tell."""
    from ..git.config import MERGE_DRIVER
    from ..store.base import merge_driver_command
    try:
        merged = repo.merge_tree(head, onto, [
            f"merge.{MERGE_DRIVER}.name=svt: component.yaml field by field",
            f"merge.{MERGE_DRIVER}.driver={merge_driver_command()}"])
    except GitError:
        return None
    base = repo.merge_base(head, onto)
    ids: list[str] = []
    by_hand: list[str] = []
    for path in merged.conflicts:
        cid = record_of_component(path)
        if cid is not None:
            specs = [f"{rev}:{path}" for rev in (base, head, onto) if rev]
            blobs = repo.read_blobs(specs)
            try:
                for spec in specs:
                    driver.read_version((blobs.get(spec) or b"").decode("utf-8", "replace"), path)
            except RecordError:  # git's text merge takes it: settled by hand
                by_hand.append(path)
                continue
            ids.append(cid)
        else:
            by_hand.append(path)
    return ids, by_hand


def _explain(repo: GitRepo, path: str, revs: dict[str, str | None],
             components: list[str]) -> list[str]:
    if record_of_component(path):
        try:
            cid, conflicts = driver.conflicts_of(repo, path)
        except RecordError:  # a version svt cannot read: git's text merge took it
            conflicts = []
        if conflicts:
            components.append(cid)
            sides = [(side, repo.last_change(rev, path) if rev else None)
                     for side, rev in revs.items()]
            return driver.explain_by_commit(repo, path, cid, conflicts, revs, sides)
    stages = repo.unmerged(path)
    quoted = shlex.quote(path)  # a path of a stranger's commit: quoted for the shell
    if 1 not in stages and len(stages) == 1:  # e.g. added where the other side moved a folder
        return [f"{path}: added on one side where the other side moved or deleted its folder"
                f" (git put it here): keep it with `git add {quoted}`, or drop it with `git rm"
                f" {quoted}`"]
    return [f"{path}: changed on both sides in ways svt cannot merge (settle it in the file,"
            f" then `git add {quoted}`)"]


def _check(db: StoreBase, outcome: SyncOutcome, base: str | None, changed: bool) -> bool:
    """Validate the result where it changed since ``base`` (None: everywhere), plus the files
    an earlier sync's result failed in; ``changed``: False when nothing came in or goes out
    (then only those files). Sets ``outcome.problems`` to the errors, remembers their files
    for the next sync (or forgets them once they pass); True when there are errors."""
    from ..rules.checks import validate_store  # a sync with nothing to do validates nothing
    remembered = _remembered(db)
    if not changed and not remembered:
        return False
    paths = list(remembered)
    if changed and base is not None:  # committed changes: sync refuses uncommitted ones
        paths += [path for _, path in db.repo.changes_between(base, "HEAD")]
    if changed and base is None:
        problems, _ = validate_store(db)
    else:
        problems, _ = validate_store(db, None, base or "HEAD", changed=paths)
    outcome.problems = [p for p in problems if p.severity == "error"]
    _remember(db, sorted({p.path for p in outcome.problems}))
    return bool(outcome.problems)


def _remembered(db: StoreBase) -> list[str]:
    """The files the last sync's result failed validation in (record paths only)."""
    try:
        text = (db.repo.svt_dir() / FAILING).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    paths = [line for line in text.splitlines()[:MAX_REMEMBERED]
             if line == CONFIG_FILE or (line.startswith(f"{RECORDS}/") and ".." not in line)]
    return paths


def _remember(db: StoreBase, paths: list[str]) -> None:
    target = db.repo.svt_dir() / FAILING
    if not paths:
        target.unlink(missing_ok=True)
        return
    tmp = target.with_name(FAILING + ".tmp")
    tmp.write_text("".join(f"{p}\n" for p in paths[:MAX_REMEMBERED]), encoding="utf-8")
    os.replace(tmp, target)


def _last_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no reason given"


def _push_reason(message: str) -> str:
    """git push --porcelain's reason for the refused ref ("!<TAB>src:dst<TAB>[rejected]
    (why)"), else its last line."""
    refused = [line.split("\t")[-1] for line in message.splitlines() if line.startswith("!")]
    return refused[0] if refused else _last_line(message)


def review_url(remote_url: str, main: str, branch: str) -> str | None:
    """The page that opens a pull request (GitHub) or merge request (GitLab) of ``branch``
    into ``main``, for a remote URL in https or ssh form; None for other hosts."""
    project = web_project(remote_url)
    if project is None:
        return None
    forge, web = project
    if forge == "github":
        return f"{web}/compare/{main}...{branch}?expand=1"
    return f"{web}/-/merge_requests/new?merge_request[source_branch]={branch}"


# ---- svt branch ------------------------------------------------------------------------

def start_branch(db: StoreBase, name: str) -> tuple[str, str | None]:
    """Create topic branch ``name`` from the remote's up-to-date main (the local main when
    the remote cannot be reached) and check it out. Returns (where it started, a warning
    or None)."""
    db.require()
    repo = db.repo
    if not repo.valid_branch_name(name):
        raise InvalidInput(f"{name!r} is not a valid branch name: use letters, digits, - _ /"
                           " and ., e.g. stand2-iv-tests")
    with db.locked():
        if repo.rev(f"refs/heads/{name}"):
            raise InvalidInput(f"branch {name} exists already: switch to it with `git switch"
                               f" {name}`, or choose another name")
        busy = repo.busy_state()
        if busy:
            raise SvtError(f"refused: {busy}")
        dirty = repo.tracked_changes()
        if dirty:
            raise SvtError(f"refused: {dirty[0]} has uncommitted changes: commit them (git"
                           " add/commit) or discard them (git checkout -- FILE), then run svt"
                           " branch again")
        main = db.main_branch
        remote, warning = _fetch_main_remote(db)
        start = f"{remote}/{main}" if remote and not warning else main
        if not repo.rev(start):
            if not repo.rev(main):
                raise SvtError(f"there is no branch {main} to start from (main_branch in"
                               " svt.yaml names it)")
            start = main
        repo.start_branch(name, start)
        if warning:
            warning += f"; {name} starts from the local {main}, which may be behind"
        return start, warning


def prune_branches(db: StoreBase) -> tuple[list[str], str | None, str | None]:
    """Delete the local topic branches the remote's main holds every commit of (never the
    branch checked out, nor main). Returns (deleted, a merged branch kept because it is
    checked out, a warning)."""
    db.require()
    repo = db.repo
    with db.locked():
        main = db.main_branch
        remote, warning = _fetch_main_remote(db)
        into = f"{remote}/{main}" if remote and repo.rev(f"{remote}/{main}") else main
        current = repo.current_branch()
        deleted, kept = [], None
        for name in repo.merged_branches(into):
            if name == main:
                continue
            if name == current:
                kept = name
                continue
            repo.delete_branch(name)
            deleted.append(name)
        return deleted, kept, warning


def _fetch_main_remote(db: StoreBase) -> tuple[str | None, str | None]:
    """Fetch the remote main comes from: (that remote or None, a warning when it has none or
    cannot be reached)."""
    repo = db.repo
    remotes = repo.remotes()
    if not remotes:
        return None, "this clone has no remote"
    upstream = repo.upstream(db.main_branch)
    remote = upstream[0] if upstream else ("origin" if "origin" in remotes else remotes[0])
    try:
        repo.fetch(remote)
    except GitError as exc:
        return remote, str(exc)
    return remote, None
