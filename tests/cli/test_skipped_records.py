"""Issue 25, items 5 and 6: a query that leaves a record out, or cannot answer from one,
says so on stderr (how many, and each file with its problem) and exits 1, its output
standing as printed; `svt positions` shows both components of a clash.

The store: nine components, tests on two of them; one record file is then broken by hand
as a pull request could carry it."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

IDS = [f"M{i}" for i in range(1, 8)] + ["S1", "S2"]


@pytest.fixture
def store(db, svt):
    for cid in IDS:
        svt("add", "--id", cid, "--type", "sensor" if cid.startswith("S") else "module")
    svt("test", "S1", "--type", "iv_curve", "--voltage", "60", "--pass")
    svt("test", "S1", "--type", "iv_curve", "--voltage", "70", "--fail")
    svt("test", "M1", "--type", "iv_curve", "--voltage", "60", "--pass")
    return db


def test_ids(svt, cid: str) -> list[str]:
    return [t["id"] for t in json.loads(svt("show", cid, "--format", "json").stdout)["tests"]]


test_ids.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def break_component(db, cid: str = "M3") -> str:
    path = db.root / f"records/module/{cid}/component.yaml"
    path.write_text(path.read_text() + "status: spare\n")  # a duplicate key
    return path.relative_to(db.root).as_posix()


def test_files(db, cid: str = "S1") -> list[Path]:
    return sorted((db.root / "records/sensor" / cid).glob("*/*iv_curve*.yaml"))


test_files.__test__ = False  # type: ignore[attr-defined]


def break_test_yaml(path: Path) -> None:
    """A duplicate key: the index's lenient read fails too (it reads the top-level lines)."""
    path.write_text(path.read_text() + "result: pass\n")


def break_test_deep(path: Path) -> None:
    """A duplicate key inside a mapping: the top-level lines still read, the strict read
    does not."""
    text = path.read_text()
    new = text.replace("    unit: V\n", "    unit: V\n    unit: V\n", 1)
    assert new != text
    path.write_text(new)


def names_skipped(result, *files: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert f"skipped {len(files)} unreadable record file(s)" in result.stderr, result.stderr
    for file in files:
        assert file in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "Internal error" not in result.stderr


# ---- one component file unreadable --------------------------------------------------------

def test_summary_says_it_counted_8_of_9_components(store, svt):
    rel = break_component(store)
    result = svt("summary", ok=False)
    names_skipped(result, rel)
    assert "Components: 8" in result.stdout  # the output stands
    as_json = svt("summary", "--format", "json", ok=False)
    names_skipped(as_json, rel)
    assert json.loads(as_json.stdout)["total"] == 8


@pytest.mark.parametrize("fmt", ["json", "csv", "yaml"])
def test_export_names_the_component_it_left_out(store, svt, fmt):
    rel = break_component(store)
    result = svt("export", "--format", fmt, ok=False)
    names_skipped(result, rel)
    if fmt == "json":
        assert len(json.loads(result.stdout)) == 8
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 8
    else:
        assert result.stdout.count("\n- id: ") + result.stdout.startswith("- id: ") <= 8
        assert "M3" not in result.stdout and "M4" in result.stdout


def test_export_to_a_file_writes_it_and_still_exits_1(store, svt, tmp_path):
    rel = break_component(store)
    out = tmp_path / "out.json"
    result = svt("export", "-o", str(out), ok=False)
    names_skipped(result, rel)
    assert len(json.loads(out.read_text())) == 8
    assert "Exported 8 component(s)" in result.stdout


def test_export_of_another_type_is_whole(store, svt):
    break_component(store)  # a module
    assert len(json.loads(svt("export", "--type", "sensor").stdout)) == 2


def test_list_follows_the_same_rule(store, svt):
    rel = break_component(store)
    result = svt("list", ok=False)
    names_skipped(result, rel)
    assert "8 component(s)" in result.stdout
    assert svt("list", "--type", "sensor").exit_code == 0  # nothing of that type left out


# ---- one test file broken --------------------------------------------------------------

@pytest.mark.parametrize("breaking", [break_test_yaml, break_test_deep])
def test_results_names_the_test_it_left_out(store, svt, breaking):
    first = test_files(store)[0]
    breaking(first)
    rel = first.relative_to(store.root).as_posix()
    result = svt("results", "--type", "iv_curve", "--all", ok=False)
    names_skipped(result, rel)
    assert "2 result(s) of 2 component(s)" in result.stdout
    as_csv = svt("results", "--type", "iv_curve", "--all", "--format", "csv", ok=False)
    names_skipped(as_csv, rel)
    assert len(list(csv.DictReader(io.StringIO(as_csv.stdout)))) == 2
    # another test type's grid leaves nothing out
    assert svt("results", "--type", "noise_test").exit_code == 0


def test_summary_says_it_left_out_a_test_file_that_does_not_load(store, svt):
    first = test_files(store)[0]
    break_test_yaml(first)
    result = svt("summary", ok=False)
    names_skipped(result, first.relative_to(store.root).as_posix())
    assert re.search(r"iv_curve\s+2 recorded", result.stdout), result.stdout


def test_export_leaves_out_the_broken_test_and_says_so(store, svt):
    first = test_files(store)[0]
    break_test_deep(first)
    result = svt("export", ok=False)
    names_skipped(result, first.relative_to(store.root).as_posix())
    data = {c["id"]: c for c in json.loads(result.stdout)}
    assert len(data) == 9 and len(data["S1"]["events"]) == 1  # the other test
    assert len(data["M1"]["events"]) == 1


@pytest.mark.parametrize("breaking", [break_test_yaml, break_test_deep])
def test_show_test_of_a_broken_test_names_its_file_and_problem(store, svt, breaking):
    ids = test_ids(svt, "S1")
    first = test_files(store)[0]
    wanted = next(i for i in ids if first.name.endswith(f"_{i}.yaml"))
    breaking(first)
    rel = first.relative_to(store.root).as_posix()
    for asked in (wanted, f"S1:{wanted}"):
        result = svt("show-test", asked, ok=False)
        assert result.exit_code == 1, result.stdout
        assert rel in result.stderr and "duplicate key" in result.stderr, result.stderr
        assert "no test" not in result.stderr


@pytest.mark.parametrize("breaking", [break_test_yaml, break_test_deep])
def test_show_test_of_a_valid_test_beside_a_broken_one(store, svt, breaking):
    ids = test_ids(svt, "S1")
    first, second = test_files(store)
    other = next(i for i in ids if second.name.endswith(f"_{i}.yaml"))
    breaking(first)
    verdict = "PASS" if "result: pass" in second.read_text() else "FAIL"
    for asked in (other, f"S1:{other}"):
        shown = svt("show-test", asked)
        assert f"S1:{other}" in shown.stdout and verdict in shown.stdout


# ---- positions -----------------------------------------------------------------------

def test_positions_says_it_left_out_an_unreadable_component(store, svt):
    svt("install", "M3", "Layer1_top_axial")
    svt("install", "M4", "Layer1_top_stereo")
    rel = break_component(store, "M3")
    result = svt("positions", ok=False)
    names_skipped(result, rel)
    assert "1 of" in result.stdout and "M4" in result.stdout


def test_positions_clean_store_exits_0_with_nothing_on_stderr(store, svt):
    svt("install", "M3", "Layer1_top_axial")
    result = svt("positions")
    assert result.stderr == "" and "1 of" in result.stdout


def clash(store, svt, gitcmd) -> None:
    """Two modules installed at one position on two branches made with plain git, merged
    with plain git (the records do not conflict: each is its own file)."""
    root = store.root
    main = gitcmd(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    gitcmd(root, "checkout", "-q", "-b", "other")
    svt("install", "M2", "Layer1_top_axial", "--run-period", "run1")
    gitcmd(root, "checkout", "-q", main)
    svt("install", "M1", "Layer1_top_axial", "--run-period", "run1")
    gitcmd(root, "merge", "-q", "--no-edit", "other")
    assert svt("validate", ok=False).exit_code == 1  # the clash validate refuses


@pytest.mark.parametrize("when", [(), ("--run-period", "run1"), ("--at", "2999-01-01")])
def test_positions_shows_both_components_of_a_clash(store, svt, gitcmd, when):
    clash(store, svt, gitcmd)
    result = svt("positions", *when)
    assert result.exit_code == 0  # nothing left out: as list's warnings, a warning alone
    assert re.search(r"2 components claim position Layer1_top_axial \(M1, M2\)",
                     result.stderr), result.stderr
    lines = [l for l in result.stdout.splitlines() if l.startswith("Layer1_top_axial ")]
    assert sorted(l.split()[1] for l in lines) == ["M1", "M2"], result.stdout
    assert "1 of" in result.stdout and "clash" in result.stdout.splitlines()[-1]
    rows = json.loads(svt("positions", *when, "--format", "json").stdout)
    assert sorted(r["component"] for r in rows if r["position"] == "Layer1_top_axial") == \
        ["M1", "M2"]
    as_csv = list(csv.DictReader(io.StringIO(svt("positions", *when, "--format", "csv").stdout)))
    assert sorted(r["component"] for r in as_csv if r["position"] == "Layer1_top_axial") == \
        ["M1", "M2"]
