"""`svt init` refuses a bad --ci or --name in one line, before it writes anything: no store,
no commit, no CI file; and the command its message suggests works when pasted."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from conftest import git

CI_FILES = (".github", ".gitlab-ci.yml", "CODEOWNERS")


def refused(result_or_proc, what: str) -> str:
    """The one line a refusal prints (stderr), checked: exit 1, nothing else printed."""
    code = getattr(result_or_proc, "exit_code", getattr(result_or_proc, "returncode", None))
    lines = result_or_proc.stderr.strip().splitlines()
    assert code == 1, (code, result_or_proc.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"Error: {what}"), lines
    assert "Traceback" not in result_or_proc.stderr and not result_or_proc.stdout.strip()
    return lines[0]


def suggested(line: str, option: str) -> list[str]:
    """The option and value the message suggests typing ("e.g. --ci github,gitlab")."""
    match = re.search(rf"e\.g\. ({option} .*)$", line)
    assert match, line
    return shlex.split(match.group(1))


@pytest.mark.parametrize("ci, unknown, suggestion", [
    ("", None, ["--ci", "github,gitlab"]),
    (" , ", None, ["--ci", "github,gitlab"]),
    ("bitbucket", "'bitbucket'", ["--ci", "github,gitlab"]),
    ("github,bitbucket", "'bitbucket'", ["--ci", "github"]),  # the forges it knows, kept
])
def test_a_bad_forge_list_creates_no_store(tmp_path, svt, ci, unknown, suggestion):
    target = tmp_path / "store"
    line = refused(svt("init", str(target), "--ci", ci, ok=False), "--ci")
    assert ("names no forge" in line) if unknown is None else (f"not {unknown}" in line)
    assert not target.exists()
    # pasted as it says, the command works
    assert suggested(line, "--ci") == suggestion
    svt("init", str(target), *suggestion, "--maintainer", "@alice")
    assert (target / "svt.yaml").is_file()
    assert (target / ".github/workflows/svt-validate.yml").is_file()
    assert (target / ".gitlab-ci.yml").is_file() == (suggestion[1] == "github,gitlab")


def test_a_bad_forge_list_changes_no_existing_repository_or_store(tmp_path, svt_proc):
    # the real program: a plain git repository, then a store, each left as it was
    plain = tmp_path / "plain"
    plain.mkdir()
    git(plain, "init", "-q")
    proc = svt_proc("init", str(plain), "--ci", "github,bitbucket", "--pages", check=False)
    assert "not 'bitbucket'" in refused(proc, "--ci")
    assert sorted(p.name for p in plain.iterdir()) == [".git"]
    assert not git(plain, "rev-parse", "--all").strip()  # no commit

    store = tmp_path / "store"
    svt_proc("init", str(store))
    head = git(store, "rev-parse", "HEAD")
    for ci in ("", "bitbucket", "github,bitbucket"):
        proc = svt_proc("init", str(store), "--ci", ci, check=False)
        refused(proc, "--ci")
        assert git(store, "rev-parse", "HEAD") == head
        assert not git(store, "status", "--porcelain", "--ignored")
        assert not any((store / name).exists() for name in CI_FILES)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_bad_name_creates_no_store(tmp_path, svt, name):
    target = tmp_path / "store"
    line = refused(svt("init", str(target), "--name", name, "--ci", "github", ok=False),
                   "--name")
    assert "1 to 200 characters" in line
    assert not target.exists()
    # pasted as it says, the command works
    option = suggested(line, "--name")
    svt("init", str(target), *option)
    assert yaml.safe_load((target / "svt.yaml").read_text())["name"] == option[1]


def test_200_characters_are_a_name(tmp_path, svt):
    svt("init", str(tmp_path / "store"), "--name", "x" * 200)
    assert yaml.safe_load((tmp_path / "store" / "svt.yaml").read_text())["name"] == "x" * 200


def test_a_forge_list_is_read_as_typed(tmp_path, svt):
    svt("init", str(tmp_path / "store"), "--ci", " GitLab, ,gitlab ", "--maintainer", "@a")
    assert (tmp_path / "store" / ".gitlab-ci.yml").is_file()
    assert not Path(tmp_path / "store" / ".github" / "workflows").exists()
