"""Issue 26, section 4 (the CLI): measurements are shown to people with SI prefixes and three
significant digits (6.44 µA, not 6.436e-06 A); the records, JSON and CSV keep the stored
numbers, and limits judge the stored number, never the display."""
from __future__ import annotations

import json


def _only_test_id(root, cid: str, test_type: str) -> str:
    (path,) = (root / "records" / "module" / cid).glob(f"*/*_{test_type}_*.yaml")
    from svt_records.store.layout import event_id
    return event_id(path.relative_to(root).as_posix())


def test_show_test_and_show_display_measurements_with_si_prefixes(store_path, svt):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--current", "6.436e-06",
        "--voltage", "100", "--temp", "-9.04", "--measure", "leak_1=15000nA",
        "--measure", "bad_channels=47,128", "--date", "2025-03-01T10:00")
    test_id = _only_test_id(store_path, "M1", "iv_curve")
    text = svt("show-test", test_id).stdout
    for line in ("  current: 6.44 \u00b5A", "  voltage: 100 V", "  temperature: -9.04 C",
                 "  leak_1: 15.0 \u00b5A", "  bad_channels: [47, 128]"):
        assert line in text.splitlines(), (line, text)
    assert "e-06" not in text and "15000" not in text
    shown = svt("show", "M1").stdout
    assert "current=6.44 \u00b5A" in shown and "voltage=100 V" in shown
    assert "leak_1=15.0 \u00b5A" in shown and "6.436e-06" not in shown
    # the stored numbers are unchanged: the record, and the JSON of show-test and show
    record = next((store_path / "records" / "module" / "M1").glob("*/*_iv_curve_*.yaml"))
    assert "value: 6.436e-06" in record.read_text()
    as_json = json.loads(svt("show-test", test_id, "--format", "json").stdout)
    assert as_json["measurements"]["current"] == {"value": 6.436e-06, "unit": "A"}
    assert as_json["measurements"]["leak_1"] == {"value": 15000, "unit": "nA"}
    info = json.loads(svt("show", "M1", "--format", "json").stdout)
    assert info["tests"][0]["measurements"]["current"]["value"] == 6.436e-06
    # svt results: the table for people, the CSV with the stored numbers
    grid = svt("results", "--type", "iv_curve").stdout.splitlines()
    assert "current [A]" in grid[0] and "temperature [C]" in grid[0]
    assert "  100 V  " in grid[2] and "  6.44 \u00b5A  " in grid[2] and "  -9.04 C  " in grid[2]
    assert "  15.0 \u00b5A  " in grid[2] and "6.436e-06" not in grid[2], grid
    assert "6.436e-06" in svt("results", "--type", "iv_curve", "--format", "csv").stdout


def test_limits_judge_the_stored_value_not_the_display(store_path, svt, gitcmd):
    """Two leakages that both show as 6.44 µA, on either side of a limit of 6.4395 µA: one
    fails and one passes, as their stored values say."""
    config = store_path / "svt.yaml"
    config.write_text(config.read_text() + (
        "  leak_check:\n"
        "    description: Leakage at one voltage\n"
        "    measurements:\n"
        "      leakage:\n"
        "        unit: A\n"
        "        max: 6.4395e-06\n"))
    gitcmd(store_path, "commit", "-qam", "a leak_check test type")
    for cid, value in (("M1", "6.4399e-06A"), ("M2", "6.4391e-06A")):
        svt("add", "--id", cid, "--type", "module")
        svt("test", cid, "--type", "leak_check", "--measure", f"leakage={value}")
    for cid, verdict in (("M1", "FAIL"), ("M2", "PASS")):
        text = svt("show-test", f"{cid}:{_only_test_id(store_path, cid, 'leak_check')}").stdout
        assert "  leakage: 6.44 \u00b5A" in text.splitlines()
        assert f"Result:       {verdict}" in text
    health = {r["id"]: r["health"] for r in json.loads(svt("list", "--format",
                                                           "json").stdout)}
    assert health == {"M1": "fail", "M2": "pass"}


def test_svt_test_prints_the_analysed_values_with_si_prefixes(store_path, svt, tmp_path):
    """The derived values `svt test --data` prints: a sensor curve of 1 nA per 10 V."""
    volts = list(range(0, 301, 10))
    data = tmp_path / "iv.csv"
    data.write_text("Voltage [V],Current [A]\n"
                    + "".join(f"{-v},{-1e-10 * v}\n" for v in volts))
    svt("add", "--id", "S1", "--type", "sensor")
    out = svt("test", "S1", "--type", "iv_curve", "--data", str(data)).stdout
    analysis = next(line for line in out.splitlines() if line.startswith("Analysis iv"))
    assert "leakage_at_operating_voltage 18.0 nA" in analysis, analysis
    assert "e-08" not in analysis
