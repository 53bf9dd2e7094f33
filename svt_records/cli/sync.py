"""svt sync, svt branch."""
from __future__ import annotations

import shlex

import click

from . import open_db, report_notes
from .render import echo

SHOWN_PROBLEMS = 10  # validation problems listed when a sync is not pushed


@click.command()
@click.option("--merge", "merge", flag_value=True, default=None,
              help="Merge the remote's commits instead of rebasing yours onto them (as"
                   " `sync: merge` in svt.yaml); a conflict is then left for svt resolve.")
@click.option("--rebase", "merge", flag_value=False,
              help="Rebase even when svt.yaml says `sync: merge`.")
def sync(merge: bool | None) -> None:
    """Fetch, put your commits on top of the remote's, validate, and push.

    Your branch's own commits are rebased onto the remote branch (or merged, with --merge
    or `sync: merge` in svt.yaml), with svt's merge driver merging component records field
    by field. What changed in the result (your commits and the pulled ones) is validated;
    a result with errors is not pushed (exit 1, the files named), and later syncs check
    those files again until a commit fixes them. A push rejected because someone pushed in
    between is tried again.

    A field both sides changed to different values stops it, saying which: a rebase is
    aborted, so nothing here changes; `svt sync --merge` then stops at the conflict for
    `svt resolve ID... --ours` (or --theirs, or --set FIELD=VALUE), and `svt sync` finishes
    the merge and pushes.

    With `review: branch` in svt.yaml, on a topic branch (svt branch NAME) it rebases onto the
    remote's main, pushes the branch and prints the page that opens its pull/merge request;
    on main it only pulls.

    \b
    Examples:
      svt sync
      svt sync --merge
    """
    from ..collab.sync import sync as do_sync
    db = open_db()
    out = do_sync(db, merge=merge)
    report_notes(db)
    if out.finished_merge:
        echo(f"Committed the merge that svt resolve settled on {out.branch}")
    if out.conflicted:
        verb = "merging" if out.merge_left else "rebasing onto"
        echo(f"Conflict {verb} {out.onto}:", err=True)
        for line in out.conflicts:
            echo(f"  {line}", err=True)
        ids = " ".join(shlex.quote(cid) for cid in dict.fromkeys(out.components))
        others = len(out.by_hand)
        steps: list[str] = []
        if ids:
            steps.append(f"settle {'the record' if len(out.components) == 1 else 'the records'}"
                       f" with `svt resolve {ids} --ours` (keep yours), --theirs (keep the"
                       " remote's) or --set FIELD=VALUE")
        if others > 0:
            named = ", ".join(out.by_hand[:3]) + (f" and {others - 3} more" if others > 3 else "")
            them = "it" if others == 1 else "them"
            steps.append(f"settle {named} by hand (svt cannot merge {them}), then `git add`"
                         f" {'it' if others == 1 else 'each'}")
        if out.merge_left:
            echo(f"The merge is waiting for you: {'; '.join(steps)}; then run `svt sync` again to"
                 " commit the merge and push (or give up with `git merge --abort`)", err=True)
        elif not steps:  # the rebase stopped on a commit, but the merge settles itself
            echo("Nothing was changed here (the rebase was aborted). Merging instead does not"
                 " conflict: run `svt sync --merge`", err=True)
        else:
            echo("Nothing was changed here (the rebase was aborted). To settle it run `svt sync"
                 f" --merge`, which stops at the conflict; then {'; '.join(steps)}; then run"
                 " `svt sync` again", err=True)
        raise click.exceptions.Exit(1)  # main() returns it: no broken pipe's exit
    came = f"{out.pulled} commit(s) from {out.onto}" if out.pulled else ""
    if out.problems:
        errors = len(out.problems)
        files = sorted({p.path for p in out.problems})
        echo(f"Not pushed: the result, with {came or out.onto} merged in, fails validation:"
             f" {errors} error(s) in {len(files)} file(s):", err=True)
        for problem in out.problems[:SHOWN_PROBLEMS]:
            echo(f"  {problem.render()}", err=True)
        if errors > SHOWN_PROBLEMS:
            echo(f"  ... and {errors - SHOWN_PROBLEMS} more (`svt validate` lists them all)",
                 err=True)
        echo("Fix them and commit the fix (with svt, or by hand and git commit); the next svt"
             " sync checks these files again and pushes once they pass", err=True)
        raise click.exceptions.Exit(1)  # main() returns it: no broken pipe's exit
    how = f" ({out.method})" if out.pulled and out.pushed else ""
    if out.push_to is None:
        echo(f"Pulled {came}" if came else f"{out.branch} is up to date with {out.onto}")
        if out.unpushed:
            echo(f"note: {out.branch} has {out.unpushed} commit(s) {out.onto} lacks, and"
                 " review mode pushes only topic branches: carry them to one with `git"
                 f" switch -c NAME`, then `git branch -f {out.branch} {out.onto}`",
                 err=True)
        return
    if out.pushed:
        got = f"; got {came}{how}" if came else ""
        retried = f" (after {out.attempts} attempts: others pushed in between)" \
            if out.attempts > 1 else ""
        echo(f"Pushed {out.pushed} commit(s) to {out.push_to}{got}{retried}")
    elif came:
        echo(f"Pulled {came}; nothing to push")
    else:
        echo(f"{out.branch} is up to date with {out.push_to}; nothing to do")
    if out.url:
        echo(f"Open the pull/merge request: {out.url}")


@click.command()
@click.argument("name", required=False)
@click.option("--prune", is_flag=True, help="Delete local topic branches already merged into"
                                            " the remote's main branch.")
def branch(name: str | None, prune: bool) -> None:
    """Start topic branch NAME from the up-to-date main branch and check it out.

    It fetches first, so NAME starts from the remote's main (the local main when the remote
    cannot be reached, with a warning). With `review: branch` in svt.yaml svt commits only
    on such a branch; `svt sync` pushes it and prints the page that opens its pull/merge
    request. --prune deletes the local branches the remote's main has merged (never the one
    checked out, nor main), naming each.

    \b
    Examples:
      svt branch stand2-iv-tests
      svt branch --prune
    """
    from ..model.errors import InvalidInput
    from ..collab.sync import prune_branches, start_branch
    if bool(name) == prune:
        raise InvalidInput("give a branch NAME to start, or --prune (not both)")
    db = open_db()
    if prune:
        deleted, kept, warning = prune_branches(db)
        report_notes(db)
        if warning:
            echo(f"warning: {warning}; pruned against the local main", err=True)
        for gone in deleted:
            echo(f"Deleted branch {gone} (merged)")
        if kept:
            echo(f"Kept {kept}: it is merged but checked out (git switch"
                 f" {db.main_branch}, then prune again)")
        if not deleted and not kept:
            echo("No merged topic branches to delete")
        return
    assert name is not None
    start, warning = start_branch(db, name)
    report_notes(db)
    if warning:
        echo(f"warning: {warning}", err=True)
    echo(f"Switched to the new branch {name}, from {start}; record your changes, then"
         " `svt sync` pushes it")
