"""Writes never clobber what svt cannot see: a detached HEAD, a sparse checkout, files that
should go to Git LFS, and svt's own pre-commit hooks (which must not wait for svt's lock)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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


def _hooks_file() -> list[dict]:
    import yaml  # the test extras have PyYAML (pre-commit needs it)
    return yaml.safe_load((Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text())


def test_svt_writes_through_its_own_pre_commit_hooks(store_path, gitcmd, tmp_path):
    """The hooks run `svt validate` and `svt fmt` while the writing svt holds its lock and
    its change's journal exists: they must not wait for that lock."""
    hooks = _hooks_file()
    assert all(h.get("require_serial") is True for h in hooks)
    local = [dict({k: v for k, v in h.items() if k != "description"}, language="system")
             for h in hooks]
    import yaml
    (store_path / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}))
    gitcmd(store_path, "add", ".pre-commit-config.yaml")
    gitcmd(store_path, "commit", "-q", "-m", "pre-commit hooks")
    # `svt` on PATH is the real one, behind a shim that notes each call
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    shim = bin_dir / "svt"
    shim.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {sys.executable} -m svt_records "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}"
                                f"{os.pathsep}{os.environ['PATH']}",
               PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "install"], cwd=store_path,
                   env=env, check=True, capture_output=True)
    proc = subprocess.run(["svt", "add", "--id", "M1", "--type", "module"], cwd=store_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert gitcmd(store_path, "log", "-1", "--format=%s").startswith("add M1")
    ran = calls.read_text().splitlines()
    assert any(" validate records/module/M1/component.yaml" in line for line in ran), ran
    assert any(" fmt " in line and "records/module/M1/component.yaml" in line for line in ran)
    assert gitcmd(store_path, "status", "--porcelain") == ""
