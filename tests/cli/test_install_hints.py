"""Install hints that work where svt runs (issue 29, item 3): a message that names an extra
gives the command for this very installation, whatever shell it is pasted into: this
interpreter's pip, and the requirement PEP 610's direct_url.json says it came from. Checked
for a checkout (this venv's editable install, read for real) and for a `git+` install (the
one function that reads the installation's metadata answers as pip records one)."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from svt_records.rules.rulefiles import INSTALL_RE as RULES_INSTALL

import svt_records
from svt_records import Database
from svt_records.files import install

CHECKOUT = Path(svt_records.__file__).resolve().parents[1]
PYTHON = shlex.quote(sys.executable)
COMMIT = "0123456789abcdef0123456789abcdef01234567"
GIT_INSTALL = ("0.1.0", {"url": "https://github.com/hps/svt-records.git",
                         "vcs_info": {"vcs": "git", "commit_id": COMMIT,
                                      "requested_revision": "main"}})


def build_store(db: Database, png) -> Database:
    db.save_component("FEB-1", {"type": "feb", "status": "spare"})
    db.save_component("HPK-1", {"type": "sensor"})
    return db


@pytest.fixture
def store(prebuilt) -> Database:
    return prebuilt(build_store)


@pytest.fixture
def from_git(monkeypatch):
    """This svt as `pip install "svt-records @ git+https://...@<commit>"` leaves it."""
    monkeypatch.setattr(install, "_read_installation", lambda: GIT_INSTALL)


def iv_file(folder: Path) -> Path:
    path = folder / "iv.csv"
    path.write_text("voltage,current\n" + "".join(f"{-v},{-v * 1e-9}\n" for v in range(0, 60, 5)))
    return path


# ---- the checkout this venv installed editable ------------------------------------------------

def test_an_editable_checkout_is_named_by_its_path():
    assert (CHECKOUT / "pyproject.toml").is_file()  # these tests run from a checkout
    assert install.install_spec("site") == f"-e {CHECKOUT}[site]"
    assert install.install_spec(None) == f"-e {CHECKOUT}"
    assert install.install_source("site") == install.Source(f"{CHECKOUT}[site]", True, True)
    assert install.pip_command("site") == \
        f"{PYTHON} -m pip install -e {shlex.quote(f'{CHECKOUT}[site]')}"


def test_svt_site_without_jinja2_gives_the_checkouts_command(store, svt, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "jinja2", None)  # as if not installed: import fails
    result = svt("site", str(tmp_path / "out"), ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (f"Error: svt site needs jinja2: {PYTHON} -m pip install -e"
                                     f" '{CHECKOUT}[site]'")
    assert not (tmp_path / "out").exists()
    argv = shlex.split(result.stderr.split(": ", 2)[2])  # as a shell reads it when pasted
    assert argv == [sys.executable, "-m", "pip", "install", "-e", f"{CHECKOUT}[site]"]
    assert subprocess.run([argv[0], "-m", "pip", "--version"], capture_output=True).returncode == 0


def test_a_path_with_spaces_and_quotes_is_quoted_for_a_shell(monkeypatch, tmp_path):
    folder = tmp_path / "my svt's copy"
    monkeypatch.setattr(install, "_read_installation", lambda: (
        "0.1.0", {"url": folder.as_uri(), "dir_info": {"editable": True}}))
    command = install.pip_command("labels")
    assert shlex.split(command)[-2:] == ["-e", f"{folder}[labels]"], command


# ---- an install from git -------------------------------------------------------------------------

GIT_SPEC = f"svt-records[labels] @ git+https://github.com/hps/svt-records.git@{COMMIT}"


def test_a_git_install_is_named_by_its_url_and_commit(from_git):
    assert install.install_spec("labels") == GIT_SPEC
    assert install.install_source(None) == install.Source(
        f"git+https://github.com/hps/svt-records.git@{COMMIT}", False, False)
    assert install.pip_command("labels") == f"{PYTHON} -m pip install '{GIT_SPEC}'"


def test_svt_label_without_segno_gives_the_git_command(store, svt, tmp_path, monkeypatch,
                                                       from_git):
    monkeypatch.setitem(sys.modules, "segno", None)
    result = svt("label", "FEB-1", "--out", str(tmp_path / "out"), ok=False)
    assert result.exit_code == 1
    assert f"labels need segno for their QR codes: {PYTHON} -m pip install '{GIT_SPEC}'" \
        in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_an_analysis_error_is_completed_with_the_command(store, svt, tmp_path, monkeypatch,
                                                         from_git):
    """analysis/ may not look at the installation: it raises MissingExtra, and the CLI
    completes it, on `svt test` and on `svt reanalyze` alike."""
    monkeypatch.setitem(sys.modules, "numpy", None)
    data = iv_file(tmp_path)
    said = svt("test", "HPK-1", "--type", "iv_curve", "--pass", "--data", str(data))
    spec = f"svt-records[analysis] @ git+https://github.com/hps/svt-records.git@{COMMIT}"
    assert f"numpy ({PYTHON} -m pip install '{spec}')" in said.stderr, said.stderr
    result = svt("reanalyze", "--type", "iv_curve", ok=False)
    assert result.exit_code == 1
    assert f"the analysis needs numpy: {PYTHON} -m pip install '{spec}'" in result.stderr, \
        result.stderr


@pytest.mark.parametrize("direct, spec, local", [
    ({"url": "https://example.org/svt-records-0.1.0.tar.gz", "archive_info": {}},
     "svt-records[site] @ https://example.org/svt-records-0.1.0.tar.gz", False),
    ({"url": "file:///srv/svt", "dir_info": {}}, "svt-records[site] @ file:///srv/svt", True),
    ({"url": "https://github.com/hps/mono.git", "subdirectory": "svt",
      "vcs_info": {"vcs": "git", "commit_id": COMMIT}},
     f"svt-records[site] @ git+https://github.com/hps/mono.git@{COMMIT}#subdirectory=svt", False),
    (None, "svt-records[site]==0.1.0", False),  # from an index: no direct_url.json
])
def test_other_sources(monkeypatch, direct, spec, local):
    monkeypatch.setattr(install, "_read_installation", lambda: ("0.1.0", direct))
    assert install.install_spec("site") == spec
    assert install.install_source("site") == install.Source(spec, False, local)
    plain = install.install_source(None)  # what svt_install holds: one word
    assert plain is not None and not re.search(r"\s", plain.requirement)
    assert RULES_INSTALL.fullmatch(plain.requirement)


def test_unknown_installation(monkeypatch):
    monkeypatch.setattr(install, "_read_installation", lambda: None)
    assert install.install_spec("site") is None
    assert install.pip_command("site") == f"{PYTHON} -m pip install 'svt-records[site]'"


def test_no_message_hard_codes_a_pip_install():
    """Each hint comes from files/install.py; the CI files (collab/forge) name their own."""
    package = CHECKOUT / "svt_records"
    found = [f"{path.relative_to(package)}:{n}" for path in package.rglob("*.py")
             if path.name != "install.py" and path.parent.name != "collab"
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if re.search(r"pip install ['\"]?svt-records", line)]
    assert found == []


def test_the_cli_does_not_read_metadata_until_a_message_needs_it(tmp_path):
    """importlib.metadata is slow to import: `svt --help` and a plain error never load it."""
    code = ("import sys\nfrom svt_records.cli import main\n"
            "rc = main(['--repo', sys.argv[1], 'show', 'NOPE'])\n"
            "print('importlib.metadata' in sys.modules, rc)")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "none")],
                          capture_output=True, text=True)
    assert proc.stdout.split() == ["False", "1"], proc.stdout + proc.stderr
