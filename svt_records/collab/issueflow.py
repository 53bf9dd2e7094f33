"""The workflow `svt init --forms` writes: it records an issue opened from one of svt's issue
forms (:mod:`.forms`) on a branch ``svt/issue-N`` and opens a pull request for review.

Hardened as the other workflows (:mod:`.forge`): built as data and written by svt's YAML
writer, actions pinned by commit, checkout keeps no token. The issue's body is untrusted: it
reaches svt only through ``env:`` and a file, never a shell line. Two jobs, so the one that
may write runs only for the authors svt.yaml's ``issue_authors`` names (by GitHub's
``author_association``; default the owners, members and collaborators); anyone else's issue
gets a comment from a job that runs nothing of theirs and may only write issues. In the job
that may write, svt reads the issue and fetches its files in a step that holds no token; the
next step pushes (git's hooks off) and comments. The push names its branch
(``svt/issue-N``) explicitly: it never reaches the main branch.
"""
from __future__ import annotations

from typing import Any

from ..model.errors import InvalidInput
from .forms import FORM_LABEL

ISSUE_WORKFLOW = ".github/workflows/svt-issue.yml"
AUTHORS_KEY = "issue_authors"  # svt.yaml: whose issues the workflow records
DEFAULT_AUTHORS = ("OWNER", "MEMBER", "COLLABORATOR")
# GitHub's author_association values (the same enum is in schemas/config.schema.json)
ASSOCIATIONS = ("OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR",
                "FIRST_TIMER", "MANNEQUIN", "NONE")
TOKEN_SECRET = "SVT_PR_TOKEN"  # a fine-grained token; with it, the pull request gets CI
WRITE = {"contents": "write", "pull-requests": "write", "issues": "write"}

# Every value comes from env: (the body, the login, the number) or from svt's own output;
# none is pasted into this text. Two steps: svt reads the issue and its files in one that
# holds no token (GH_TOKEN is in the other step's env: only), and the other pushes and
# comments, with git's hooks off.
RECORD_SCRIPT = r"""set -u
state="$RUNNER_TEMP/svt-state"
printf '%s\n' "$BODY" > "$RUNNER_TEMP/issue.md"
git config user.name "svt (issue #$ISSUE)"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git switch -c "svt/issue-$ISSUE"
set --
if [ "$PRIVATE" = "true" ]; then set -- --no-download; fi
if ! svt --repo . from-issue "$RUNNER_TEMP/issue.md" --author "$AUTHOR" --issue "$ISSUE" \
    --repository "$REPO" "$@" > "$RUNNER_TEMP/svt-from-issue.txt" 2>&1; then
  echo refused > "$state"
elif svt --repo . validate > "$RUNNER_TEMP/svt-validate.txt" 2>&1; then
  echo passed > "$state"
else
  echo problems > "$state"
fi
"""

PUBLISH_SCRIPT = r"""set -u
branch="svt/issue-$ISSUE"
out="$RUNNER_TEMP/svt-from-issue.txt"
checked="$RUNNER_TEMP/svt-validate.txt"
comment="$RUNNER_TEMP/svt-comment.md"
state="$(cat "$RUNNER_TEMP/svt-state")"
if [ "$state" = refused ]; then
  { echo "svt recorded nothing from this issue:"; echo; echo '```'; cat "$out"; echo '```'
    echo; echo "Open a new issue from the form with this corrected (editing this one does" \
      "not run svt again)."; } > "$comment"
  gh issue comment "$ISSUE" --body-file "$comment"
  exit 1
fi
if [ "$state" = passed ]; then
  verdict="svt validate passed on the branch."
else
  verdict="svt validate found problems on the branch; fix them there before merging:"
fi
gh auth setup-git
git -c core.hooksPath=/dev/null push origin "HEAD:refs/heads/$branch"
{ echo "Records issue #$ISSUE (opened by @$AUTHOR) with svt from-issue."; echo
  echo "Closes #$ISSUE"; echo; echo '```'; cat "$out"; echo '```'; } > "$RUNNER_TEMP/pr.md"
title="$(head -n 1 "$out" | cut -c 1-200)"
if gh pr create --base "$MAIN" --head "$branch" --title "$title" \
    --body-file "$RUNNER_TEMP/pr.md" > "$RUNNER_TEMP/pr.txt" 2>&1; then
  { echo "Recorded on the branch \`$branch\`: $(tail -n 1 "$RUNNER_TEMP/pr.txt")"; } > "$comment"
elif grep -q "not permitted to create or approve pull requests" "$RUNNER_TEMP/pr.txt"; then
  { echo "Recorded on the branch \`$branch\`, but this repository does not let GitHub" \
      "Actions open pull requests. A maintainer turns that on in Settings > Actions >" \
      "General > Workflow permissions > \"Allow GitHub Actions to create and approve pull" \
      "requests\" (an organisation may have to allow it first), and opens this one by" \
      "hand: $SERVER/$REPO/compare/$MAIN...$branch?expand=1"; } > "$comment"
else
  { echo "Recorded on the branch \`$branch\`, but the pull request could not be opened:"
    echo '```'; cat "$RUNNER_TEMP/pr.txt"; echo '```'; } > "$comment"
fi
{ echo; echo '```'; cat "$out"; echo '```'; echo; echo "$verdict"
  if [ -s "$checked" ]; then echo '```'; tail -n 40 "$checked"; echo '```'; fi
  if grep -q "not fetched" "$out"; then
    echo; echo "This repository is private, and GitHub serves its attachment links to no" \
      "workflow: upload the files to the branch ($SERVER/$REPO/upload/$branch/uploads/issue-$ISSUE)," \
      "and a maintainer stores them with the record (docs/how-to/recording-from-a-phone.md)."
  fi; } >> "$comment"
gh issue comment "$ISSUE" --body-file "$comment"
"""

REFUSE_SCRIPT = r"""gh issue comment "$ISSUE" --body "svt records issues opened by this \
repository's $WHO only (author_association; issue_authors in svt.yaml), so nothing was \
recorded from this one. Ask a member to record it, or to add you as a collaborator."
"""


def authors_problem(authors: Any) -> str | None:
    """Why ``authors`` cannot be svt.yaml's issue_authors; None if it can."""
    if (isinstance(authors, list) and authors
            and all(isinstance(a, str) and a in ASSOCIATIONS for a in authors)):
        return None
    return (f"issue_authors {authors!r} must be a list of GitHub's author associations"
            f" ({', '.join(ASSOCIATIONS)}), e.g. [OWNER, MEMBER, COLLABORATOR]")


def _allowed(authors: tuple[str, ...] | list[str]) -> str:
    return "(" + " || ".join(f"github.event.issue.author_association == '{a}'"
                             for a in authors) + ")"


def issue_workflow(setup_steps: list[dict], main: str,
                   authors: tuple[str, ...] | list[str] = DEFAULT_AUTHORS) -> dict:
    """The workflow as data (``setup_steps``: forge's checkout, Python and svt install)."""
    problem = authors_problem(list(authors))
    if problem:
        raise InvalidInput(f"{problem}: correct it in svt.yaml, then run the command again")
    labelled = f"contains(github.event.issue.labels.*.name, '{FORM_LABEL}')"
    issue_env = {"ISSUE": "${{ github.event.issue.number }}",
                 "GH_REPO": "${{ github.repository }}"}
    return {
        "name": "svt from issue",
        "on": {"issues": {"types": ["opened"]}},
        "permissions": {},
        "jobs": {
            "record": {
                "if": f"{labelled} && {_allowed(authors)}",
                "runs-on": "ubuntu-latest", "permissions": dict(WRITE),
                "steps": [*setup_steps, {
                    "name": "Record the issue on a branch (svt holds no token)",
                    "env": {"ISSUE": issue_env["ISSUE"],
                            "BODY": "${{ github.event.issue.body }}",
                            "AUTHOR": "${{ github.event.issue.user.login }}",
                            "REPO": "${{ github.repository }}",
                            "PRIVATE": "${{ github.event.repository.private }}"},
                    "run": RECORD_SCRIPT}, {
                    "name": "Push the branch, open a pull request and comment",
                    "env": {**issue_env,
                            "AUTHOR": "${{ github.event.issue.user.login }}",
                            "REPO": "${{ github.repository }}",
                            "SERVER": "${{ github.server_url }}",
                            "MAIN": main,
                            "GH_TOKEN": f"${{{{ secrets.{TOKEN_SECRET} || github.token }}}}"},
                    "run": PUBLISH_SCRIPT}]},
            # runs nothing of the issue's or the store's: one fixed comment
            "refuse": {
                "if": f"{labelled} && !{_allowed(authors)}",
                "runs-on": "ubuntu-latest", "permissions": {"issues": "write"},
                "steps": [{"name": "Say why nothing is recorded",
                           "env": {**issue_env, "GH_TOKEN": "${{ github.token }}",
                                   "WHO": ", ".join(a.lower() for a in authors)},
                           "run": REFUSE_SCRIPT}]},
        },
    }


HEADER = (
    "Written by `svt init --forms` (`svt upgrade` writes it anew): records an issue opened\n"
    "from one of svt's issue forms (.github/ISSUE_TEMPLATE/svt-*.yml) on a branch\n"
    "svt/issue-N with `svt from-issue`, runs svt validate there, opens a pull request and\n"
    "comments on the issue (docs/how-to/recording-from-a-phone.md). Only issue_authors in svt.yaml\n"
    "(author_association) get a job that may write; the body reaches svt through env: and a\n"
    "file only. Needs Settings > Actions > General > \"Allow GitHub Actions to create and\n"
    f"approve pull requests\"; a secret {TOKEN_SECRET} (a fine-grained token) gives the pull\n"
    "request its CI run too.")
