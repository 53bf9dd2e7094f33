"""Shared fixtures: every test runs against real git repositories in tmp_path, with HOME,
git's global config and identity pointed away from the real ones."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from svt_records import Database
from svt_records.cli import cli

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Tech", "GIT_AUTHOR_EMAIL": "tech@example.org",
    "GIT_COMMITTER_NAME": "Test Tech", "GIT_COMMITTER_EMAIL": "tech@example.org",
}


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    """No test may read or write the real home folder or global git config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("SVT_REPO", raising=False)
    monkeypatch.delenv("SVT_DEBUG", raising=False)
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    return home


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    """An initialised, empty store; SVT_REPO points at it."""
    path = tmp_path / "store"
    Database(path).initialize_schema()
    monkeypatch.setenv("SVT_REPO", str(path))
    return path


@pytest.fixture
def db(store_path) -> Database:
    return Database(store_path)


@pytest.fixture
def svt():
    """Run the CLI in-process: svt("add", "--id", ...) -> click Result (stdout, stderr apart)."""
    try:  # click 8.1 (the last for Python 3.9) mixes stderr into stdout unless told not to
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click 8.2 and later always keep them apart
        runner = CliRunner()

    def run(*args: str, ok: bool = True, input: str | None = None):
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=False)
        if ok and result.exit_code != 0:
            raise AssertionError(f"svt {' '.join(args)} exited {result.exit_code}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    return run


@pytest.fixture
def svt_proc():
    """Run the real `svt` program in a subprocess (end-to-end)."""
    def run(*args: str, cwd: str | os.PathLike | None = None, check: bool = True,
            env: dict | None = None):
        full_env = dict(os.environ, **(env or {}))
        proc = subprocess.run([sys.executable, "-m", "svt_records", *args], cwd=cwd,
                              capture_output=True, text=True, env=full_env)
        if check and proc.returncode != 0:
            raise AssertionError(f"svt {' '.join(args)} exited {proc.returncode}:\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc
    return run


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def gitcmd():
    return git


@pytest.fixture
def png(tmp_path) -> Path:
    """A small real PNG file (1x1 pixel)."""
    import base64
    path = tmp_path / "plot.png"
    path.write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="))
    return path
