"""Issue 27, section 2: the GitHub issue forms and the workflow `svt init --forms` writes.

The forms and the workflow pass GitHub's schemas (check-jsonschema vendors them from
SchemaStore); the file names and the `component` field are the contract the site links to;
the workflow is hardened (the body only through env: and a file, least privilege, two jobs
so nobody else's issue reaches the job that may write, actions pinned); and its steps run
here, in a clone of a real bare remote, with `gh` stubbed."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from svt_records import Database
from svt_records.collab.forge import ACTIONS
from svt_records.collab.forms import FORM_FILES, FORM_LABEL
from svt_records.collab.issueflow import ASSOCIATIONS

CHECKOUT = Path(__file__).resolve().parents[2]
WORKFLOW = ".github/workflows/svt-issue.yml"
CONTRACT = (".github/ISSUE_TEMPLATE/svt-test.yml", ".github/ISSUE_TEMPLATE/svt-log.yml",
            ".github/ISSUE_TEMPLATE/svt-status.yml")


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def forms_store(tmp_path) -> Path:
    root = tmp_path / "s"
    Database(root).initialize_schema(ci=("github",), forms=True)
    return root


def _workflow(root: Path) -> dict:
    return yaml.safe_load((root / WORKFLOW).read_text())


def test_forms_and_workflow_pass_githubs_schemas(forms_store):
    for builtin, paths in (("vendor.github-issue-forms", CONTRACT),
                           ("vendor.github-workflows", (WORKFLOW,))):
        proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                               builtin, *(str(forms_store / p) for p in paths)],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_contract_the_site_links_to(forms_store):
    assert FORM_FILES == CONTRACT
    for path in CONTRACT:
        form = yaml.safe_load((forms_store / path).read_text())
        fields = {e["id"]: e for e in form["body"] if "id" in e}
        assert fields["component"]["type"] == "input"
        assert fields["component"]["validations"] == {"required": True}
        assert form["labels"] == [FORM_LABEL]
    # files: dragged into a textarea, and the form says so
    for path, file_fields in ((CONTRACT[0], ("data", "images")), (CONTRACT[1], ("images",))):
        form = yaml.safe_load((forms_store / path).read_text())
        for element in form["body"]:
            if element.get("id") in file_fields:
                assert element["type"] == "textarea"
                assert "Issue forms have no file field" in element["attributes"]["description"]


def test_a_change_to_the_forms_or_their_workflow_is_a_rule_change(forms_store):
    """A pull request that edits them needs a maintainer's approval, as any CI file."""
    from svt_records.rules.rulefiles import is_rule_file, owners
    owned = (forms_store / ".github/CODEOWNERS").read_text().replace("# /", "/")
    for path in (*CONTRACT, WORKFLOW):
        assert is_rule_file(path) and owners(owned, path) == ["@maintainer"], path


def test_the_workflow_holds_least_privilege_and_pins_its_actions(forms_store):
    workflow = _workflow(forms_store)
    assert workflow["on"] == {"issues": {"types": ["opened"]}}
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["record"]["permissions"] == {"contents": "write", "pull-requests": "write",
                                             "issues": "write"}
    assert jobs["refuse"]["permissions"] == {"issues": "write"}
    # the refusing job runs nothing of the issue's or the store's: no checkout, one gh call
    assert [s.get("uses") for s in jobs["refuse"]["steps"]] == [None]
    pinned = {f"{repo}@{sha}" for repo, sha, _ in ACTIONS.values()}
    for job in jobs.values():
        for step in job["steps"]:
            if "uses" in step:
                assert step["uses"] in pinned
                if step["uses"].startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
            if "run" in step:
                assert "${{" not in step["run"]
                assert not re.search(r"github\.event", step["run"])
    text = (forms_store / WORKFLOW).read_text()
    for line in text.splitlines():
        if "uses:" in line:
            assert re.fullmatch(r"\s*- uses: [\w/-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line
    # the body reaches svt through env: and a file only
    body = [(name, step) for name, job in jobs.items() for step in job["steps"]
            if "github.event.issue.body" in str(step)]
    assert len(body) == 1 and body[0][0] == "record"
    assert body[0][1]["env"]["BODY"] == "${{ github.event.issue.body }}"
    assert 'printf \'%s\\n\' "$BODY" > "$RUNNER_TEMP/issue.md"' in body[0][1]["run"]
    # the one push names the branch svt/issue-N; nothing else is pushed
    run = "".join(step.get("run", "") for step in jobs["record"]["steps"])
    assert re.findall(r"git\b.*\bpush.*", run) == [
        'git -c core.hooksPath=/dev/null push origin "HEAD:refs/heads/$branch"']
    assert 'branch="svt/issue-$ISSUE"' in run


def _condition(expr: str, association: str, labels: list[str]) -> bool:
    """The two `if:` expressions the workflow uses, as GitHub evaluates them."""
    found = re.fullmatch(r"contains\(github\.event\.issue\.labels\.\*\.name, '([\w-]+)'\) && "
                         r"(!?)\(((?:github\.event\.issue\.author_association == '[A-Z_]+'"
                         r"(?: \|\| )?)+)\)", expr)
    assert found, f"an expression this test does not know: {expr}"
    allowed = re.findall(r"== '([A-Z_]+)'", found[3])
    member = association in allowed
    return found[1] in labels and (not member if found[2] else member)


@pytest.mark.parametrize("association", ASSOCIATIONS)
def test_only_owners_members_and_collaborators_reach_the_job_that_writes(forms_store,
                                                                         association):
    jobs = _workflow(forms_store)["jobs"]
    record = _condition(jobs["record"]["if"], association, [FORM_LABEL])
    refuse = _condition(jobs["refuse"]["if"], association, [FORM_LABEL])
    assert record == (association in ("OWNER", "MEMBER", "COLLABORATOR"))
    assert refuse == (not record)
    # an issue without the forms' label runs neither
    assert not _condition(jobs["record"]["if"], association, ["bug"])
    assert not _condition(jobs["refuse"]["if"], association, ["bug"])


@pytest.mark.parametrize("older_schemas", [False, True])
def test_issue_authors_in_svt_yaml_reach_the_workflow_through_upgrade(forms_store, svt_proc,
                                                                      older_schemas):
    """The schema upgrade path (docs/how-to/upgrade.md): a store whose schemas predate the key
    takes them with `svt upgrade` first; with the key set, `svt upgrade` writes the
    workflow anew with it."""
    if older_schemas:
        path = forms_store / "schemas/config.schema.json"
        doc = json.loads(path.read_text())
        del doc["properties"]["issue_authors"]
        path.write_text(json.dumps(doc, indent=2) + "\n")
        git(forms_store, "commit", "-qam", "schemas as svt wrote them before issue_authors")
        note = svt_proc("--repo", str(forms_store), "validate").stderr
        assert "older than this svt's" in note and "svt upgrade" in note
        svt_proc("--repo", str(forms_store), "upgrade")  # the schema knows the key now
    config = forms_store / "svt.yaml"
    config.write_text(config.read_text() + "issue_authors:\n  - OWNER\n")
    git(forms_store, "commit", "-qam", "only owners record from issues")
    svt_proc("--repo", str(forms_store), "upgrade")
    condition = _workflow(forms_store)["jobs"]["record"]["if"]
    assert _condition(condition, "OWNER", [FORM_LABEL])
    assert not _condition(condition, "MEMBER", [FORM_LABEL])
    # a value that is no author association: validate names it, upgrade refuses
    config.write_text(config.read_text().replace("  - OWNER", "  - EVERYONE"))
    proc = svt_proc("--repo", str(forms_store), "validate", check=False)
    assert proc.returncode == 1 and "issue_authors" in proc.stdout, proc.stdout


# ---- the workflow's steps, run here ------------------------------------------------------------

@pytest.fixture
def runner_env(tmp_path):
    """PATH with `svt` (this checkout), a `pip` that accepts only the store's svt_install, and
    a `gh` that notes each call (and the comment files' text) and answers as GitHub would:
    ``pr create`` prints the new pull request's address, or, with GH_FAKE_PR=refused, the
    error of a repository that does not let Actions open pull requests."""
    bin_dir = tmp_path / "runner-bin"
    bin_dir.mkdir()
    calls = tmp_path / "gh-calls.txt"
    (bin_dir / "svt").write_text(f'#!/bin/sh\nexec {sys.executable} -m svt_records "$@"\n')
    (bin_dir / "pip").write_text(f'#!/bin/sh\n[ "$*" = "install {CHECKOUT}" ] || exit 3\n')
    (bin_dir / "gh").write_text(f"""#!/bin/bash
echo "gh $*" >> {calls}
command="$1 $2"
while [ $# -gt 0 ]; do
  if [ "$1" = --body-file ]; then echo "--- $2" >> {calls}; cat "$2" >> {calls}; fi
  shift
done
if [ "$command" = "pr create" ]; then
  if [ "${{GH_FAKE_PR:-}}" = refused ]; then
    echo "pull request create failed: GraphQL: GitHub Actions is not permitted to create or" \\
      "approve pull requests (createPullRequest)" >&2
    exit 1
  fi
  echo "https://github.com/hps/records/pull/8"
fi
""")
    for shim in bin_dir.iterdir():
        shim.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               RUNNER_TEMP=str(runner_temp))
    return env, calls


@pytest.fixture
def origin(tmp_path) -> Path:
    """A bare remote holding a store with the forms, whose CI installs this checkout."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(bare))
    work = tmp_path / "work"
    Database(work).initialize_schema(ci=("github",), forms=True, svt_install=str(CHECKOUT))
    Database(work).save_component("MOD-1", {"type": "module", "status": "incoming"})
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "origin", "main")
    return bare


def _expression(expr: str, event: dict) -> str:
    known = {"github.event.issue.number": str(event["number"]),
             "github.event.issue.body": event["body"],
             "github.event.issue.user.login": event["login"],
             "github.repository": "hps/records", "github.server_url": "https://github.com",
             "github.event.repository.private": event.get("private", "false"),
             "secrets.SVT_PR_TOKEN || github.token": "token", "github.token": "token"}
    assert expr.strip() in known, f"an expression this test does not know: {expr}"
    return known[expr.strip()]


def run_job(clone: Path, job: dict, event: dict, env: dict) -> subprocess.CompletedProcess:
    """A job's `run` steps in order, each in its own bash with its env: as the runner sets
    it (an expression's value is given to the variable, never pasted into the script)."""
    lines = []
    for step in job["steps"]:
        if "run" not in step:
            assert step["uses"].split("@")[0] in ("actions/checkout", "actions/setup-python")
            continue
        values = {k: re.sub(r"\$\{\{(.*?)\}\}", lambda m: _expression(m[1], event), str(v))
                  for k, v in step.get("env", {}).items()}
        exports = [f"export {k}={shlex.quote(v)}" for k, v in values.items()]
        lines.append("(" + "\n".join(exports + [step["run"]]) + ")")
    return subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=180)


TEST_BODY = """### Component

MOD-1

### Test type

iv_curve

### Verdict

Pass

### Measurements

leakage=2.3uA

### Data files

_No response_

### Photos and plots

_No response_

### Setup

_No response_

### Notes

$(touch /tmp/pwned) `touch pwned` "; touch pwned; "

### Tested by

_No response_

### When

_No response_"""


def _clone(tmp_path: Path, origin: Path) -> Path:
    clone = tmp_path / "runner"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    return clone


@pytest.mark.parametrize("pr", ["opened", "refused"])
def test_the_record_job_runs_as_written(tmp_path, origin, runner_env, pr):
    env, calls = runner_env
    env = dict(env, GH_FAKE_PR=pr)
    clone = _clone(tmp_path, origin)
    main_before = git(origin, "rev-parse", "main")
    job = _workflow(clone)["jobs"]["record"]
    event = {"number": 7, "body": TEST_BODY, "login": "alice"}
    proc = run_job(clone, job, event, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the branch svt/issue-7 holds the record; main is untouched
    assert git(origin, "rev-parse", "main") == main_before
    files = git(origin, "diff", "--name-only", "main", "svt/issue-7").splitlines()
    assert len(files) == 1 and "_iv_curve_" in files[0]
    record = yaml.safe_load(git(origin, "show", f"svt/issue-7:{files[0]}"))
    assert record["tested_by"] == "alice" and record["result"] == "pass"
    assert record["notes"].startswith("$(touch /tmp/pwned)")  # text, never run
    assert not (clone / "pwned").exists() and not Path("/tmp/pwned").exists()
    log = calls.read_text()
    assert "gh auth setup-git" in log
    assert "gh pr create --base main --head svt/issue-7" in log
    assert "Closes #7" in log
    comment = log.split("gh issue comment 7 --body-file")[1]
    assert "svt validate passed on the branch." in comment
    if pr == "opened":
        assert "https://github.com/hps/records/pull/8" in comment
    else:
        assert "Allow GitHub Actions to create and approve pull" in comment
        assert "https://github.com/hps/records/compare/main...svt/issue-7" in comment


LOG_BODY = """### Component

MOD-1

### Entry

Comment

### Text

Scratch on the sensor, see photo

### Log type

note

### Severity

info

### Photos

![IMG_2041.jpg](https://github.com/user-attachments/assets/0b5e0b5e-1111-2222-3333-444455556666)

### When

_No response_"""


def test_in_a_private_repository_the_comment_asks_for_the_files_on_the_branch(
        tmp_path, origin, runner_env):
    env, calls = runner_env
    clone = _clone(tmp_path, origin)
    job = _workflow(clone)["jobs"]["record"]
    event = {"number": 11, "body": LOG_BODY, "login": "bob", "private": "true"}
    proc = run_job(clone, job, event, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = git(origin, "diff", "--name-only", "main", "svt/issue-11").splitlines()
    record = yaml.safe_load(git(origin, "show", f"svt/issue-11:{files[0]}"))
    assert record["text"] == "Scratch on the sensor, see photo" and "files" not in record
    comment = calls.read_text().split("gh issue comment 11 --body-file")[1]
    assert "not fetched" in comment and "IMG_2041.jpg" in comment
    assert ("https://github.com/hps/records/upload/svt/issue-11/uploads/issue-11"
            in comment)


def test_a_bad_issue_gets_svts_message_and_nothing_is_pushed(tmp_path, origin, runner_env):
    env, calls = runner_env
    clone = _clone(tmp_path, origin)
    job = _workflow(clone)["jobs"]["record"]
    event = {"number": 9, "body": TEST_BODY.replace("MOD-1", "MOD-404"), "login": "alice"}
    proc = run_job(clone, job, event, env)
    assert proc.returncode != 0
    assert git(origin, "for-each-ref", "--format=%(refname)", "refs/heads") == "refs/heads/main"
    log = calls.read_text()
    assert "gh pr create" not in log and "gh auth setup-git" not in log
    assert "svt recorded nothing from this issue" in log and "no component 'MOD-404'" in log


def test_the_refuse_job_only_comments(tmp_path, origin, runner_env):
    env, calls = runner_env
    clone = _clone(tmp_path, origin)
    job = _workflow(clone)["jobs"]["refuse"]
    proc = run_job(clone, job, {"number": 5, "body": TEST_BODY, "login": "mallory"}, env)
    assert proc.returncode == 0, proc.stderr
    lines = [l for l in calls.read_text().splitlines() if l.startswith("gh ")]
    assert len(lines) == 1 and lines[0].startswith("gh issue comment 5 --body svt records")
    assert "owner, member, collaborator only" in lines[0]
    assert git(clone, "status", "--porcelain") == ""


def test_the_schema_names_the_author_associations_the_workflow_knows():
    """GitHub's author_association values are written in issueflow.py and, for editors and
    validate, in the config schema: the two lists are one."""
    from svt_records.model.registry import package_schema_dir
    schema = json.loads((package_schema_dir() / "config.schema.json").read_text())
    assert tuple(schema["properties"]["issue_authors"]["items"]["enum"]) == ASSOCIATIONS
