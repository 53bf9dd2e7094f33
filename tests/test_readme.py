"""The README cannot drift from the code: its shell walkthrough and Python examples run here,
as a new user would run them, against a fresh default store in a temporary HOME."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def setup_commands() -> list[str]:
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)


def walkthrough_script() -> str:
    """Every ```bash block after the set-up section, in order (```sh blocks show commands
    that need the reader's own files or remotes, and are not run)."""
    guide = README.split("## Quick start", 1)[1]
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", guide, flags=re.S):
        if "/path/to/" in block or "pytest" in block:
            continue  # placeholders for the reader's own paths; the test command
        lines.append(block)
    return "\n".join(lines)


@pytest.fixture
def user_env(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, HOME=str(home), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    env.pop("SVT_REPO", None)
    return home, work, env


def test_readme_gives_exactly_two_setup_commands_and_ci_runs_the_test_one():
    commands = setup_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "svt init" in commands[0] and "svt list" in commands[0]
    test_command = commands[1].split("&&")[-1].strip()
    assert test_command == "python -m pytest tests/"
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_first_setup_command_works_on_the_default_store(user_env):
    home, work, env = user_env
    main_job = setup_commands()[0].split("pip install -e . && ", 1)[1]
    proc = subprocess.run(["bash", "-ec", main_job], cwd=work, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert "FEB-001" in proc.stdout
    assert (home / ".hps_svt_tracker" / "records" / "feb" / "FEB-001" / "component.yaml").is_file()


def test_walkthrough_runs_without_error_and_every_change_is_a_commit(user_env, png):
    home, work, env = user_env
    script = walkthrough_script()
    for name in set(re.findall(r"--images (\S+)", script)):
        (work / name).write_bytes(png.read_bytes())
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    store = home / ".hps_svt_tracker"
    log = subprocess.run(["git", "log", "--format=%s"], cwd=store, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    mutating = [line.split()[1] for line in script.splitlines()
                if line.startswith("svt ") and line.split()[1] not in ("list", "show", "summary",
                                                                "positions")]
    assert mutating[0] == "init"
    assert len(log) == len(mutating)  # one commit per change, the store's creation included
    assert log[0].startswith("disassemble MODULE-L1-001:")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=store, capture_output=True,
                            text=True, check=True).stdout
    assert status == ""
    show = subprocess.run(["svt", "show", "MODULE-L1-001"], cwd=work, env=env,
                          capture_output=True, text=True, check=True).stdout
    for expected in ("iv_curve", "noise_test", "Layer1_top_axial", "Monitoring noise levels",
                     "Performance stable after 2 weeks", "disassembly", "FEB-042"):
        assert expected in show


def test_python_api_examples_run(user_env, tmp_path):
    home, work, env = user_env
    api, backup = [b for b in blocks("python")]
    code = api + "\n" + backup.replace("/path/to/", str(tmp_path) + "/") + "\nprint(backup_path)\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    bundle = proc.stdout.strip().splitlines()[-1]
    restored = tmp_path / "restored"
    subprocess.run(["git", "clone", "-q", bundle, str(restored)], check=True, env=env)
    record = restored / "records" / "module" / "HPK-SN789" / "component.yaml"
    assert "channel_count: 512" in record.read_text()
    tests = list((restored / "records" / "module" / "HPK-SN789").glob("*/*_noise_test_*.yaml"))
    assert len(tests) == 1 and "bad_channels" in tests[0].read_text()
