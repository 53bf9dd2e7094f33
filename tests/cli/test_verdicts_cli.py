"""Issue 26, section 3: `svt positions`, `list` and `show` give the latest verdict of each
test type and the component's health, which is "fail" when any type's latest verdict
failed (model.verdicts), on real stores through the CLI."""
from __future__ import annotations

import csv
import io
import json

import pytest


@pytest.fixture
def modules(store_path, svt):
    """M1: its iv_curve failed, its later noise_test passed; M2: passed its one iv_curve;
    M3: never tested. M1 and M2 are installed."""
    for cid in ("M1", "M2", "M3"):
        svt("add", "--id", cid, "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--fail", "--date", "2025-03-01T10:00")
    svt("test", "M1", "--type", "noise_test", "--pass", "--date", "2025-03-05T10:00")
    svt("test", "M2", "--type", "iv_curve", "--pass", "--date", "2025-03-02T10:00")
    svt("install", "M1", "Layer0_top_axial", "--run-period", "2025_spring",
        "--date", "2025-03-10")
    svt("install", "M2", "Layer0_top_stereo", "--run-period", "2025_spring",
        "--date", "2025-03-10")
    return store_path


M1_LINE = "iv_curve \u2717 \u00b7 noise_test \u2713"


def _rows(svt, *args: str) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(svt("list", "--format", "json", *args).stdout)}


def _line(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


def test_a_failed_iv_curve_under_a_later_passed_noise_test_fails_in_positions(modules, svt):
    rows = {r["position"]: r for r in json.loads(svt("positions", "--format", "json").stdout)}
    m1 = rows["Layer0_top_axial"]
    assert m1["verdicts"] == {"iv_curve": "fail", "noise_test": "pass"}
    assert m1["health"] == "fail" and m1["tested"].startswith("2025-03-05")
    assert (rows["Layer0_top_stereo"]["health"], rows["Layer0_top_stereo"]["verdicts"]) == (
        "pass", {"iv_curve": "pass"})
    assert rows["Layer1_top_axial"]["health"] is None  # nobody there
    row = _line(svt("positions").stdout, "Layer0_top_axial")
    assert "M1" in row and " fail " in row and M1_LINE in row
    table = list(csv.DictReader(io.StringIO(svt("positions", "--format", "csv").stdout)))
    m1_csv = next(r for r in table if r["position"] == "Layer0_top_axial")
    assert (m1_csv["health"], m1_csv["verdicts.iv_curve"], m1_csv["verdicts.noise_test"]) == (
        "fail", "fail", "pass")
    m2_csv = next(r for r in table if r["position"] == "Layer0_top_stereo")
    assert m2_csv["verdicts.noise_test"] == ""  # no noise test at all


def test_positions_at_a_moment_take_each_types_latest_verdict_then(modules, svt):
    def at(day: str) -> dict:
        return next(r for r in json.loads(svt("positions", "--at", day, "--format",
                                              "json").stdout)
                    if r["position"] == "Layer0_top_axial")
    assert at("2025-03-11")["health"] == "fail"
    svt("test", "M1", "--type", "iv_curve", "--pass", "--date", "2025-04-01T10:00")
    assert (at("2025-03-11")["verdicts"], at("2025-03-11")["health"]) == (
        {"iv_curve": "fail", "noise_test": "pass"}, "fail")
    assert (at("2025-04-02")["verdicts"], at("2025-04-02")["health"]) == (
        {"iv_curve": "pass", "noise_test": "pass"}, "pass")


def test_list_shows_each_types_latest_verdict_and_health(modules, svt):
    rows = _rows(svt)
    assert (rows["M1"]["verdicts"], rows["M1"]["health"]) == (
        {"iv_curve": "fail", "noise_test": "pass"}, "fail")
    assert (rows["M2"]["verdicts"], rows["M2"]["health"]) == ({"iv_curve": "pass"}, "pass")
    assert (rows["M3"]["verdicts"], rows["M3"]["health"]) == ({}, "untested")
    text = svt("list").stdout
    assert "HEALTH" in text.splitlines()[0] and "VERDICTS" in text.splitlines()[0]
    m1 = _line(text, "M1 ")
    assert " fail " in m1 and m1.endswith(M1_LINE)
    assert _line(text, "M3 ").split()[-2:] == ["untested", "-"]
    table = {r["id"]: r for r in csv.DictReader(io.StringIO(
        svt("list", "--format", "csv").stdout))}
    assert (table["M1"]["health"], table["M1"]["verdicts.iv_curve"],
            table["M1"]["verdicts.noise_test"]) == ("fail", "fail", "pass")
    assert (table["M3"]["health"], table["M3"]["verdicts.iv_curve"]) == ("untested", "")


def test_list_filters_by_health(modules, svt):
    assert list(_rows(svt, "--health", "fail")) == ["M1"]
    assert list(_rows(svt, "--health", "pass")) == ["M2"]
    assert list(_rows(svt, "--health", "untested")) == ["M3"]
    assert svt("list", "--health", "no verdict").stdout.strip() == "No components match."
    bad = svt("list", "--health", "bad", ok=False)
    assert bad.exit_code == 2 and "'fail'" in bad.stderr and "Traceback" not in bad.stderr
    assert "svt list --health fail" in svt("list", "--help").stdout


def test_show_gives_the_health_and_each_types_latest_verdict(modules, svt):
    text = svt("show", "M1").stdout
    assert f"Health:       fail  ({M1_LINE})" in text
    assert "Health:       untested" in svt("show", "M3").stdout
    info = json.loads(svt("show", "M1", "--format", "json").stdout)
    assert (info["verdicts"], info["health"]) == ({"iv_curve": "fail", "noise_test": "pass"},
                                                  "fail")
    # a window shows fewer tests; the health is still of every test
    assert f"Health:       fail  ({M1_LINE})" in svt("show", "M1", "--since",
                                                    "2025-03-04").stdout


def test_tests_of_one_type_on_one_date_are_ordered_by_when_svt_recorded_them(store_path, svt):
    """Both orders of a pass and a fail at the same date: the one recorded later is the
    latest, whichever file name sorts first (the tie is broken as everywhere else)."""
    for cid, first, then in (("A1", "--pass", "--fail"), ("A2", "--fail", "--pass")):
        svt("add", "--id", cid, "--type", "module")
        svt("test", cid, "--type", "iv_curve", first, "--date", "2025-03-01T10:00")
        svt("test", cid, "--type", "iv_curve", then, "--date", "2025-03-01T10:00")
    svt("install", "A1", "Layer0_top_axial", "--date", "2025-03-02")
    svt("install", "A2", "Layer0_top_stereo", "--date", "2025-03-02")
    rows = _rows(svt)
    assert (rows["A1"]["health"], rows["A2"]["health"]) == ("fail", "pass")
    at = {r["component"]: r["health"] for r in json.loads(
        svt("positions", "--format", "json").stdout) if r["component"]}
    assert at == {"A1": "fail", "A2": "pass"}
    assert "Health:       fail" in svt("show", "A1").stdout
    assert "Health:       pass" in svt("show", "A2").stdout


def test_list_sees_test_files_changed_by_hand_at_once(modules, svt):
    """The verdicts kept in the index follow the files: an uncommitted edit, a test
    file added by hand, a file deleted."""
    folder = modules / "records" / "module" / "M2"
    iv = next(folder.glob("*/*_iv_curve_*.yaml"))
    iv.write_text(iv.read_text().replace("result: pass", "result: fail"))
    assert (_rows(svt)["M2"]["verdicts"], _rows(svt)["M2"]["health"]) == (
        {"iv_curve": "fail"}, "fail")
    noise = next((modules / "records" / "module" / "M1").glob("*/*_noise_test_*.yaml"))
    added = iv.parent / "20250306_100000_noise_test_abc123.yaml"
    added.write_text(noise.read_text().replace("component: M1", "component: M2")
                     .replace("2025-03-05", "2025-03-06"))
    assert _rows(svt)["M2"]["verdicts"] == {"iv_curve": "fail", "noise_test": "pass"}
    iv.unlink()
    assert (_rows(svt)["M2"]["verdicts"], _rows(svt)["M2"]["health"]) == (
        {"noise_test": "pass"}, "pass")
    added.unlink()
    assert _rows(svt)["M2"]["health"] == "untested"
    assert _rows(svt)["M1"]["health"] == "fail"  # the others kept as they were


def test_list_names_a_test_file_that_does_not_load(modules, svt):
    """A verdict may rest on a test file that does not load: list says it left it out."""
    iv = next((modules / "records" / "module" / "M2").glob("*/*_iv_curve_*.yaml"))
    iv.write_text("kind: [\n")
    result = svt("list", ok=False)
    assert result.exit_code == 1 and iv.name in result.stderr
    assert "M2" in result.stdout and "Traceback" not in result.stderr
