"""svt validate, svt fmt."""
from __future__ import annotations


import click

from . import open_db, report_notes
from .render import echo, echo_data

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_FAILED = 0, 1, 2


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--since", metavar="REV", help="Check only the components changed since REV"
              " (e.g. origin/main): what a pull request touches, plus uncommitted work.")
@click.option("--format", "fmt", type=click.Choice(["text", "github", "gitlab", "json"]),
              default="text", show_default=True,
              help="text for people; github annotates the pull request; gitlab writes a Code"
                   " Quality report; json for scripts.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of the screen.")
@click.option("--rules-need-approval", is_flag=True,
              help="With --since (CI passes it): any change to a rule-bearing file (schemas/,"
                   " svt.yaml, .gitattributes, .pre-commit-config.yaml, .github/, .gitlab/,"
                   " .gitlab-ci.yml, CODEOWNERS) is an error, whether or not a record fails,"
                   " unless --allow-rule-changes is given too.")
@click.option("--allow-rule-changes", is_flag=True,
              help="With --since: a maintainer approved the rule change: its findings (records"
                   " that fail only under the base's rules, and with --rules-need-approval the"
                   " changed rule files) are warnings, not errors (CI passes it when the pull"
                   " request has the approval label).")
@click.pass_context
def validate(ctx: click.Context, paths: tuple[str, ...], since: str | None, fmt: str,
             output: str | None, rules_need_approval: bool, allow_rule_changes: bool) -> None:
    """Check records: YAML syntax and strict rules, JSON Schemas, names and folders,
    stored files (size, sha256), and the rules across records (unique ids, one component
    per position, assembly and connection links on both sides, state vs history).

    With --since BASE the changed records are also checked against BASE's schemas and
    svt.yaml: a branch that loosens the rules it is checked against fails, unless
    --allow-rule-changes is given. CI also passes --rules-need-approval, so that a branch
    that changes a rule-bearing file at all fails without a maintainer's approval (a branch
    that only loosens a schema, to use it in the next one, too). The pre-commit hook does
    not: svt's own commands change rule files (svt init --lfs, --pages, svt upgrade).

    It also notes when the store's schemas are older than this svt's (svt upgrade), and
    warns when nobody owns the store's CI files in CODEOWNERS.

    Exit status: 0 clean (warnings allowed), 1 problems found, 2 could not run.

    \b
    Examples:
      svt validate                                  # the whole store
      svt validate records/module/MODULE-L1-001     # one component
      svt validate --since origin/main --format github --rules-need-approval  # CI
    """
    from ..rules.checks import validate_store
    from ..model.errors import SvtError
    from ..rules.report import counts, render
    if rules_need_approval and since is None:
        echo("Error: --rules-need-approval compares a branch with its base: give"
                   " --since BASE too (e.g. --since origin/main)", err=True)
        ctx.exit(EXIT_FAILED)
    try:
        db = open_db()
        if since == "HEAD" and db.repo.head() is None:
            since = None  # the first commit (the pre-commit hook): everything is new
        problems, checked = validate_store(db, list(paths) if paths else None, since)
        if since is not None:
            from ..rules.rulechanges import rule_changes
            problems = sorted(set(problems) | set(rule_changes(
                db, since, allow_rule_changes, need_approval=rules_need_approval)))
        report_notes(db)  # schemas older than svt's, CI files nobody owns
    except SvtError as exc:
        echo(f"Error: {exc}", err=True)
        ctx.exit(EXIT_FAILED)
    text = render(problems, fmt, checked)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        if fmt == "gitlab":
            errors, warnings = counts(problems)
            echo(f"{errors} error(s), {warnings} warning(s); report in {output}")
    else:
        (echo_data if fmt in ("json", "gitlab") else echo)(text, nl=False)
    ctx.exit(EXIT_PROBLEMS if any(p.severity == "error" for p in problems) else EXIT_CLEAN)


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--check", is_flag=True, help="Only list files that are not in canonical form;"
                                           " exit 1 if any (for CI and pre-commit).")
@click.pass_context
def fmt_cmd(ctx: click.Context, paths: tuple[str, ...], check: bool) -> None:
    """Rewrite records into svt's canonical form (key order, quoting, number format)
    without changing what they mean. Comments other than the schema header are dropped.

    Hand-edited files are then diffed the same way as files svt writes. Nothing is
    committed: review with git diff, then commit.
    """
    from ..rules.canonical import format_paths
    db = open_db()
    changed, problems = format_paths(db, list(paths) or None, write=not check)
    for problem in problems:
        echo(problem.render(), err=True)
    for path in changed:
        echo(("would reformat " if check else "reformatted ") + path)
    if not changed and not problems:
        echo("All records are in canonical form.")
    ctx.exit(1 if problems or (check and changed) else 0)


@click.command("review")
@click.argument("revisions", default="HEAD~1..HEAD", metavar="[BASE..HEAD]")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the Markdown to this file (e.g. to post as a pull-request comment).")
def review_cmd(revisions: str, output: str | None) -> None:
    """Summarise a branch's change to the records for a reviewer, in Markdown: rule changes
    first (schemas/, svt.yaml, .gitattributes, hooks, CI files, CODEOWNERS: each file and
    their diff), components added or changed (field: old -> new), tests and their results,
    installs and removals, assembly changes, files added with sizes, and every validation
    problem.

    It shows what HEAD changed since it grew from BASE (their merge base: BASE..HEAD and
    BASE...HEAD are the same here), and validates the records as merging HEAD into BASE
    leaves them, worked out aside (your work tree, index and HEAD stay as they are); when
    that merge conflicts, it names the files instead. One revision REV alone is REV..HEAD.

    \b
    Examples:
      svt review                          # the last commit
      svt review origin/main..HEAD        # a pull request's branch
      svt review origin/main..origin/y    # someone's branch, after git fetch
    """
    from ..collab.review import parse_range, review
    base, head = parse_range(revisions)
    text = review(open_db(), base, head)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        echo(text, nl=False)
