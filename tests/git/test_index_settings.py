"""`svt setup` keeps git's index as svt writes it fastest: with its hash (index.skipHash false
where git would read it as true), never with skipHash when split (docs/performance.md)."""
from __future__ import annotations

import subprocess

import pytest

from svt_records.git.repo import GitRepo
from tests.git.test_staging import links

SKIP_HASH_GIT = (2, 40)  # the first git that writes an index without its hash


def config(root, key: str) -> str | None:
    out = subprocess.run(["git", "config", "--get", key], cwd=root, capture_output=True,
                         text=True).stdout.strip()
    return out or None


def git_here() -> tuple[int, ...]:
    words = subprocess.run(["git", "version"], capture_output=True, text=True).stdout.split()
    parts = words[2].split(".") if len(words) > 2 else []
    return tuple(int(p) for p in parts[:3] if p.isdigit())


def test_setup_turns_off_the_skiphash_an_earlier_setup_turned_on(store_path, svt):
    """svt setup set index.skipHash on git 2.40 and later; svt then left the index to git
    (git 2.39 here ignores the setting, svt did not): no commit of it was linked."""
    subprocess.run(["git", "config", "index.skipHash", "true"], cwd=store_path, check=True)
    svt("add", "--id", "FEB-001", "--type", "feb", "--status", "spare")
    assert links(store_path) == 0
    result = svt("setup")
    assert "index.skipHash=false (svt writes git's index itself" in result.stdout
    assert config(store_path, "index.skipHash") == "false"
    for cid in ("FEB-002", "FEB-003"):  # (git 2.40 and later wrote an index without its
        svt("add", "--id", cid, "--type", "feb", "--status", "spare")  # hash: git writes next)
    assert links(store_path) >= 1  # written in-process, and linked
    assert (store_path / ".git" / "index").read_bytes()[-20:] != bytes(20)
    assert "skipHash" not in svt("setup").stdout  # nothing to change


def test_setup_overrides_skiphash_set_for_every_repository(store_path, svt, tmp_path,
                                                           monkeypatch):
    """(A user's ~/.gitconfig may set it: the clone's own config then says false.)"""
    global_config = tmp_path / "global-gitconfig"
    global_config.write_text("[index]\n\tskipHash = true\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    assert "index.skipHash=false" in svt("setup").stdout
    assert subprocess.run(["git", "config", "--type=bool", "index.skipHash"], cwd=store_path,
                          capture_output=True, text=True).stdout.strip() == "false"


def test_setup_overrides_the_skiphash_that_feature_manyfiles_implies(store_path, svt):
    subprocess.run(["git", "config", "feature.manyFiles", "true"], cwd=store_path, check=True)
    said = svt("setup").stdout  # (manyFiles' index version 4 is git's to write, not svt's)
    assert "index.skipHash=false (only an index with its hash links svt's commits" in said
    assert config(store_path, "index.skipHash") == "false"


def test_setup_changes_no_setting_where_none_is_set(store_path, svt):
    assert "index settings" not in svt("setup").stdout
    assert config(store_path, "index.skipHash") is None


def test_a_split_index_never_gets_skiphash(store_path, svt):
    subprocess.run(["git", "config", "index.skipHash", "true"], cwd=store_path, check=True)
    result = svt("setup", "--split-index")
    assert "index.skipHash=false (never together with a split index)" in result.stdout
    assert config(store_path, "index.skipHash") == "false"
    assert config(store_path, "core.splitIndex") == "true"
    assert "skipHash" not in svt("setup").stdout  # false already: not set again
    assert config(store_path, "index.skipHash") == "false"


@pytest.mark.skipif(git_here() < SKIP_HASH_GIT,
                    reason=f"git {'.'.join(map(str, git_here()))} here: index.skipHash needs"
                           " git 2.40 or later")
def test_svt_writes_and_git_agree_in_an_index_without_its_hash(store_path, svt):
    """A user's own index.skipHash (svt setup turns it off): git writes the index then."""
    subprocess.run(["git", "config", "index.skipHash", "true"], cwd=store_path, check=True)
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
