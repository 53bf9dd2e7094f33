"""`svt setup` picks git's index settings for the git it finds: index.skipHash on git 2.40
and later, never together with a split index (docs/performance.md)."""
from __future__ import annotations

import subprocess

import pytest

from svt_records.git.repo import GitRepo
from svt_records.git.worktree import SKIP_HASH_GIT


def config(root, key: str) -> str | None:
    out = subprocess.run(["git", "config", "--get", key], cwd=root, capture_output=True,
                         text=True).stdout.strip()
    return out or None


def git_here() -> tuple[int, ...]:
    return GitRepo(".").git_version()


def test_the_version_of_git_is_read():
    version = git_here()
    assert len(version) >= 2 and version >= (2, 0)


def test_setup_sets_skiphash_where_git_knows_it(store_path, svt, monkeypatch):
    """(Made to believe git is 2.40 where it is older: the setting is only written.)"""
    monkeypatch.setattr(GitRepo, "git_version", lambda self: SKIP_HASH_GIT)
    result = svt("setup")
    assert "index.skipHash=true" in result.stdout
    assert config(store_path, "index.skipHash") == "true"
    assert "skipHash" not in svt("setup").stdout  # set once: nothing changed


def test_setup_leaves_skiphash_alone_on_an_older_git(store_path, svt, monkeypatch):
    monkeypatch.setattr(GitRepo, "git_version", lambda self: (2, 39, 5))
    assert "skipHash" not in svt("setup").stdout
    assert config(store_path, "index.skipHash") is None


def test_a_split_index_never_gets_skiphash(store_path, svt, monkeypatch):
    monkeypatch.setattr(GitRepo, "git_version", lambda self: SKIP_HASH_GIT)
    svt("setup")
    result = svt("setup", "--split-index")
    assert "index.skipHash=false" in result.stdout
    assert config(store_path, "index.skipHash") == "false"
    assert config(store_path, "core.splitIndex") == "true"
    assert "skipHash" not in svt("setup").stdout  # split already: not set again
    assert config(store_path, "index.skipHash") == "false"


def test_a_split_index_overrides_skiphash_set_for_every_repository(store_path, svt, tmp_path,
                                                                    monkeypatch):
    """(A user's ~/.gitconfig may set it: the clone's own config then says false.)"""
    monkeypatch.setattr(GitRepo, "git_version", lambda self: SKIP_HASH_GIT)
    global_config = tmp_path / "global-gitconfig"
    global_config.write_text("[index]\n\tskipHash = true\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    assert "index.skipHash=false" in svt("setup", "--split-index").stdout
    assert subprocess.run(["git", "config", "--type=bool", "index.skipHash"], cwd=store_path,
                          capture_output=True, text=True).stdout.strip() == "false"


@pytest.mark.skipif(git_here() < SKIP_HASH_GIT,
                    reason=f"git {'.'.join(map(str, git_here()))} here: index.skipHash needs"
                           " git 2.40 or later")
def test_svt_writes_and_git_agree_in_an_index_without_its_hash(store_path, svt):
    svt("setup")
    svt("add", "--id", "FEB-001", "--type", "feb", "--status", "spare")
    svt("add", "--id", "FEB-001", "--type", "feb", "--status", "testing", ok=False)
    svt("set-status", "FEB-001", "testing", ok=False)
    index = (store_path / ".git" / "index").read_bytes()
    assert index[-20:] == bytes(20)  # written without the hash
    assert subprocess.run(["git", "status", "--porcelain"], cwd=store_path,
                          capture_output=True, text=True).stdout == ""
    fsck = subprocess.run(["git", "fsck", "--no-progress"], cwd=store_path,
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
    path = "records/feb/FEB-001/component.yaml"
    assert GitRepo(store_path).known_clean([path]) == {path}
