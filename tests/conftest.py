"""Shared fixtures: every test runs against real git repositories in tmp_path, with HOME,
git's global config and identity pointed away from the real ones."""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from svt_records import Database
from svt_records.cli import cli

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Tech", "GIT_AUTHOR_EMAIL": "tech@example.org",
    "GIT_COMMITTER_NAME": "Test Tech", "GIT_COMMITTER_EMAIL": "tech@example.org",
}


# A sensor's IV curve as the site's tests record it: current rising as the depletion region
# grows, in the CSV form `svt test --data` takes (volts, amperes)
IV_CSV = "voltage_V,current_A\n0,0\n20,1.1e-06\n40,1.6e-06\n60,2.0e-06\n80,2.2e-06\n"
PNG = base64.b64decode(  # a small real PNG file (1x1 pixel)
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("SVT_REPO", raising=False)
    monkeypatch.delenv("SVT_DEBUG", raising=False)
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    """No test may read or write the real home folder or global git config."""
    home = tmp_path_factory.mktemp("home")
    isolate(monkeypatch, home)
    return home


Build = Callable[[Database, Path], object]


class StoreTemplates:
    """Stores built once per session and copied for each test that asks (a git repository
    copies fine, and a copy is much cheaper than the commits that built it). Each build
    function makes one template, from an empty store and a PNG file path."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.built: dict[Build | None, Path] = {}

    def copy(self, build: Build | None, dest: Path) -> None:
        if build not in self.built:
            folder = self.factory.mktemp("template")
            store = folder / "store"
            with pytest.MonkeyPatch.context() as mp:  # built as isolated as any test
                isolate(mp, self.factory.mktemp("home"))
                db = Database(store)
                db.initialize_schema()
                if build is not None:
                    (folder / "plot.png").write_bytes(PNG)
                    build(db, folder / "plot.png")
                # fewer files to copy: objects in one pack (as in a clone), no sample hooks
                git(store, "repack", "-a", "-d", "-q")
                git(store, "prune-packed")
            for sample in (store / ".git" / "hooks").glob("*.sample"):
                sample.unlink()
            self.built[build] = store
        # files get new times, as if just written (tests edit them within the same second,
        # as they did after building the store themselves); git's stat cache then learns
        # the copies' inodes
        shutil.copytree(self.built[build], dest, symlinks=True, copy_function=shutil.copy)
        git(dest, "update-index", "-q", "--refresh")


@pytest.fixture(scope="session")
def store_templates(tmp_path_factory) -> StoreTemplates:
    return StoreTemplates(tmp_path_factory)


@pytest.fixture
def store_dest(tmp_path, monkeypatch) -> Path:
    """Where this test's store is (nothing there yet); SVT_REPO points at it."""
    path = tmp_path / "store"
    monkeypatch.setenv("SVT_REPO", str(path))
    return path


@pytest.fixture
def store_path(store_dest, store_templates) -> Path:
    """An initialised, empty store (a copy of one made once per session); SVT_REPO points
    at it."""
    store_templates.copy(None, store_dest)
    return store_dest


@pytest.fixture
def db(store_path) -> Database:
    return Database(store_path)


@pytest.fixture
def prebuilt(store_dest, store_templates) -> Callable[[Build], Database]:
    """prebuilt(build) -> Database: this test's store is a copy of the store
    ``build(db, png_path)`` makes from an empty one, built once per session. (A test asks
    for this or for store_path/db, not both: both would copy to the same place.)"""
    def make(build: Build) -> Database:
        store_templates.copy(build, store_dest)
        return Database(store_dest)
    return make


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


def run_machine(machine: type, examples: int, steps: int) -> None:
    """Run a hypothesis state machine over real git stores: no deadline (git takes its
    time), no example database, no health check."""
    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test
    run_state_machine_as_test(machine, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))


class StoresMachineBase:
    """What the git state machines share: each run works on its own copy of ``template``
    (a folder holding ``store`` and its ``clone``, see :func:`publish_with_clone`), removed
    at teardown. Mixed in before hypothesis' RuleBasedStateMachine."""

    template: Path  # set by the test
    prefix = "svt-machine-"

    def __init__(self) -> None:
        super().__init__()
        self.base = Path(tempfile.mkdtemp(prefix=self.prefix))
        shutil.copytree(self.template, self.base / "w", symlinks=True)
        self.root = self.base / "w" / "store"
        self.clone = self.base / "w" / "clone"

    def teardown(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def publish_with_clone(root: Path, store: Path) -> Path:
    """Push ``store`` to a bare remote ``root``/bare.git (its origin, fetched) and clone that
    into ``root``/clone, both naming the remote by a relative path (so ``root`` can be
    copied); returns the clone."""
    git(root, "clone", "-q", "--bare", str(store), "bare.git")
    git(store, "remote", "add", "origin", "../bare.git")
    git(store, "fetch", "-q", "origin")
    git(root, "clone", "-q", "bare.git", "clone")
    git(root / "clone", "remote", "set-url", "origin", "../bare.git")
    return root / "clone"


@pytest.fixture
def gitcmd():
    return git


@pytest.fixture
def without_git_lfs(tmp_path_factory, monkeypatch) -> None:
    """PATH holds git but not git-lfs, as on a machine where git-lfs is not installed."""
    folder = tmp_path_factory.mktemp("bin-without-lfs")
    (folder / "git").symlink_to(shutil.which("git"))
    monkeypatch.setenv("PATH", str(folder))


@pytest.fixture
def png(tmp_path) -> Path:
    """A small real PNG file (1x1 pixel)."""
    path = tmp_path / "plot.png"
    path.write_bytes(PNG)
    return path


def install_svt_hooks(store: Path, tmp_path: Path, *, commit: bool = True,
                      log: Path | None = None) -> dict:
    """svt's hooks from .pre-commit-hooks.yaml, installed into ``store`` as local/system hooks
    with the real pre-commit (no network). Returns the environment that puts this svt on
    PATH, behind a shim that appends each call's arguments to ``log`` when given."""
    import yaml  # the test extras have PyYAML (pre-commit needs it)
    hooks = yaml.safe_load((Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text())
    local = [dict({k: v for k, v in h.items() if k != "description"}, language="system")
             for h in hooks]
    (store / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}))
    if commit:
        git(store, "add", ".pre-commit-config.yaml")
        git(store, "commit", "-q", "-m", "pre-commit hooks")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "svt"
    note = f'echo "$*" >> {log}\n' if log else ""
    shim.write_text(f'#!/bin/sh\n{note}exec {sys.executable} -m svt_records "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}"
                                f"{os.pathsep}{os.environ['PATH']}",
               PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "install"], cwd=store,
                   env=env, check=True, capture_output=True)
    return env


@pytest.fixture
def svt_hooks():
    """install_svt_hooks, for tests that run svt's own pre-commit hooks."""
    return install_svt_hooks


# ---- issue 24: the site's security tests (tests/security/test_site_*.py) --------------------

@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """Headless chromium driven by selenium, as tests/site/test_site_browser.py drives it;
    downloads go to a temporary folder. Skipped without chromium and chromedriver, except in
    CI (CI set), where that fails."""
    chrome = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                               "/usr/bin/chromium") if p and os.path.exists(p)), None)
    driver_path = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver")
                        if p and os.path.exists(p)), None)
    if chrome is None or driver_path is None:
        if os.environ.get("CI"):
            pytest.fail("browser tests must run in CI: chromium or chromedriver missing")
        pytest.skip("chromium and chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(tmp_path_factory.mktemp("downloads")),
        "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def serve_site():
    """serve_site(folder) -> its http://127.0.0.1:PORT/ address, served as `svt site
    --serve` serves it (types by file name, as Pages do) until the test ends."""
    import threading
    from svt_records.site.serve import preview_server
    servers = []

    def start(folder: Path) -> str:
        server = preview_server(folder, 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
