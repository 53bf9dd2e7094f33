"""Writes never clobber what svt cannot see: a detached HEAD, a sparse checkout, files that
should go to Git LFS, and svt's own pre-commit hooks (which must not wait for svt's lock)."""
from __future__ import annotations


def test_writes_on_a_detached_head_are_refused_and_name_the_branch(store_path, svt, gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    svt("add", "--id", "M2", "--type", "module")
    gitcmd(store_path, "checkout", "-q", "--detach", "HEAD~1")
    head = gitcmd(store_path, "rev-parse", "HEAD").strip()
    before = gitcmd(store_path, "status", "--porcelain")
    for args in (("add", "--id", "M3", "--type", "module"),
                 ("log", "M1", "a note"),
                 ("location", "M1", "Clean Room")):
        result = svt(*args, ok=False)
        assert result.exit_code == 1, result.stdout
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1 and "Traceback" not in message
        assert f"HEAD is detached at {head[:7]}" in message
        assert "git switch main" in message
    assert gitcmd(store_path, "rev-parse", "HEAD").strip() == head
    assert gitcmd(store_path, "status", "--porcelain") == before
    assert not (store_path / "records" / "module" / "M3").exists()
    # reads still work
    assert "M1" in svt("list").stdout
    assert "M1" in svt("show", "M1").stdout
