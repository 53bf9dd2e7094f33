"""Issue 24, item 4: CI cannot be argued with by the change it checks. A pull request that
changes any rule-bearing file (schemas/, any key of svt.yaml, .gitattributes, hooks, CI
files, CODEOWNERS) fails the CI svt writes unless a maintainer approved it, whether or not a
record fails yet; the local pre-commit hook keeps its behaviour; `svt review` shows the diff.

The CI files run as written: their steps are taken from the generated workflow and
.gitlab-ci.yml and executed in a runner's clone of a real bare remote, as in
tests/collab/test_ci_files.py."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
import yaml

from svt_records import Database

CHECKOUT = Path(__file__).resolve().parents[2]
GITHUB_FILE = ".github/workflows/svt-validate.yml"
GITLAB_FILE = ".gitlab-ci.yml"
LABEL = "rules-approved"


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def ci_env(tmp_path):
    """PATH with `svt` (this checkout) and a `pip` that accepts exactly this checkout."""
    bin_dir = tmp_path / "ci-bin"
    bin_dir.mkdir()
    (bin_dir / "svt").write_text(f'#!/bin/sh\nexec {sys.executable} -m svt_records "$@"\n')
    (bin_dir / "pip").write_text(f'#!/bin/sh\n[ "$*" = "install {CHECKOUT}" ] || exit 3\n')
    for shim in bin_dir.iterdir():
        shim.chmod(0o755)
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def _expression(expr: str, labels: list[str]) -> str:
    """The `${{ }}` expressions of svt's workflow, as GitHub evaluates them on a pull
    request into main."""
    expr = expr.strip()
    if expr == "github.base_ref":
        return "main"
    found = re.fullmatch(r"contains\(github\.event\.pull_request\.labels\.\*\.name, '([^']+)'\)"
                         r" && '([^']*)' \|\| '([^']*)'", expr)
    assert found, f"an expression this test does not know: {expr}"
    return found[2] if found[1] in labels else found[3]


def _evaluate(text: str, labels: list[str]) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: _expression(m[1], labels), text)


def github_pull_request_script(clone: Path, labels: list[str]) -> list[str]:
    """The pull-request job's shell steps, each with its env: as exports."""
    workflow = yaml.safe_load((clone / GITHUB_FILE).read_text())
    lines = []
    for step in workflow["jobs"]["validate"]["steps"]:
        if "run" not in step or step.get("if", "github.event_name == 'pull_request'") != \
                "github.event_name == 'pull_request'":
            continue
        exports = [f"export {k}={shlex.quote(_evaluate(str(v), labels))}"
                   for k, v in step.get("env", {}).items()]
        lines.append("(" + "; ".join(exports + [_evaluate(step["run"], labels).strip()]) + ")")
    return lines


def gitlab_merge_request_script(clone: Path) -> list[str]:
    job = yaml.safe_load((clone / GITLAB_FILE).read_text())["svt-validate-mr"]
    return [f"export {k}={shlex.quote(str(v))}" for k, v in job.get("variables", {}).items()
            ] + job["script"]


def _run(lines: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180)


def publish(tmp_path: Path, change: Callable[[Path], None], message: str) -> Path:
    """A store on a bare remote whose main holds a module, and a branch ``pr`` that makes
    ``change`` (and commits it). Returns the remote."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(origin))
    work = tmp_path / "work"
    Database(work).initialize_schema(svt_install=str(CHECKOUT), pages=True)
    Database(work).save_component("MOD-1", {"type": "module", "status": "qualified"})
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    git(work, "switch", "-q", "-c", "pr")
    change(work)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", message)
    git(work, "push", "-q", "origin", "pr")
    return origin


def github_checkout(tmp_path: Path, origin: Path) -> Path:
    """actions/checkout of a pull request: GitHub's merge commit of ``pr`` into main."""
    clone = tmp_path / "github"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "checkout", "-q", "--detach", "origin/main")
    git(clone, "-c", "user.name=GitHub", "-c", "user.email=noreply@example.org", "merge",
        "-q", "--no-edit", "origin/pr")
    return clone


def gitlab_checkout(tmp_path: Path, origin: Path) -> Path:
    clone = tmp_path / "gitlab"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "checkout", "-q", "--detach", "origin/pr")
    return clone


# ---- the changes a pull request may make to the rules ---------------------------------------

def _json_edit(rel: str, edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        doc = json.loads((root / rel).read_text())
        edit(doc)
        (root / rel).write_text(json.dumps(doc, indent=2) + "\n")
    return change


def _text_edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        text = (root / rel).read_text() if (root / rel).exists() else ""
        assert old in text, (rel, old)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text.replace(old, new, 1) if old else text + new)
    return change


BANANA = _json_edit("schemas/defs.schema.json",
                    lambda d: d["$defs"]["status"]["enum"].append("banana"))

RULE_CHANGES = {
    "schema": ("schemas/defs.schema.json", BANANA),
    "test limit": ("svt.yaml", _text_edit("svt.yaml", "max: 4e-06", "max: 1.0")),
    "site_url": ("svt.yaml", _text_edit("svt.yaml", "svt_install:",
                                        "site_url: https://evil.example/svt\nsvt_install:")),
    "main_branch": ("svt.yaml", _text_edit("svt.yaml", "main_branch: main",
                                           "main_branch: release")),
    "svt_install": ("svt.yaml", _text_edit("svt.yaml", "svt_install: ",
                                           "svt_install: git+https://evil.example/svt#")),
    # (a branch that edits the workflow to drop --rules-need-approval runs its own edit:
    # only CODEOWNERS review stops that, which is why validate warns until someone owns it)
    "workflow": (GITHUB_FILE, _text_edit(GITHUB_FILE, "pull_request:", "pull_request:\n"
                                         "    paths-ignore: [schemas/**]")),
    "new workflow": (".github/workflows/other.yml",
                     _text_edit(".github/workflows/other.yml", "", "name: other\non: push\n"
                                "jobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                                "      - run: echo hi\n")),
    "gitlab ci": (GITLAB_FILE, _text_edit(GITLAB_FILE, "", "\nother:\n  script: [echo]\n")),
    "gitattributes": (".gitattributes", _text_edit(".gitattributes", "", "*.yaml -diff\n")),
    "pre-commit": (".pre-commit-config.yaml",
                   _text_edit(".pre-commit-config.yaml", "", "repos: []\n")),
    "codeowners": (".gitlab/CODEOWNERS", _text_edit(".gitlab/CODEOWNERS", "", "* @mallory\n")),
}


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_a_branch_that_only_loosens_a_schema_fails_ci_without_approval(tmp_path, ci_env,
                                                                        forge):
    """PR 1 of the two-step loosening: `banana` becomes a status, no record uses it yet.
    It fails CI without the label (so PR 2 cannot use it unreviewed), and passes with it."""
    origin = publish(tmp_path, BANANA, "bananas are a status now")
    for labels in ([], ["documentation", LABEL]):
        (tmp_path / str(len(labels))).mkdir()
        if forge == "github":
            clone = github_checkout(tmp_path / str(len(labels)), origin)
            proc = _run(github_pull_request_script(clone, labels), clone, ci_env)
        else:
            clone = gitlab_checkout(tmp_path / str(len(labels)), origin)
            env = dict(ci_env, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
                       CI_MERGE_REQUEST_LABELS=",".join(labels))
            proc = _run(gitlab_merge_request_script(clone), clone, env)
            proc.stdout += (clone / "gl-code-quality-report.json").read_text()
        out = proc.stdout + proc.stderr
        assert (proc.returncode == 0) == bool(labels), out
        assert "schemas/defs.schema.json" in out and "rule change" in out, out


@pytest.mark.parametrize("name", list(RULE_CHANGES))
def test_every_rule_bearing_file_fails_ci_without_approval(tmp_path, ci_env, name):
    """Test limits, site_url, main_branch, svt_install, workflow files and the rest passed
    `validate --since` as CI ran it, since it compared only schemas, positions and
    max_file_mb."""
    path, change = RULE_CHANGES[name]
    origin = publish(tmp_path, change, f"change {name}")
    clone = github_checkout(tmp_path, origin)
    proc = _run(github_pull_request_script(clone, []), clone, ci_env)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert re.search(rf"::error file={re.escape(path)},line=\d+.*rule change", proc.stdout), \
        proc.stdout
    approved = _run(github_pull_request_script(clone, [LABEL]), clone, ci_env)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert f"::warning file={path}" in approved.stdout


def test_svt_yaml_findings_name_the_keys_at_their_line(tmp_path, svt_proc):
    root = tmp_path / "s"
    Database(root).initialize_schema()
    git(root, "switch", "-q", "-c", "pr")
    _text_edit("svt.yaml", "max: 4e-06", "max: 1.0")(root)
    git(root, "commit", "-q", "-am", "looser limit")
    proc = svt_proc("--repo", str(root), "validate", "--since", "main",
                    "--rules-need-approval", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = next(l for l in proc.stdout.splitlines() if l.startswith("svt.yaml:"))
    number = int(line.split(":")[1])
    assert (root / "svt.yaml").read_text().splitlines()[number - 1].startswith("test_types:")
    assert "test_types" in line and "--allow-rule-changes" in line and LABEL in line


def test_the_local_hook_keeps_its_behaviour(db, svt_proc, gitcmd):
    """svt's pre-commit hook runs `validate --since HEAD` without --rules-need-approval: a
    commit of svt's own rule changes (or a staged schema loosening nothing uses) passes."""
    BANANA(db.root)
    gitcmd(db.root, "add", "schemas")
    proc = svt_proc("--repo", str(db.root), "validate", "--since", "HEAD", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    refused = svt_proc("--repo", str(db.root), "validate", "--rules-need-approval",
                       check=False)
    assert refused.returncode == 2 and "--since" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_review_shows_the_rule_changes_diff(tmp_path, svt_proc):
    root = tmp_path / "s"
    Database(root).initialize_schema()
    git(root, "switch", "-q", "-c", "pr")
    _text_edit("svt.yaml", "max: 4e-06", "max: 1.0")(root)
    _text_edit(GITHUB_FILE, "--format github", "--format text")(root)
    (root / "schemas/evil.md").write_text("```\n# not a heading\n```\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "looser")
    text = svt_proc("--repo", str(root), "review", "main..pr").stdout
    rules = text.split("### Rules changed", 1)[1].split("\n### ", 1)[0]
    assert "-        max: 4e-06" in rules and "+        max: 1.0" in rules, rules
    assert re.search(r"^\+.*--format text", rules, re.M) and "`schemas/evil.md`" in rules
    fence = re.search(r"^(`{3,})diff$", rules, re.M)
    assert fence and len(fence[1]) > 3, rules  # longer than the backticks inside
    assert rules.count(fence[1]) == 2
