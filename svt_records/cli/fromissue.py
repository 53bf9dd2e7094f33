"""svt from-issue."""
from __future__ import annotations

import click

from . import open_db, report_notes
from .render import done, echo


@click.command("from-issue")
@click.argument("body_file", metavar="BODY_FILE", type=click.Path(dir_okay=False))
@click.option("--author", required=True, metavar="LOGIN",
              help="The issue's author (GitHub login): who did it, unless the form names"
                   " someone.")
@click.option("--issue", "issue", required=True, type=click.IntRange(min=1), metavar="N",
              help="The issue's number (for the messages; the workflow names the branch"
                   " svt/issue-N).")
@click.option("--repository", metavar="OWNER/NAME", envvar="GITHUB_REPOSITORY",
              help="The GitHub repository, whose own attachment links svt also fetches"
                   " (default: $GITHUB_REPOSITORY).")
@click.option("--no-download", is_flag=True,
              help="Fetch no attached file (a private repository, whose attachment links"
                   " GitHub serves to no workflow): record without them and list them.")
def from_issue(body_file: str, author: str, issue: int, repository: str | None,
               no_download: bool) -> None:
    """Record what an issue made from one of svt's issue forms asks for (svt init --forms).

    BODY_FILE holds the issue's body as GitHub renders a form: a `### Label` heading per
    field, `_No response_` for an empty one. The form decides the command: the test form
    records like `svt test`, the log form like `svt log` or `svt comment`, the move/status
    form like `svt location` and `svt add --status`, through the same library calls and
    rules. Every value is checked before anything is written: an unknown component, a value
    the store does not know or a missing field stops it in one line, with nothing written.

    Files dragged into the form are links; svt fetches only GitHub's attachment links
    (https://github.com/user-attachments/... and this repository's own), within the store's
    max_file_mb, and never a file a browser would run. The workflow of svt init --forms
    runs this on a new branch svt/issue-N, then svt validate, and opens a pull request;
    docs/how-to/recording-from-a-phone.md tells the whole way.

    \b
    Example (what the workflow runs; the body reaches it as a file, never a shell line):
      git switch -c svt/issue-12
      svt from-issue issue.md --author alice --issue 12 --repository hps/svt-records
    """
    import tempfile
    from pathlib import Path
    from ..collab.forms import MAX_BODY_BYTES, parse_issue, plan
    from ..model.errors import InvalidInput
    try:
        with open(body_file, "rb") as fh:
            raw = fh.read(MAX_BODY_BYTES + 1)
        body = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{body_file} cannot be read as the issue's text ({exc})") from None
    request = parse_issue(body)  # (its size is capped there)
    db = open_db()
    calls = plan(request, author, db)
    links = [link for call in calls for found in call.files.values() for link in found]
    echo(f"{calls[0].summary} (issue #{issue})")
    with tempfile.TemporaryDirectory(prefix="svt-issue-") as scratch:
        fetched: dict = {}
        if links and no_download:
            for link in links:
                echo(f"note: not fetched (a private repository's attachment):"
                     f" {link.name or link.url}")
        elif links:
            from ..collab.attachments import fetch, github_allowed
            if not repository:
                raise click.UsageError("give --repository OWNER/NAME (or set"
                                       " GITHUB_REPOSITORY): the issue links files")
            paths = iter(fetch(links, Path(scratch), max_bytes=db.max_file_bytes,
                               allowed=github_allowed(repository)))
            fetched = {id(link): str(next(paths)) for link in links}
        for call in calls:
            kwargs = dict(call.kwargs)
            for argument, found in call.files.items():
                kwargs[argument] = [fetched[id(link)] for link in found if id(link) in fetched]
            result = getattr(db, call.method)(*call.args, **kwargs)
            report_notes(db)
            if call.method == "record_test":
                from .events import verdict_lines
                for line in verdict_lines(db.load(result)):
                    echo(line)
            done(f"{call.summary}" + (f": {result}" if isinstance(result, str) else ""),
                 db.last_commit)
