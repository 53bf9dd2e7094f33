"""svt init."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import click

from . import report_notes
from .render import echo

if TYPE_CHECKING:
    from ..api.database import Database


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--lfs", is_flag=True, help="Track stored images and data files with Git LFS"
                                          " (needs git-lfs installed).")
@click.option("--no-ci", is_flag=True, help="Do not write the GitHub Actions and GitLab CI files"
                                            " that validate every pull/merge request.")
@click.option("--pages", is_flag=True, help="Also publish the records' web site (svt site) from"
              " the main branch: GitHub Pages through Actions and a GitLab pages job. Works"
              " on an existing store too.")
@click.option("--svt-install", metavar="SPEC", help="What CI installs with pip (svt_install in"
              " svt.yaml), e.g. a git URL with a tag; default: this svt's release on the"
              " package index.")
@click.option("--maintainer", "maintainers", multiple=True, metavar="@NAME",
              help="Who must approve changes to the rules (CODEOWNERS; repeat for several).")
@click.option("--review", type=click.Choice(["branch", "direct"]),
              help="branch: svt commits only on topic branches (svt branch NAME), which reach"
                   " main through reviewed pull/merge requests (review in svt.yaml).")
@click.pass_context
def init(ctx: click.Context, path: str | None, lfs: bool, no_ci: bool, pages: bool,
         svt_install: str | None, maintainers: tuple[str, ...], review: str | None) -> None:
    """Create a records store at PATH (default: --repo, $SVT_REPO, else ~/.hps_svt_tracker).

    The store is a git repository holding svt.yaml, the JSON Schemas, records/, and CI
    files for GitHub (.github/workflows/svt-validate.yml) and GitLab (.gitlab-ci.yml) that run
    svt validate on every pull/merge request, with CODEOWNERS naming the maintainers who
    approve changes to the rules. An
    existing git repository gets these files added in one commit; your other files are not
    touched. Running it on an existing store changes nothing, but for --lfs, which turns
    Git LFS on there, and --pages, which adds the CI that publishes the site.

    \b
    Examples:
      svt init                       # the default store in ~/.hps_svt_tracker
      svt init ~/svt-records         # a store you will push to GitHub/GitLab
      svt init --pages               # publish its web site with GitHub/GitLab Pages
      svt init ~/svt-records --maintainer @alice --svt-install \\
          git+https://github.com/ORG/svt@v0.1.0
    """
    from ..api.database import Database
    from ..store.layout import DEFAULT_HOME
    import os

    root_obj = ctx.find_root().obj or {}
    target = path or root_obj.get("repo") or os.environ.get("SVT_REPO") or DEFAULT_HOME
    db = Database(target)
    created = db.initialize_schema(lfs=lfs, ci=not no_ci, svt_install=svt_install,
                                   maintainers=maintainers, review=review, pages=pages)
    report_notes(db)
    if created:
        assert db.last_commit is not None  # initialize_schema committed the new store
        echo(f"Created svt store at {db.root} (commit {db.last_commit[:10]})")
        if not no_ci and not maintainers:
            echo("CODEOWNERS names no maintainers yet, so nobody owns the rules and the"
                       " CI files: name them with `svt upgrade --maintainer @NAME`")
        echo("Next: svt add --id ID --type TYPE ... ; svt list ; svt --help")
    if not created and lfs:
        _report_enabled(db, db.enable_lfs(), lambda commit: (
            f"Git LFS now stores the images and data files of {db.root} (commit {commit[:10]});"
            " older commits keep their plain copies (git lfs migrate import rewrites history,"
            " if you must shrink it)"),
            f"svt store at {db.root} already uses Git LFS; nothing changed")
    if not created and pages:
        _report_enabled(db, db.enable_pages(), lambda commit: (
            f"Added the CI that publishes the site from the main branch (commit {commit[:10]}):"
            " turn on Pages in the project's settings (GitHub: Settings > Pages > Source:"
            " GitHub Actions)"),
            f"{db.root} already publishes its site; nothing changed")
    elif not created and not lfs:
        echo(f"svt store already exists at {db.root}; nothing changed")
    if not created and (svt_install or maintainers):
        echo("--svt-install and --maintainer set up a new store; in this one name"
                   " maintainers with `svt upgrade --maintainer @NAME`, or change svt_install"
                   " in svt.yaml and commit it, then run `svt upgrade`, which writes the CI"
                   " files with it")
    if not created and review:
        echo(f"--review sets up a new store; in this one write `review: {review}` in"
                   " svt.yaml and commit it")


@click.command()
@click.option("--split-index", "split_index", is_flag=True,
              help="Also keep git's index split (core.splitIndex): each svt commit rewrites"
                   " a small file instead of the whole index. Tools built on libgit2"
                   " (GitKraken, pygit2) cannot read a split index.")
def setup(split_index: bool) -> None:
    """Prepare this clone of a store for svt: register svt's git merge driver.

    The driver merges component.yaml field by field when you pull, merge or rebase
    (docs/collaboration.md). Every svt command that writes registers it too; run this once
    after `git clone` so that your first `git pull` already uses it. It writes only this
    clone's .git/config and .git/info/attributes.

    With --split-index, git's index is kept in two files (core.splitIndex): large stores
    (100,000 components) then commit in about half the time (docs/performance.md).
    """
    from . import open_db
    db = open_db()
    changed = db.register_merge_driver()
    echo("Registered svt's merge driver in this clone" if changed
               else "svt's merge driver is already registered in this clone; nothing changed")
    if split_index:
        db.use_split_index()
        echo("git's index in this clone is now split (core.splitIndex); undo with"
                   " git config --unset core.splitIndex && git update-index --no-split-index")


@click.command()
@click.option("--maintainer", "maintainers", multiple=True, metavar="@NAME",
              help="Also name a maintainer (repeat for several): added to maintainers in"
                   " svt.yaml, and the owner of every rule-bearing file CODEOWNERS left"
                   " unowned.")
@click.option("--dry-run", is_flag=True, help="Only list what would change; write nothing.")
def upgrade(maintainers: tuple[str, ...], dry_run: bool) -> None:
    """Take this svt's rules into the store, in one commit: its current schemas (the store's
    own additions, such as an extra status, are kept), its CI files (the store's own jobs
    and workflows are left as they are), CODEOWNERS lines for every rule-bearing file, and
    svt_install moved to this release when it pins an older one.

    A store's schemas/ are its own, so a field or pattern a newer svt knows reaches a store
    made before only this way; svt validate notes when they are older than svt's. The commit
    changes the rules: push it on a branch and have a maintainer approve it (the label
    rules-approved), as any rule change. It is rare (once per svt release at most), so it
    has no benchmark.

    \b
    Examples:
      svt upgrade --dry-run                 # what would change
      svt upgrade                           # one commit; review it as a rule change
      svt upgrade --maintainer @alice       # and make @alice own the rules
    """
    from . import open_db
    from ..collab.upgrade import describe, upgrade as run_upgrade
    db = open_db()
    found, commit = run_upgrade(db, maintainers, dry_run=dry_run)
    report_notes(db)
    lines = describe(found)
    if not lines:
        echo(f"{db.root} already has this svt's schemas and CI files; nothing changed")
        return
    for line in lines:
        echo(("would write " if dry_run else "wrote ") + line)
    for note in found.notes:
        echo(f"note: {note}")
    if commit:
        from ..rules.rulefiles import APPROVAL_LABEL
        echo(f"Upgraded {db.root} (commit {commit[:10]}): it changes the rules, so push"
             f" it on a branch for a maintainer to approve (label {APPROVAL_LABEL}); then"
             " run svt validate, which lists any record the new schemas refuse")


def _report_enabled(db: Database, commit: str | None, done: Callable[[str], str],
                    unchanged: str) -> None:
    """What turning a feature on in an existing store did (init --lfs, init --pages)."""
    report_notes(db)
    echo(done(commit) if commit else unchanged)
