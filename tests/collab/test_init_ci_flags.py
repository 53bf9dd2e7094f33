"""Issue 29, item 4: `svt init` writes CI files only where a team will use them: with
--ci github,gitlab (or one of them), --pages or --forms, on a new or an existing store. The
personal default store and a plain `svt init PATH` get none, and no CODEOWNERS warning."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

CI_PATHS = (".github", ".gitlab", ".gitlab-ci.yml")
VALIDATE = ".github/workflows/svt-validate.yml"
PAGES = ".github/workflows/svt-pages.yml"
ISSUE = ".github/workflows/svt-issue.yml"
FORMS = tuple(f".github/ISSUE_TEMPLATE/svt-{n}.yml" for n in ("test", "log", "status"))


def tracked(root: Path) -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True,
                         check=True).stdout.split()
    return {p for p in out if p.startswith(CI_PATHS)}


def commits(root: Path) -> int:
    return len(subprocess.run(["git", "log", "--format=%H"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.split())


def test_a_plain_init_writes_no_ci_and_no_codeowners_warning(svt, tmp_path):
    root = tmp_path / "s"
    result = svt("init", str(root))
    assert tracked(root) == set()
    assert not any((root / p).exists() for p in CI_PATHS)
    assert "CODEOWNERS" not in result.stdout + result.stderr


def test_the_personal_default_store_gets_no_ci(svt, isolated_env, monkeypatch):
    monkeypatch.delenv("SVT_REPO", raising=False)
    result = svt("init")
    home = isolated_env / ".hps_svt_tracker"
    assert (home / "svt.yaml").is_file()
    assert tracked(home) == set() and "CODEOWNERS" not in result.stdout + result.stderr


@pytest.mark.parametrize("args, expected", [
    (["--ci", "github"], {VALIDATE, ".github/CODEOWNERS"}),
    (["--ci", "gitlab"], {".gitlab-ci.yml", ".gitlab/CODEOWNERS"}),
    (["--ci", "github,gitlab"], {VALIDATE, ".gitlab-ci.yml", ".github/CODEOWNERS",
                                 ".gitlab/CODEOWNERS"}),
    (["--ci", "GitLab, github"], {VALIDATE, ".gitlab-ci.yml", ".github/CODEOWNERS",
                                  ".gitlab/CODEOWNERS"}),
    # --pages implies --ci for both forges, unless --ci names one
    (["--pages"], {VALIDATE, PAGES, ".gitlab-ci.yml", ".github/CODEOWNERS",
                   ".gitlab/CODEOWNERS"}),
    (["--pages", "--ci", "gitlab"], {".gitlab-ci.yml", ".gitlab/CODEOWNERS"}),
    # --forms implies --ci github
    (["--forms"], {VALIDATE, ISSUE, *FORMS, ".github/CODEOWNERS"}),
])
def test_ci_files_come_with_ci_pages_or_forms(svt, tmp_path, args, expected):
    root = tmp_path / "s"
    result = svt("init", str(root), *args)
    assert tracked(root) == expected
    assert commits(root) == 1
    assert "CODEOWNERS names no maintainers yet" in result.stdout
    if "--pages" in args and "gitlab" in args:
        assert "\npages:\n" in (root / ".gitlab-ci.yml").read_text()


def test_an_existing_store_gets_the_ci_files_it_asks_for(svt, tmp_path):
    root = tmp_path / "s"
    svt("init", str(root))
    added = svt("init", str(root), "--ci", "github")
    assert "Added the CI files" in added.stdout
    assert tracked(root) == {VALIDATE, ".github/CODEOWNERS"} and commits(root) == 2
    again = svt("init", str(root), "--ci", "github")
    assert "already has the CI files asked for; nothing changed" in again.stdout
    assert commits(root) == 2
    forms = svt("init", str(root), "--forms")
    assert "gh label create svt-record" in forms.stdout
    assert tracked(root) == {VALIDATE, ISSUE, *FORMS, ".github/CODEOWNERS"}
    assert commits(root) == 3
    gitlab = svt("init", str(root), "--ci", "gitlab", "--maintainer", "@alice")
    assert tracked(root) == {VALIDATE, ISSUE, *FORMS, ".github/CODEOWNERS", ".gitlab-ci.yml",
                             ".gitlab/CODEOWNERS"}
    assert "svt upgrade --maintainer" in gitlab.stdout  # --maintainer sets up new stores
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                            text=True, check=True).stdout
    assert status == ""


def test_no_ci_is_accepted_and_says_it_is_no_longer_needed(svt, tmp_path):
    root = tmp_path / "s"
    result = svt("init", "--no-ci", str(root))
    assert result.exit_code == 0
    assert "--no-ci is no longer needed" in result.stderr
    assert tracked(root) == set()


@pytest.mark.parametrize("value", ["bitbucket", "github,svn", ","])
def test_an_unknown_forge_is_refused_and_nothing_is_written(svt, tmp_path, value):
    root = tmp_path / "s"
    result = svt("init", str(root), "--ci", value, ok=False)
    assert result.exit_code == 1  # one line, as any refusal of svt init: no usage text
    message = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(message) == 1 and "--ci" in message[0] and "github" in message[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not root.exists()


# ---- svt_install: the very svt that made the store, where CI can install it ---------------------

def _installs(workflow: Path) -> list[str]:
    jobs = yaml.safe_load(workflow.read_text())["jobs"].values()
    return [s["env"]["SVT_INSTALL"] for job in jobs for s in job["steps"]
            if "SVT_INSTALL" in s.get("env", {})]


def test_ci_installs_this_svt_when_ci_can_install_it(svt, tmp_path, monkeypatch):
    from svt_records.files import install
    spec = "svt-records@git+https://github.com/hps/svt@0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setattr(install, "install_source",
                        lambda extra=None: install.Source(spec, False, False))
    root = tmp_path / "s"
    result = svt("init", str(root), "--pages")
    assert yaml.safe_load((root / "svt.yaml").read_text())["svt_install"] == spec
    assert _installs(root / VALIDATE) == [spec]
    assert _installs(root / PAGES) == [spec.replace("svt-records@", "svt-records[site] @ ")]
    assert "package index" not in result.stderr


def test_a_local_install_keeps_the_release_and_says_how_to_use_a_git_url(svt, tmp_path):
    """This checkout runs the tests: a folder of this machine, which CI cannot install."""
    from svt_records import __version__
    root = tmp_path / "s"
    result = svt("init", str(root), "--ci", "github")
    assert f"svt_install: svt-records=={__version__}" in (root / "svt.yaml").read_text()
    note = next(l for l in result.stderr.splitlines() if l.startswith("note: "))
    assert "CI cannot install" in note and "svt_install" in note and "git+https://" in note
    plain = svt("init", str(tmp_path / "t"))  # no CI files: nothing to say
    assert "svt_install" not in plain.stderr
