"""svt init."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import click

from ..store.layout import DEFAULT_NAME  # loaded by every command here all the same
from . import report_notes
from .render import echo

if TYPE_CHECKING:
    from ..api.database import Database


FORMS_NEXT = ("on GitHub, create the label the forms carry (gh label create svt-record, or"
              " Issues > Labels > New label) and allow the workflow to open pull requests"
              " (Settings > Actions > General > Workflow permissions > \"Allow GitHub Actions to"
              " create and approve pull requests\"); see docs/how-to/recording-from-a-phone.md")


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--lfs", is_flag=True, help="Track stored images and data files with Git LFS"
                                          " (needs git-lfs installed).")
@click.option("--ci", metavar="FORGES", help="Write the CI files that validate every pull/merge"
              " request for these forges: github, gitlab or github,gitlab. A personal store"
              " needs none. Works on an existing store too.")
@click.option("--no-ci", is_flag=True, help="No longer needed (CI files come only with --ci,"
              " --pages or --forms); accepted and ignored.")
@click.option("--pages", is_flag=True, help="Also publish the records' web site (svt site) from"
              " the main branch: GitHub Pages through Actions and a GitLab pages job (with"
              " the validation CI; --ci github or gitlab for one forge only). Works on an"
              " existing store too.")
@click.option("--forms", is_flag=True, help="Also let people record from a browser or phone:"
              " GitHub issue forms (test, log, move/status) and a workflow that turns each"
              " issue into a pull request (implies --ci github;"
              " docs/how-to/recording-from-a-phone.md). Works on an existing store too.")
@click.option("--svt-install", metavar="SPEC", help="What CI installs with pip (svt_install in"
              " svt.yaml), e.g. a git URL with a tag; default: this very svt where CI can"
              " install it (from git or the package index), else its release on the index.")
@click.option("--maintainer", "maintainers", multiple=True, metavar="@NAME",
              help="Who must approve changes to the rules (CODEOWNERS; repeat for several).")
@click.option("--name", metavar="TITLE", help="The store's title, shown on its web site"
              f' (name in svt.yaml), e.g. --name "HPS SVT 2026 run"; default: {DEFAULT_NAME}.')
@click.option("--review", type=click.Choice(["branch", "direct"]),
              help="branch: svt commits only on topic branches (svt branch NAME), which reach"
                   " main through reviewed pull/merge requests (review in svt.yaml).")
@click.pass_context
def init(ctx: click.Context, path: str | None, lfs: bool, ci: str | None, no_ci: bool,
         pages: bool, forms: bool, svt_install: str | None, maintainers: tuple[str, ...],
         review: str | None, name: str | None) -> None:
    """Create a records store at PATH (default: --repo, $SVT_REPO, else ~/.hps_svt_tracker).

    The store is a git repository holding svt.yaml, the JSON Schemas and records/. An
    existing git repository gets these files added in one commit; your other files are not
    touched.

    A store a team shares on GitHub or GitLab wants CI: --ci github,gitlab writes the files
    that run svt validate on every pull/merge request
    (.github/workflows/svt-validate.yml, .gitlab-ci.yml), with CODEOWNERS naming the
    maintainers who approve changes to the rules; --pages publishes the web site, --forms
    lets people record through GitHub issues. A personal store needs none of them.

    On an existing store, --lfs turns Git LFS on, and --ci, --pages and --forms add the CI
    files it lacks, in one commit; otherwise nothing changes.

    \b
    Examples:
      svt init                            # your own store in ~/.hps_svt_tracker
      svt init ~/svt-records --ci github,gitlab --maintainer @alice
      svt init ~/svt-records --pages      # and publish its web site (GitHub and GitLab)
      svt init ~/svt-records --forms      # and record from a phone through GitHub issues
      svt init ~/svt-records --ci github --svt-install \\
          git+https://github.com/ORG/svt@v0.1.0
    """
    from ..api.database import Database
    from ..store.layout import DEFAULT_HOME
    import os

    if no_ci:
        echo("note: --no-ci is no longer needed: svt init writes CI files only with --ci,"
             " --pages or --forms", err=True)
    from ..api.setup import forges_of
    forges = forges_of(ci, pages=pages, forms=forms)  # a bad --ci: refused before any write
    root_obj = ctx.find_root().obj or {}
    target = path or root_obj.get("repo") or os.environ.get("SVT_REPO") or DEFAULT_HOME
    db = Database(target)
    created = db.initialize_schema(lfs=lfs, ci=forges, svt_install=svt_install,
                                   maintainers=maintainers, review=review, pages=pages,
                                   forms=forms, name=name)
    report_notes(db)
    if created:
        assert db.last_commit is not None  # initialize_schema committed the new store
        echo(f"Created svt store at {db.root} (commit {db.last_commit[:10]})")
        if forges and not maintainers:
            echo("CODEOWNERS names no maintainers yet, so nobody owns the rules and the"
                       " CI files: name them with `svt upgrade --maintainer @NAME`")
        if forms:
            echo(f"Next, {FORMS_NEXT}")
        echo("Next: svt add --id ID --type TYPE ... ; svt list ; svt --help")
    if not created and lfs:
        _report_enabled(db, db.enable_lfs(), lambda commit: (
            f"Git LFS now stores the images and data files of {db.root} (commit {commit[:10]});"
            " older commits keep their plain copies (git lfs migrate import rewrites history,"
            " if you must shrink it)"),
            f"svt store at {db.root} already uses Git LFS; nothing changed")
    if not created and forges:
        _report_enabled(db, db.enable_ci(forges, pages=pages, forms=forms), lambda commit: (
            f"Added the CI files {db.root} lacked (commit {commit[:10]})"
            + ("; it publishes the site from the main branch: turn on Pages in the"
               " project's settings (GitHub: Settings > Pages > Source: GitHub Actions)"
               if pages else "") + (f"; {FORMS_NEXT}" if forms else "")),
            f"{db.root} already " + ("publishes its site" if pages else
                                     "has the CI files asked for") + "; nothing changed")
    elif not created and not lfs:
        echo(f"svt store already exists at {db.root}; nothing changed")
    if not created and (svt_install or maintainers):
        echo("--svt-install and --maintainer set up a new store; in this one name"
                   " maintainers with `svt upgrade --maintainer @NAME`, or change svt_install"
                   " in svt.yaml and commit it, then run `svt upgrade`, which writes the CI"
                   " files with it")
    if not created and name is not None:
        echo("--name titles a new store; in this one change name in svt.yaml and commit it")
    if not created and review:
        echo(f"--review sets up a new store; in this one write `review: {review}` in"
                   " svt.yaml and commit it")


@click.command()
@click.option("--split-index", "split_index", is_flag=True,
              help="Also keep git's index split (core.splitIndex): git then rewrites a small"
                   " file instead of the whole index (svt's own commits gain nothing). Tools"
                   " built on libgit2 (GitKraken, pygit2) cannot read a split index.")
def setup(split_index: bool) -> None:
    """Prepare this clone of a store for svt: register svt's git merge driver.

    The driver merges component.yaml field by field when you pull, merge or rebase
    (docs/collaboration.md). Every svt command that writes registers it too; run this once
    after `git clone` so that your first `git pull` already uses it. It writes only this
    clone's .git/config and .git/info/attributes.

    It also keeps git's index as svt writes it fastest: with its hash (index.skipHash
    false, where an earlier svt setup or ~/.gitconfig set it true). svt writes the index
    itself after each commit, hashing it on a second core, faster than git writes it
    without the hash.

    With --split-index, git's index is kept in two files (core.splitIndex): git then
    rewrites a small file instead of the whole index, and svt leaves the index to git. svt
    writes a whole index itself as fast (100,000 components: docs/performance.md), so a
    split index is for clones where other git tools rewrite the index often.
    """
    from . import open_db
    db = open_db()
    changed = db.register_merge_driver()
    echo("Registered svt's merge driver in this clone" if changed
               else "svt's merge driver is already registered in this clone; nothing changed")
    for setting in db.tune_git_index(split_index):
        echo(f"git's index settings in this clone: {setting}")
    if split_index:
        echo("git's index in this clone is now split (core.splitIndex); undo with"
                   " git config --unset core.splitIndex && git update-index --no-split-index")


@click.command()
@click.option("--stop", is_flag=True, help="Stop the watcher; queries check every file"
              " themselves again, and none starts it again.")
@click.option("--status", "show", is_flag=True, help="Only say whether a watcher runs.")
def watch(stop: bool, show: bool) -> None:
    """Keep a watcher of records/ running, so that queries need not check every file.

    Without one, each query (`svt summary`, `list`, `show-test`, `install`, ...) proves
    that no record file changed since the last, which at 10,000 components means a stat
    of 70,000 files. The watcher is a small background process of this machine (Linux
    inotify) that notes every change under records/ as it happens; queries then ask it
    what changed, and read only that.

    It serves this clone only. It leaves after 3 hours without a question, and the next
    query starts it again (that query checks every file itself). Whatever it cannot
    follow (a queue overflow, records/ replaced, a network file system, the inotify watch
    limit) makes queries check every file, as without it. Everything it keeps is in
    .git/svt/watch/.

    \b
      svt watch            start it (and keep starting it)
      svt watch --status   is one running?
      svt watch --stop     stop it for good
    """
    if stop and show:
        raise click.UsageError("give --stop or --status, not both")
    from . import open_db
    db = open_db()
    if show:
        from ..index import watch as watching
        status = watching.status(db.repo.svt_dir())
    else:
        status = db.watch(on=not stop)
    if status.pid is None:
        echo("No watcher runs for this store; queries check every file themselves."
             + (" The next query starts one (svt watch --stop: no more)." if status.wanted
                else " Start one with: svt watch"))
    elif status.unsupported:
        echo(f"A watcher runs (pid {status.pid}) but cannot follow this store:"
             f" {status.unsupported}. Queries check every file themselves;"
             " stop it with: svt watch --stop")
    else:
        echo(f"A watcher runs for this store (pid {status.pid}): queries ask it what changed"
             " under records/ instead of checking every file. Stop it with: svt watch --stop")


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
