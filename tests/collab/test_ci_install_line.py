"""The CI files `svt init --ci` writes install svt as written: their install step, run here in
a new virtual environment, installs this very repository from a git URL (as a team's CI
installs the svt its store names in svt_install), and the svt it installs runs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _head() -> str:
    proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        pytest.skip("this copy of svt is not a git checkout, so it has no git URL to install")
    return proc.stdout.strip()


def test_the_github_install_step_installs_svt_from_a_git_url(tmp_path, svt):
    spec = f"git+{ROOT.as_uri()}@{_head()}"  # what svt init writes for an svt from git
    store = tmp_path / "store"
    svt("init", str(store), "--ci", "github", "--svt-install", spec)
    workflow = yaml.safe_load((store / ".github" / "workflows" / "svt-validate.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job.get("steps", [])
             if "SVT_INSTALL" in (s.get("env") or {})]
    assert steps, "no install step"
    step = steps[0]
    assert step["env"]["SVT_INSTALL"] == spec
    venv = tmp_path / "ci-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = dict(os.environ, SVT_INSTALL=step["env"]["SVT_INSTALL"],
               PATH=f"{venv / 'bin'}:{os.environ['PATH']}", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ran = subprocess.run([str(venv / "bin" / "svt"), "--repo", str(store), "validate"],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import svt_records, sys; sys.stdout.write(svt_records.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True,
                           check=True).stdout
    assert str(venv) in where  # the installed copy, not this checkout
