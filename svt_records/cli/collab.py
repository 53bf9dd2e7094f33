"""Working together through git: svt's merge driver, resolve, history."""
from __future__ import annotations

import json
import sys

import click

from . import open_db, report_notes
from .complete import COMPONENT_ID
from .render import echo, echo_data


@click.command("merge-driver")
@click.argument("base")
@click.argument("ours")
@click.argument("theirs")
@click.argument("path")
def merge_driver(base: str, ours: str, theirs: str, path: str) -> None:
    """(Run by git.) Merge one component.yaml field by field into OURS.

    Exits 0 when merged; with conflict markers around the fields both sides changed
    differently, explains them and exits 9; any other exit makes git's text merge run.
    """
    import os
    from ..collab.driver import run_driver
    from ..store.base import MERGE_CONFLICT_EXIT
    conflicts, lines = run_driver(os.getcwd(), base, ours, theirs, path)
    for line in lines:
        echo(f"svt: {line}", err=True)
    if conflicts:
        sys.exit(MERGE_CONFLICT_EXIT)


@click.command()
@click.argument("component_ids", metavar="ID...", nargs=-1, required=True, type=COMPONENT_ID)
@click.option("--ours", "side", flag_value="ours", help="Keep our value of every conflicting"
              " field (in a rebase: the branch you rebase onto).")
@click.option("--theirs", "side", flag_value="theirs", help="Keep their value (in a rebase:"
              " your own commit being replayed).")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="Give a field its value (repeatable; attributes.NAME=VALUE for an"
                   " attribute; one ID only).")
def resolve(component_ids: tuple[str, ...], side: str | None, sets: tuple[str, ...]) -> None:
    """Settle a merge conflict in each component ID's record, and stage the files.

    During a merge or rebase that stopped on the components' component.yaml: each field both
    sides changed to different values takes our value (--ours), their value (--theirs), or
    the one --set gives (with one ID). Every record is checked before any is written. A
    location follows the component's latest move, whichever side is chosen (the other
    value is named, with the `svt location` that records it). In a rebase, a value of your
    commit that the choice drops is kept on record as a comment of the component, since git
    rewrites (or drops) that commit. Then continue: `git commit` (a merge; `svt sync` commits
    it and pushes) or `git rebase --continue`.

    \b
    Example:
      svt resolve MODULE-L1-001 --theirs
      svt resolve MODULE-L1-001 MODULE-L1-002 --ours
      svt resolve MODULE-L1-001 --set status=spare --ours
    """
    from ..model.errors import InvalidInput
    from ..collab.resolve import resolve as do_resolve
    values = {}
    for item in sets:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise InvalidInput(f"--set {item!r}: write FIELD=VALUE, e.g. --set status=spare")
        values[field.strip()] = value.strip()
    if side is None and not values:
        raise InvalidInput("say how to settle it: --ours, --theirs or --set FIELD=VALUE")
    db = open_db()
    done, left = do_resolve(db, component_ids, side, values)
    report_notes(db)
    for r in done:
        for c in r.conflicts:
            echo(f"{r.component_id} {c.field}: {r.chosen.get(c.field, side)}")
        if r.kept:
            echo(f"Kept what your commit set on record, in {r.kept} (the rebase rewrites"
                 " that commit)")
    paths = ", ".join(r.path for r in done)
    then = {"merge": "`svt sync` (it commits the merge and pushes; or `git commit`)",
            "rebase": "`git rebase --continue`",
            "cherry-pick": "`git cherry-pick --continue`"}[done[0].operation]
    if left:
        then = (f"{left[0]}{f' and {len(left) - 1} more' if len(left) > 1 else ''} still"
                " conflict: settle them too (`git status` lists them), then continue")
    echo(f"Resolved {paths} and staged {'it' if len(done) == 1 else 'them'}; now {then}")
    for r in done:
        for note in r.notes:
            echo(f"note: {r.component_id} {note}")


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: one object with every commit and change.")
def history(component_id: str, fmt: str) -> None:
    """Every commit that changed component ID, newest first, with each field's change.

    svt's commits and hand edits alike (verb "edit"), including both sides of merges, so a
    value dropped while resolving a conflict still shows. Events added are listed too.

    \b
    Example:
      svt history MODULE-L1-001
      svt history MODULE-L1-001 --format json
    """
    from ..collab.history import component_history, value_text
    db = open_db()
    found = component_history(db, component_id)
    report_notes(db)
    if fmt == "json":
        echo_data(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    cut = "; the history is cut: this is a shallow clone (git fetch --unshallow)" \
        if found["shallow"] else ""
    echo(f"{component_id}: {len(found['commits'])} commit(s){cut}")
    for c in found["commits"]:
        merge = " (merge)" if len(c["parents"]) > 1 else ""
        echo(f"\n{c['date']}  {c['verb']}{merge}  {c['author']}  {c['sha'][:10]}")
        if c["verb"] == "edit":
            echo(f"  {c['subject']}")
        for ch in c["changes"]:
            echo(f"  {ch['field']}: {value_text(ch['old'])} → {value_text(ch['new'])}")
        for text in c["events"]:
            echo(f"  {text}")


@click.command()
@click.argument("commit", required=False)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing (the"
              " check that the result validates runs only when undoing for real).")
def undo(commit: str | None, dry_run: bool) -> None:
    """Take back COMMIT with a new commit; history is never rewritten.

    Without COMMIT: the last commit of the current branch, if svt made it (else name the
    commit). Files the commit added are deleted, files it changed or deleted come back as
    they were, images and data files too. The new commit says "undo: <subject>" and "This
    reverts commit <id>."; undoing it brings the change back.

    COMMIT may be any commit of the current branch that changed only files under records/,
    svt's own or a hand edit. svt refuses a merge, a commit of another branch, one that
    changed svt.yaml, schemas/ or other files, and one that later commits build on (they
    change the same components): undo those first, newest first. A later commit whose diff
    takes COMMIT back exactly (an undo, or a clean git revert, whatever its message says)
    means it is already undone. The undone records must pass svt validate, else nothing is
    written.

    An id printed before svt sync rebased the commit (giving it a new id) still works: svt
    finds the commit the rebase made of it (same author, date and subject, and the same
    change by git patch-id, among the branch's last 200 commits), says so, and undoes that.
    A merge that svt sync --merge made is named as such, with the commit to undo instead.

    \b
    Example:
      svt undo --dry-run        # what undoing the last commit would change
      svt undo                  # undo the last commit
      svt undo 5f84f57          # undo an older commit (svt history ID shows them)
    """
    from ..collab.undo import undo as do_undo
    db = open_db()
    plan, new = do_undo(db, commit, dry_run=dry_run)
    report_notes(db)
    what = f"{plan.commit[:10]} ({plan.subject})"
    echo(f"Would undo {what}:" if new is None else f"Undid {what} in {new[:10]}:")
    width = max(len(action) for action, _ in plan.files)
    for action, path in plan.files:
        echo(f"  {action:<{width}}  {path}")
    if new is None:
        echo("Nothing was written (--dry-run).")
