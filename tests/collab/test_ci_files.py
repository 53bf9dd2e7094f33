"""The CI files `svt init` writes: valid by GitHub's and GitLab's own schemas, pinned to a
install spec from svt.yaml, guarding the repository's real default branch, and running as
written: their shell steps are executed here, in clones of a real bare remote."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # the test extras have PyYAML (pre-commit needs it)

from svt_records import Database, __version__
from svt_records.collab.forge import (APPROVAL_LABEL, GITHUB_FILE, GITLAB_FILE,
                                      PAGES_GITHUB_FILE)

CHECKOUT = Path(__file__).resolve().parents[2]


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_ci_files_pass_the_official_schemas(store_path):
    for path, builtin in ((GITHUB_FILE, "vendor.github-workflows"),
                          (GITLAB_FILE, "vendor.gitlab-ci")):
        proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                               builtin, str(store_path / path)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ci_files_install_the_pinned_spec_from_svt_yaml(svt, tmp_path):
    store = tmp_path / "s"
    svt("init", str(store), "--ci", "github,gitlab")
    config = yaml.safe_load((store / "svt.yaml").read_text())
    assert config["svt_install"] == f"svt-records=={__version__}"
    spec = "git+https://github.com/ORG/svt@v0.1.0"
    svt("init", str(tmp_path / "t"), "--ci", "github,gitlab", "--svt-install", spec)
    assert yaml.safe_load((tmp_path / "t/svt.yaml").read_text())["svt_install"] == spec
    github = yaml.safe_load((tmp_path / "t" / GITHUB_FILE).read_text())
    install = next(s for s in github["jobs"]["validate"]["steps"] if "SVT_INSTALL" in
                   s.get("env", {}))
    assert install["env"]["SVT_INSTALL"] == spec and install["run"] == 'pip install "$SVT_INSTALL"\n'
    gitlab = yaml.safe_load((tmp_path / "t" / GITLAB_FILE).read_text())
    for job in gitlab.values():
        assert job["variables"]["SVT_INSTALL"] == spec
        assert job["script"][0] == 'pip install "$SVT_INSTALL"'
    for path in (GITHUB_FILE, GITLAB_FILE):
        text = (tmp_path / "t" / path).read_text()
        assert "ci_install" not in text and "svt-records==" not in text
    bad = svt("init", str(tmp_path / "u"), "--ci", "github,gitlab", "--svt-install",
              'x" ; rm -rf /', ok=False)
    assert bad.exit_code != 0 and "svt_install" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "u").exists()


def test_an_existing_repository_keeps_its_default_branch(svt, tmp_path):
    repo = tmp_path / "legacy"
    repo.mkdir()
    git(repo, "init", "-q", "--initial-branch=master")
    git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    svt("init", str(repo), "--ci", "github,gitlab")
    assert yaml.safe_load((repo / "svt.yaml").read_text())["main_branch"] == "master"
    github = yaml.safe_load((repo / GITHUB_FILE).read_text())
    assert github["on"]["push"]["branches"] == ["master"]
    gitlab = yaml.safe_load((repo / GITLAB_FILE).read_text())
    assert gitlab["svt-validate-main"]["rules"] == [{"if": '$CI_COMMIT_BRANCH == "master"'}]
    # svt reads it: a detached HEAD is told to switch to that branch
    git(repo, "checkout", "-q", "--detach")
    refused = svt("--repo", str(repo), "add", "--id", "M1", "--type", "module", ok=False)
    assert "git switch master" in refused.stderr


def test_a_clone_takes_the_remotes_default_branch(svt, tmp_path):
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=trunk", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(origin), str(seed))
    git(seed, "commit", "-q", "--allow-empty", "-m", "start")
    git(seed, "push", "-q", "origin", "HEAD:trunk")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "switch", "-q", "-c", "setup-svt")  # set up on a topic branch
    svt("init", str(clone))
    assert yaml.safe_load((clone / "svt.yaml").read_text())["main_branch"] == "trunk"


# ---- the files run as written ----------------------------------------------------------------

@pytest.fixture
def ci_env(tmp_path):
    """PATH with `svt` (this checkout, noting each call) and a `pip` that accepts exactly
    ``pip install <svt_install>``: svt is importable here already, so installing is a no-op."""
    bin_dir = tmp_path / "ci-bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    (bin_dir / "svt").write_text(
        f'#!/bin/sh\necho "svt $*" >> {calls}\nexec {sys.executable} -m svt_records "$@"\n')
    (bin_dir / "pip").write_text(
        f'#!/bin/sh\necho "pip $*" >> {calls}\n'
        f'[ "$*" = "install {CHECKOUT}" ] || [ "$*" = "install {CHECKOUT}[site]" ] || exit 3\n'
        f'exec {sys.executable} -c "import svt_records"\n')
    for shim in bin_dir.iterdir():
        shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return env, calls


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    """A bare remote holding a store whose CI installs this checkout; ``main`` installed
    MOD-A at L1 after the branch ``feature`` (which installs MOD-B there) left it. Built once
    for the module (the tests only clone it), with HOME and git's config kept away from the
    real ones as the autouse fixture does for each test."""
    tmp_path = tmp_path_factory.mktemp("remote")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HOME", str(tmp_path))
        env.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / ".gitconfig"))
        env.setenv("GIT_CONFIG_NOSYSTEM", "1")
        env.delenv("SVT_REPO", raising=False)
        for key in ("AUTHOR", "COMMITTER"):
            env.setenv(f"GIT_{key}_NAME", "Test Tech")
            env.setenv(f"GIT_{key}_EMAIL", "tech@example.org")
        return _make_remote(tmp_path)


def _make_remote(tmp_path: Path) -> Path:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(origin))
    work = tmp_path / "work"
    Database(work).initialize_schema(svt_install=str(CHECKOUT))
    db = Database(work)
    for cid in ("MOD-A", "MOD-B", "MOD-C"):
        db.save_component(cid, {"type": "module", "status": "qualified"})
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    git(work, "switch", "-q", "-c", "feature")
    Database(work).install("MOD-B", "Layer1_top_axial", run_period="2025_run")
    git(work, "push", "-q", "origin", "feature")
    git(work, "switch", "-q", "main")
    git(work, "switch", "-q", "-c", "harmless")
    Database(work).install("MOD-C", "Layer2_top_axial", run_period="2025_run")
    git(work, "push", "-q", "origin", "harmless")
    git(work, "switch", "-q", "main")
    git(work, "switch", "-q", "-c", "banana")  # loosens the rules it is checked against
    defs = work / "schemas/defs.schema.json"
    defs.write_text(defs.read_text().replace('"lost"', '"lost", "banana"'))
    component = work / "records/module/MOD-C/component.yaml"
    component.write_text(component.read_text().replace("status: qualified", "status: banana"))
    git(work, "commit", "-q", "-am", "bananas are a status now")
    git(work, "push", "-q", "origin", "banana")
    git(work, "switch", "-q", "main")
    Database(work).install("MOD-A", "Layer1_top_axial", run_period="2025_run")
    git(work, "push", "-q", "origin", "main")
    return origin


def _runner_clone(tmp_path: Path, origin: Path, branch: str, name: str) -> Path:
    """What a CI runner checks out: a clone, detached at the branch's commit."""
    clone = tmp_path / name
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "checkout", "-q", "--detach", f"origin/{branch}")
    return clone


def _run(lines: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _exports(variables: dict) -> list[str]:
    """A job's variables as the runner sets them: environment variables of its script."""
    return [f"export {name}={shlex.quote(str(value))}" for name, value in variables.items()]


def gitlab_mr_script(clone: Path) -> list[str]:
    job = yaml.safe_load((clone / GITLAB_FILE).read_text())["svt-validate-mr"]
    assert job["variables"]["SVT_INSTALL"] == str(CHECKOUT)
    assert job["script"][0] == 'pip install "$SVT_INSTALL"'
    return _exports(job["variables"]) + job["script"]


@pytest.mark.parametrize("branch, conflicts", [("feature", True), ("harmless", False)])
def test_gitlab_merge_request_job_checks_the_merged_result(tmp_path, remote, ci_env, branch,
                                                           conflicts):
    env, calls = ci_env
    clone = _runner_clone(tmp_path, remote, branch, "gitlab")
    # the source branch alone is valid: only merging main makes two modules share L1
    assert subprocess.run([sys.executable, "-m", "svt_records", "validate"], cwd=clone,
                          capture_output=True).returncode == 0
    env = dict(env, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main", CI_MERGE_REQUEST_LABELS="")
    proc = _run(gitlab_mr_script(clone), clone, env)
    assert (proc.returncode != 0) == conflicts, proc.stdout + proc.stderr
    report = (clone / "gl-code-quality-report.json").read_text()
    assert ("Layer1_top_axial" in report) == conflicts, report
    assert calls.read_text().startswith(f"pip install {CHECKOUT}\n")


def _github_expression(expr: str, event: dict) -> str:
    """The few `${{ }}` expressions svt's workflow uses, as GitHub evaluates them."""
    expr = expr.strip()
    if expr == "github.base_ref":
        return event["base_ref"]
    found = re.fullmatch(r"contains\(github\.event\.pull_request\.labels\.\*\.name, '([^']+)'\)"
                         r" && '([^']*)' \|\| '([^']*)'", expr)
    assert found, f"an expression this test does not know: {expr}"
    return found[2] if found[1] in event["labels"] else found[3]


def github_steps(clone: Path, event: dict) -> list[str]:
    workflow = yaml.safe_load((clone / GITHUB_FILE).read_text())
    lines = []
    for step in workflow["jobs"]["validate"]["steps"]:
        if "run" not in step:
            assert step["uses"].split("@")[0] in ("actions/checkout", "actions/setup-python")
            continue
        condition = step.get("if")
        if condition is not None:
            assert condition in ("github.event_name == 'pull_request'",
                                 "github.event_name == 'push'"), condition
            if condition.split("'")[1] != event["name"]:
                continue
        assert "${{" not in step["run"]  # what GitHub takes from the event reaches it by env:
        env = {k: re.sub(r"\$\{\{(.*?)\}\}", lambda m: _github_expression(m[1], event), v)
               for k, v in step.get("env", {}).items()}
        lines.append("(" + "; ".join(_exports(env) + [step["run"].rstrip("\n")]) + ")")
    assert lines[0] == (f"(export SVT_INSTALL={shlex.quote(str(CHECKOUT))}; pip install"
                        ' "$SVT_INSTALL")')
    return lines


@pytest.mark.parametrize("branch, conflicts", [("feature", True), ("harmless", False)])
def test_github_pull_request_job_runs_on_the_merge_commit(tmp_path, remote, ci_env, branch,
                                                          conflicts):
    env, calls = ci_env
    clone = _runner_clone(tmp_path, remote, "main", "github")
    # actions/checkout of a pull request: GitHub's merge commit of the branch into the base
    git(clone, "-c", "user.name=GitHub", "-c", "user.email=noreply@example.org", "merge",
        "-q", "--no-edit", f"origin/{branch}")
    event = {"name": "pull_request", "base_ref": "main", "labels": []}
    proc = _run(github_steps(clone, event), clone, env)
    assert (proc.returncode != 0) == conflicts, proc.stdout + proc.stderr
    assert ("Layer1_top_axial" in proc.stdout) == conflicts
    assert ("svt --repo . validate --since origin/main --format github --rules-need-approval"
            in calls.read_text())


def test_github_push_job_checks_the_whole_store(tmp_path, remote, ci_env):
    env, calls = ci_env
    clone = _runner_clone(tmp_path, remote, "main", "github")
    proc = _run(github_steps(clone, {"name": "push", "base_ref": "", "labels": []}), clone, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert calls.read_text().splitlines()[-1] == "svt --repo . validate --format github"


@pytest.mark.parametrize("labels", ["", f"bug,{APPROVAL_LABEL}"])
def test_gitlab_job_passes_a_rule_change_only_with_the_approval_label(tmp_path, remote, ci_env,
                                                                       labels):
    env, calls = ci_env
    clone = _runner_clone(tmp_path, remote, "banana", "gitlab")
    env = dict(env, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main", CI_MERGE_REQUEST_LABELS=labels)
    proc = _run(gitlab_mr_script(clone), clone, env)
    assert (proc.returncode == 0) == bool(labels), proc.stdout + proc.stderr
    report = (clone / "gl-code-quality-report.json").read_text()
    assert "changes the rules" in report
    assert ("--allow-rule-changes" in calls.read_text().splitlines()[-1]) == bool(labels)


@pytest.mark.parametrize("labels", [[], ["documentation", APPROVAL_LABEL]])
def test_github_job_passes_a_rule_change_only_with_the_approval_label(tmp_path, remote, ci_env,
                                                                       labels):
    env, calls = ci_env
    clone = _runner_clone(tmp_path, remote, "main", "github")
    git(clone, "-c", "user.name=GitHub", "-c", "user.email=noreply@example.org", "merge",
        "-q", "--no-edit", "origin/banana")
    event = {"name": "pull_request", "base_ref": "main", "labels": labels}
    proc = _run(github_steps(clone, event), clone, env)
    assert (proc.returncode == 0) == bool(labels), proc.stdout + proc.stderr
    assert "changes the rules" in proc.stdout


# ---- svt init --pages: the site published from the main branch ------------------------------

def _check_schema(path: Path, builtin: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           builtin, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pages_ci_passes_the_official_schemas(svt, tmp_path):
    store = tmp_path / "s"
    svt("init", str(store), "--pages")
    _check_schema(store / PAGES_GITHUB_FILE, "vendor.github-workflows")
    _check_schema(store / GITLAB_FILE, "vendor.gitlab-ci")
    gitlab = yaml.safe_load((store / GITLAB_FILE).read_text())
    assert {"svt-validate-mr", "svt-validate-main", "pages"} <= set(gitlab)
    assert gitlab["pages"]["artifacts"]["paths"] == ["public"]
    assert gitlab["pages"]["rules"] == [{"if": '$CI_COMMIT_BRANCH == "main"'}]
    github = yaml.safe_load((store / PAGES_GITHUB_FILE).read_text())
    assert github["on"]["push"]["branches"] == ["main"]
    uses = [s.get("uses", "").split("@")[0] for job in github["jobs"].values()
            for s in job["steps"]]
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    assert gitlab["pages"]["variables"]["SVT_INSTALL"] == f"svt-records[site]=={__version__}"


def test_init_pages_on_an_existing_store_adds_only_the_publishing_ci(svt, tmp_path):
    store = tmp_path / "s"
    svt("init", str(store), "--ci", "github,gitlab")
    before = (store / GITLAB_FILE).read_text()
    head = git(store, "rev-parse", "HEAD")
    added = svt("init", str(store), "--pages")
    assert "publishes the site" in added.stdout
    changed = git(store, "diff", "--name-status", head, "HEAD").splitlines()
    assert sorted(changed) == [f"A\t{PAGES_GITHUB_FILE}", f"M\t{GITLAB_FILE}"]
    after = (store / GITLAB_FILE).read_text()
    assert after.startswith(before.rstrip("\n")) and "\npages:\n" in after
    _check_schema(store / GITLAB_FILE, "vendor.gitlab-ci")
    again = svt("init", str(store), "--pages")
    assert "already publishes its site; nothing changed" in again.stdout
    assert len(git(store, "log", "--format=%H").splitlines()) == 2
    # a store without CI files gets the validation CI with it (--pages implies --ci)
    bare = tmp_path / "bare"
    svt("init", str(bare))
    svt("init", str(bare), "--pages")
    assert set(yaml.safe_load((bare / GITLAB_FILE).read_text())) == {
        "svt-validate-mr", "svt-validate-main", "pages"}
    assert (bare / GITHUB_FILE).is_file() and (bare / PAGES_GITHUB_FILE).is_file()


def test_pages_build_steps_run_as_written(svt, tmp_path, ci_env):
    env, calls = ci_env
    store = tmp_path / "store"
    Database(store).initialize_schema(svt_install=str(CHECKOUT), pages=True)
    Database(store).save_component("MOD-A", {"type": "module", "status": "qualified"})
    github = yaml.safe_load((store / PAGES_GITHUB_FILE).read_text())
    steps = github["jobs"]["build"]["steps"]
    lines = ["; ".join(_exports(s.get("env", {})) + [s["run"].rstrip("\n")])
             for s in steps if "run" in s]
    assert lines == [f"export SVT_INSTALL={shlex.quote(f'{CHECKOUT}[site]')};"
                     ' pip install "$SVT_INSTALL"', "svt --repo . site public"]
    assert steps[-1]["with"]["path"] == "public"
    proc = _run(lines, store, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (store / "public/components/MOD-A.html").is_file()
    gitlab = yaml.safe_load((store / GITLAB_FILE).read_text())["pages"]
    clone = _runner_clone(tmp_path, store, "main", "gitlab")
    proc = _run(_exports(gitlab["variables"]) + gitlab["script"], clone, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (clone / "public/index.html").is_file()
    assert calls.read_text().count(f"pip install {CHECKOUT}[site]") == 2
