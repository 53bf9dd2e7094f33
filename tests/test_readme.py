"""The README and the tutorial cannot drift from the code: every shell block in them runs here,
verbatim, as a new user would run it (a fresh HOME, svt with its extras on PATH, the checkout
as the working folder, a bare repository on disk standing in for the forge), and so do the
Python API examples. A block may be left out only when marked `<!-- not run: reason -->`,
and at most three are."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TUTORIAL = ROOT / "docs" / "tutorial.md"
PYTHON_API = ROOT / "docs" / "reference" / "python-api.md"
BLOCK = re.compile(r"(?:<!-- not run: (?P<reason>[^>]+?) -->\n)?```(?P<lang>bash|sh)\n(?P<body>.*?)```",
                   flags=re.S)


def shell_blocks(path: Path) -> list[tuple[str, str | None]]:
    """(body, reason it is not run or None) of every ```bash and ```sh block, in order."""
    return [(m["body"], m["reason"]) for m in BLOCK.finditer(path.read_text(encoding="utf-8"))]


def script(path: Path) -> str:
    return "\n".join(body for body, reason in shell_blocks(path) if reason is None)


@pytest.fixture
def newcomer(tmp_path):
    """A fresh HOME with no git identity or config, svt (with its extras) on PATH."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SVT_", "GIT_")) and k not in ("VIRTUAL_ENV",)}
    env.update(HOME=str(home), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
               GIT_CONFIG_NOSYSTEM="1")
    return home, env


def run(text: str, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", text], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    assert "Traceback" not in proc.stderr
    return proc


def test_the_readme_is_short_and_at_most_three_blocks_are_not_run():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 250
    skipped = [reason for path in (README, TUTORIAL) for _, reason in shell_blocks(path)
               if reason is not None]
    assert len(skipped) <= 3, skipped


def test_setup_is_two_commands_and_ci_runs_the_readmes_test_command():
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Set up\n", 1)[1].split("\n## ", 1)[0]
    (setup, _), = shell_blocks_of(section)
    commands = [line for line in setup.splitlines() if line.strip()]
    assert len(commands) == 2 and "pip install -e" in commands[1], commands
    test_command = re.search(r"`(python -m pytest tests/)`", text).group(1)
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()[-1]


def shell_blocks_of(text: str) -> list[tuple[str, str | None]]:
    return [(m["body"], m["reason"]) for m in BLOCK.finditer(text)]


def test_the_readme_tour_runs_verbatim_and_every_change_is_a_commit(newcomer):
    home, env = newcomer
    tour = script(README)
    assert "examples/iv-sensor.csv" in tour and "examples/module-photo.png" in tour
    run(tour, env)
    store = home / ".hps_svt_tracker"
    status = subprocess.run(["git", "status", "--porcelain"], cwd=store, capture_output=True,
                            text=True, check=True).stdout
    assert status == ""
    log = subprocess.run(["git", "log", "--format=%s"], cwd=store, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert log[0].startswith("undo: ") and log[-1].startswith("init ")
    assert (home / "svt-site" / "index.html").is_file()
    iv = list(store.glob("records/sensor/SENSOR-S001/*/*_iv_curve_*.yaml"))
    assert len(iv) == 1 and "leakage_20C" in iv[0].read_text()


def test_the_tutorial_runs_verbatim_against_a_practice_remote(newcomer):
    home, env = newcomer
    run(script(TUTORIAL), env)
    remote = home / "forge" / "svt-records.git"
    branches = subprocess.run(["git", "branch", "--format=%(refname:short)"], cwd=remote,
                              capture_output=True, text=True, check=True).stdout.split()
    assert {"main", "stand2-cables"} <= set(branches)
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", "main"], cwd=remote,
                           capture_output=True, text=True, check=True).stdout
    for expected in ("records/feb/FEB-001/component.yaml", "records/feb/FEB-002/component.yaml",
                     ".github/workflows/svt-validate.yml", ".gitlab-ci.yml",
                     ".github/workflows/svt-pages.yml"):
        assert expected in files
    assert (home / "svt-site" / "index.html").is_file()


def test_python_api_examples_run(newcomer, tmp_path):
    home, env = newcomer
    api, backup = re.findall(r"```python\n(.*?)```", PYTHON_API.read_text(encoding="utf-8"),
                             flags=re.S)
    code = api + "\n" + backup.replace("/path/to/", str(tmp_path) + "/") + "\nprint(backup_path)\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    bundle = proc.stdout.strip().splitlines()[-1]
    restored = tmp_path / "restored"
    subprocess.run(["git", "clone", "-q", bundle, str(restored)], check=True, env=env)
    record = restored / "records" / "module" / "HPK-SN789" / "component.yaml"
    assert "channel_count: 512" in record.read_text()
    tests = list((restored / "records" / "module" / "HPK-SN789").glob("*/*_noise_test_*.yaml"))
    assert len(tests) == 1 and "bad_channels" in tests[0].read_text()
