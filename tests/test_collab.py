"""Collaboration through git: a bare remote and two clones (two test stands) changing the same
component at the same time, then pulling with merge and with rebase."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from svt_records import Database, yamlio

DATE = "2025-03-01T10:00:00+00:00"


def git(path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(f"git {' '.join(args)}: {proc.stdout}{proc.stderr}")
    return proc


@pytest.fixture
def clones(tmp_path, svt):
    """(a, b): two clones of a bare remote holding module M1 and FEB F1."""
    origin = tmp_path / "origin"
    svt("--repo", str(origin), "init", "--no-ci")
    svt("--repo", str(origin), "add", "--id", "M1", "--type", "module", "--status", "spare",
        "--location", "SLAC")
    svt("--repo", str(origin), "add", "--id", "F1", "--type", "feb", "--status", "spare")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(bare))
    a, b = tmp_path / "a", tmp_path / "b"
    for clone in (a, b):
        git(tmp_path, "clone", "-q", str(bare), str(clone))
    return a, b


def pull(clone: Path, how: str) -> subprocess.CompletedProcess:
    return git(clone, "pull", "-q", "--rebase" if how == "rebase" else "--no-rebase",
               "--no-edit", check=False)


def validate(svt, clone: Path) -> None:
    result = svt("--repo", str(clone), "validate", ok=False)
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_two_stands_testing_one_component_at_the_same_date_both_keep_their_results(
        clones, svt, png, how):
    a, b = clones
    for clone, result in ((a, "--pass"), (b, "--fail")):
        svt("--repo", str(clone), "test", "M1", "--type", "iv_curve", result, "--voltage", "60",
            "--image", str(png), "--date", DATE)
    git(a, "push", "-q")
    pulled = pull(b, how)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    git(b, "push", "-q")
    assert pull(a, how).returncode == 0
    for clone in (a, b):
        results = sorted(t["result"] for t in Database(clone).tests("M1"))
        assert results == ["fail", "pass"]
        assert len(list(clone.glob("records/module/M1/2025/*_iv_curve_*_0.png"))) == 2
        validate(svt, clone)


def test_event_names_are_readable_sorted_by_date_and_tagged(store_path, svt, png):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--image", str(png), "--date", DATE)
    svt("test", "M1", "--type", "iv_curve", "--pass", "--image", str(png), "--date", DATE)
    names = sorted(p.name for p in (store_path / "records/module/M1/2025").iterdir())
    yamls = [n for n in names if n.endswith(".yaml")]
    assert len(yamls) == 2 and yamls[0] != yamls[1]
    for name in yamls:
        stem = name[:-len(".yaml")]
        assert stem.startswith("20250301_100000_iv_curve_") and len(stem) == len(
            "20250301_100000_iv_curve_") + 6
        assert f"{stem}_0.png" in names  # stored files share the event's stem
    validate(svt, store_path)


def test_validate_accepts_the_names_of_older_stores(store_path, svt):
    svt("add", "--id", "M1", "--type", "module")
    year = store_path / "records/module/M1/2025"
    year.mkdir(parents=True)
    body = f'kind: test\ndate: "{DATE}"\ncomponent: M1\ntest_type: iv_curve\nresult: pass\n'
    for name in ("20250301_100000_iv_curve.yaml", "20250301_100000_iv_curve-2.yaml",
                 "20250301_100000_iv_curve_0a1b2c.yaml"):
        (year / name).write_text(body)
    # a test type that itself ends like a tag names its file without one
    (year / "20250301_100000_scan_abcdef.yaml").write_text(
        body.replace("test_type: iv_curve", "test_type: scan_abcdef"))
    validate(svt, store_path)
    (year / "20250301_100000_scan_abcdef.yaml").write_text(body)
    result = svt("validate", ok=False)
    assert result.exit_code == 1 and "file name says 'scan'" in result.stdout
