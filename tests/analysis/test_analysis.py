"""Test definitions, verdicts from limits, and the IV and noise analyses (issue 15): the
analyses on curves whose answers are known, then `svt test --data`, `svt test-types`,
`svt reanalyze` and `svt results` on real stores."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from svt_records.files import yamlio
from svt_records.analysis.iv_noise import iv_analysis, noise_analysis, temperature_factor
from svt_records.analysis.ivfile import IVData, NoiseData, read_iv
from test_placeholders import set_figures


def curve(volts, amps, temperature=None):
    return IVData(voltage=list(map(float, volts)), current=list(map(float, amps)),
                  temperature=temperature)


def write_curve(path, volts, amps, header="Voltage [V],Current [A]"):
    path.write_text(header + "\n" + "".join(f"{v},{i}\n" for v, i in zip(volts, amps)))
    return path


# ---- the IV analysis on known curves ------------------------------------------------------

def test_leakage_at_operating_voltage_is_interpolated():
    volts = range(0, 301, 20)
    result = iv_analysis(curve(volts, [1e-9 * v for v in volts]), operating_voltage=190)
    m = result.measurements
    assert m["leakage_at_operating_voltage"] == {"value": pytest.approx(1.9e-7), "unit": "A"}
    assert m["max_voltage"] == {"value": 300.0, "unit": "V"}
    assert m["current_at_max_voltage"] == {"value": pytest.approx(3e-7), "unit": "A"}
    assert "breakdown_voltage" not in m  # a straight line never breaks down
    assert "leakage_20C" not in m  # no temperature known


def test_breakdown_where_the_current_rises_by_the_factor_within_the_step():
    # flat to 240 V, then tenfold every 5 V: the first point past 240 V rises > 2x in 10 V
    volts = list(range(0, 301, 5))
    amps = [1e-8 if v <= 240 else 1e-8 * 10 ** ((v - 240) / 5) for v in volts]
    result = iv_analysis(curve(volts, amps), operating_voltage=180, breakdown_factor=2,
                         breakdown_step=10)
    assert result.measurements["breakdown_voltage"] == {"value": 245.0, "unit": "V"}
    assert result.breakdown == 245.0
    # a larger factor needs a larger rise: 10 ** (10/5) = 100 within 10 V at 250 V
    later = iv_analysis(curve(volts, amps), operating_voltage=180, breakdown_factor=50,
                        breakdown_step=10)
    assert later.breakdown == 250.0


def test_breakdown_at_compliance():
    volts = range(0, 201, 10)
    result = iv_analysis(curve(volts, [1e-7 * v for v in volts]), operating_voltage=50,
                         compliance=1e-5)
    assert result.breakdown == 100.0


def test_negative_bias_gives_the_same_answers():
    volts = list(range(0, 301, 5))
    amps = [1e-8 if v <= 240 else 1e-8 * 10 ** ((v - 240) / 5) for v in volts]
    positive = iv_analysis(curve(volts, amps), operating_voltage=180)
    negative = iv_analysis(curve([-v for v in volts], [-i for i in amps]), operating_voltage=-180)
    assert negative.measurements == positive.measurements


def test_temperature_scaling_to_20C_with_the_silicon_formula():
    # I(T) ∝ T² exp(-Eg/2kT): from 27 °C to 20 °C the leakage falls to about half
    expected = (293.15 / 300.15) ** 2 * math.exp(
        -1.21 / (2 * 8.617333262e-5) * (1 / 293.15 - 1 / 300.15))
    assert 0.45 < expected < 0.6
    assert temperature_factor(27.0) == pytest.approx(expected, rel=1e-9)
    assert temperature_factor(20.0) == 1.0
    volts = range(0, 301, 20)
    data = curve(volts, [1e-9 * v for v in volts], temperature=[26.0, 28.0] * 7 + [27.0])
    m = iv_analysis(data, operating_voltage=200).measurements
    assert m["mean_temperature"] == {"value": 27.0, "unit": "C"}
    assert m["leakage_20C"]["value"] == pytest.approx(2e-7 * expected, rel=1e-5)
    # without a temperature column, the temperature measured by hand
    m = iv_analysis(curve(volts, [1e-9 * v for v in volts]), operating_voltage=200,
                    temperature=-7.0).measurements
    assert m["leakage_20C"]["value"] == pytest.approx(2e-7 * temperature_factor(-7.0), rel=1e-5)
    assert m["leakage_20C"]["value"] > 10 * 2e-7  # cold: much more leakage at 20 °C


def test_nA_headers_analyse_in_amperes(tmp_path):
    volts = range(0, 301, 20)
    path = write_curve(tmp_path / "iv.csv", volts, [v / 100 for v in volts],
                       header="Bias (V),I [nA]")
    m = iv_analysis(read_iv(path), operating_voltage=150).measurements
    assert m["leakage_at_operating_voltage"]["value"] == pytest.approx(1.5e-9)


# ---- the noise analysis ----------------------------------------------------------------

def test_noise_mean_max_rms_noisy_and_dead_channels():
    noise = [1000.0 + (10 if c % 2 else -10) for c in range(128)]
    noise[7], noise[9] = 3000.0, 50.0
    data = NoiseData(channel=list(range(128)), noise=noise)
    m = noise_analysis(data).measurements  # a definition's defaults: k = 5, dead below 200 e
    mean = sum(noise) / 128
    rms = math.sqrt(sum((n - mean) ** 2 for n in noise) / 128)
    assert m["noise_mean"] == {"value": pytest.approx(mean, rel=1e-5), "unit": "e"}
    assert m["noise_max"] == {"value": 3000.0, "unit": "e"}
    assert m["noise_rms"] == {"value": pytest.approx(rms, rel=1e-5), "unit": "e"}
    assert 3000 > mean + 5 * rms  # so channel 7 is noisy by mean + k x RMS
    assert (m["noisy_channels"], m["noisy_channel_list"]) == (1, [7])
    assert (m["dead_channels"], m["dead_channel_list"]) == (1, [9])
    absolute = noise_analysis(data, noisy_threshold=1005, dead_below=None).measurements
    assert absolute["noisy_channel_list"] == [c for c in range(128) if c % 2 and c != 9]
    assert absolute["dead_channels"] == 0
    assert noise_analysis(data, dead_below=40).measurements["dead_channels"] == 0


# ---- svt test --data, verdicts and definitions -------------------------------------------

BREAKDOWN_VOLTS = list(range(0, 301, 10))


def iv_file(tmp_path, leakage_scale=1.0, name="iv.csv"):
    """A sensor curve: 1 nA per 10 V (so 18 nA x scale at 180 V), breakdown at 260 V."""
    amps = [leakage_scale * 1e-10 * v if v < 260 else 1e-6 * 10 ** ((v - 250) / 10)
            for v in BREAKDOWN_VOLTS]
    return write_curve(tmp_path / name, [-v for v in BREAKDOWN_VOLTS], [-i for i in amps])


def only_test(db, cid="HPK-1"):
    (event,) = db.tests(cid)
    return event


@pytest.fixture
def sensor(db, svt):
    svt("add", "--id", "HPK-1", "--type", "sensor")
    return db


def test_the_limits_give_the_verdict_and_the_analysis_its_values(sensor, svt, tmp_path):
    set_figures(sensor.root)
    out = svt("test", "HPK-1", "--type", "iv_curve", "--data", str(iv_file(tmp_path)))
    assert "Result from the limits: PASS" in out.stdout
    event = only_test(sensor)
    assert event["result"] == "pass"
    assert event["limits"] == {"verdict": "pass", "decided": True}
    m = event["measurements"]
    assert m["leakage_at_operating_voltage"] == {"value": pytest.approx(1.8e-8), "unit": "A"}
    assert m["breakdown_voltage"] == {"value": 260.0, "unit": "V"}
    assert event["analysis"] == {"name": "iv", "version": 2, "values": list(m)}
    kinds = sorted((f["kind"], f.get("original_name")) for f in event["files"])
    assert kinds == [("data", "iv.csv"), ("plot", "iv_analysis.png")]
    plot = next(f for f in event["files"] if f["kind"] == "plot")
    folder = (sensor.root / event["_path"]).parent
    assert (folder / plot["path"]).read_bytes().startswith(b"\x89PNG")


def test_the_plot_shows_the_curve_the_operating_voltage_and_the_breakdown(sensor, svt,
                                                                         tmp_path):
    from PIL import Image
    svt("test", "HPK-1", "--type", "iv_curve", "--data", str(iv_file(tmp_path)))
    event = only_test(sensor)
    plot = next(f for f in event["files"] if f["kind"] == "plot")
    with Image.open((sensor.root / event["_path"]).parent / plot["path"]) as image:
        assert image.format == "PNG" and image.size == (800, 600)
        raw = image.convert("RGB").tobytes()
    pixels = list(zip(raw[0::3], raw[1::3], raw[2::3]))
    white = sum(p == (255, 255, 255) for p in pixels)
    blue = sum(b - r > 80 for r, g, b in pixels)  # the curve's colour (#5790fc)
    dark = sum(max(p) < 60 for p in pixels)
    grey = [0] * 800  # mid-grey pixels of each column: the operating voltage's dashes
    for n, (r, g, b) in enumerate(pixels):
        if abs(r - g) < 8 and abs(g - b) < 8 and 90 < r < 200:
            grey[n % 800] += 1
    assert white > 0.8 * len(pixels)  # a white page, mostly
    assert blue > 2000  # the curve and its breakdown
    assert dark > 3000  # the frame, ticks and text
    assert max(grey) > 200  # half of a line across the axes, dashed


def test_log_axes_are_labelled_in_plain_text():
    from svt_records.analysis.plots import decade_label
    assert [decade_label(x) for x in (1e-9, 2e-9, 5e-7, 1.0, 1e3)] == [
        "10\u207b\u2079", "2\u00d710\u207b\u2079", "5\u00d710\u207b\u2077", "10\u2070",
        "10\u00b3"]


def test_svt_test_draws_without_pyplot_mplhep_or_mathtext(sensor, tmp_path,
                                                           tmp_path_factory):
    """A fresh `svt test --data` loads what its one Figure needs and no more (issue 15: at
    most 1.0 s): pyplot and mplhep each cost about what matplotlib does, and mathtext's
    parser 0.1 s."""
    code = ("import sys\nfrom svt_records.cli import main\n"
            f"assert main(['test', 'HPK-1', '--type', 'iv_curve', '--data',"
            f" {str(iv_file(tmp_path))!r}]) == 0\n"
            "from matplotlib.mathtext import MathTextParser\n"
            "print(sorted(m for m in ('matplotlib.figure', 'matplotlib.pyplot', 'mplhep')"
            " if m in sys.modules), getattr(MathTextParser, '_parser', None) is not None)")
    # matplotlib's font list cached once for the session, not built again in each HOME
    cache = tmp_path_factory.getbasetemp() / "matplotlib-config"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, MPLCONFIGDIR=str(cache)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "['matplotlib.figure'] False"
    assert [f["kind"] for f in only_test(sensor)["files"]] == ["data", "plot"]


def test_a_failed_limit_fails_the_result_and_says_which(sensor, svt, tmp_path):
    set_figures(sensor.root)
    out = svt("test", "HPK-1", "--type", "iv_curve", "--data",
              str(iv_file(tmp_path, leakage_scale=300)))
    assert "Result from the limits: FAIL (leakage_at_operating_voltage 5.4e-06 A > max" \
           in out.stdout
    event = only_test(sensor)
    assert event["result"] == "fail"
    assert event["limits"]["decided"] is True
    assert event["limits"]["failed"] == ["leakage_at_operating_voltage 5.4e-06 A > max 4e-06 A"]
    grid = svt("results", "--type", "iv_curve", "--format", "csv").stdout.splitlines()
    assert grid[0].startswith("component,date,result,limits,failed_limits,tested_by,")
    assert ",fail,fail,leakage_at_operating_voltage 5.4e-06 A > max 4e-06 A," in grid[1]


def test_a_verdict_by_hand_that_contradicts_the_limits_is_kept_with_a_warning(sensor, svt,
                                                                             tmp_path):
    set_figures(sensor.root)
    out = svt("test", "HPK-1", "--type", "iv_curve", "--pass", "--data",
              str(iv_file(tmp_path, leakage_scale=300)))
    assert "warning: HPK-1 iv_curve: recorded pass by hand, but the limits say fail" in out.stderr
    event = only_test(sensor)
    assert event["result"] == "pass"
    assert event["limits"]["verdict"] == "fail" and "decided" not in event["limits"]
    shown = svt("show-test", f"HPK-1:{event['id']}").stdout
    assert "Result PASS given by hand; the limits say FAIL (leakage_at_operating_voltage" in shown
    assert "leakage_at_operating_voltage: 5.40 \u00b5A  (derived)" in shown
    assert "PASS (limits: FAIL)" in svt("show", "HPK-1").stdout


def test_hand_typed_measurements_are_judged_too_and_win_over_derived_ones(sensor, svt,
                                                                          tmp_path):
    set_figures(sensor.root)
    svt("test", "HPK-1", "--type", "iv_curve", "--measure", "leakage_20C=9uA",
        "--data", str(iv_file(tmp_path)))
    event = only_test(sensor)
    assert event["measurements"]["leakage_20C"] == {"value": 9.0, "unit": "uA"}
    assert "leakage_20C" not in event["analysis"]["values"]
    assert event["result"] == "fail"
    assert event["limits"]["failed"] == ["leakage_20C 9e-06 A > max 4e-06 A"]


def test_a_noise_file_is_analysed_and_judged(sensor, svt, tmp_path):
    set_figures(sensor.root)
    svt("add", "--id", "MOD-1", "--type", "module")
    noise = tmp_path / "noise.txt"
    noise.write_text("".join(f"{c} {3000 if c == 3 else 50 if c == 5 else 1100 + c % 3}\n"
                             for c in range(640)))
    svt("test", "MOD-1", "--type", "noise_test", "--data", str(noise))
    m = only_test(sensor, "MOD-1")["measurements"]
    assert m["noisy_channel_list"] == [3] and m["dead_channel_list"] == [5]
    assert only_test(sensor, "MOD-1")["result"] == "pass"


def test_bad_files_are_refused_with_nothing_written(sensor, svt, tmp_path, gitcmd):
    head = gitcmd(sensor.root, "rev-parse", "HEAD")
    bad = tmp_path / "bad.csv"
    bad.write_text("V,I\n10,1e-9\n20,nan\n")
    result = svt("test", "HPK-1", "--type", "iv_curve", "--data", str(bad), ok=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {bad}:3: I is 'nan'; give a finite number or remove the row"
    one = write_curve(tmp_path / "one.csv", [10], [1e-9])
    result = svt("test", "HPK-1", "--type", "iv_curve", "--data", str(one), ok=False)
    assert f"{one}:2: has only one data point" in result.stderr
    assert gitcmd(sensor.root, "rev-parse", "HEAD") == head
    assert gitcmd(sensor.root, "status", "--porcelain", "--untracked-files=all") == ""


def test_unknown_test_types_warn_or_under_strict_are_refused(sensor, svt, gitcmd):
    out = svt("test", "HPK-1", "--type", "thermal_cycle", "--pass")
    assert "warning: test type 'thermal_cycle' is not defined in svt.yaml" in out.stderr
    sensor.record_test("HPK-1", "thermal_cycle", passed=True)  # the API: a warning, not a note
    assert [w.split(" (")[0] for w in sensor.warnings] == [
        "test type 'thermal_cycle' is not defined in svt.yaml"]
    assert sensor.notes == []
    config = sensor.root / "svt.yaml"
    config.write_text(config.read_text() + "strict: true\n")
    gitcmd(sensor.root, "commit", "-qam", "strict")
    head = gitcmd(sensor.root, "rev-parse", "HEAD")
    result = svt("test", "HPK-1", "--type", "thermal_cycle", "--pass", ok=False)
    assert result.exit_code == 1
    assert "is not defined in svt.yaml" in result.stderr and "test_types:" in result.stderr
    assert gitcmd(sensor.root, "rev-parse", "HEAD") == head


def test_the_python_api_uses_the_definitions(sensor, tmp_path):
    set_figures(sensor.root)
    rel = sensor.record_test("HPK-1", "iv_curve", data_files=[str(iv_file(tmp_path, 1000))])
    assert sensor.load(rel)["result"] == "fail"


def test_without_numpy_the_file_is_stored_and_svt_says_how_to_install(sensor, svt, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)  # as if the extra were not installed
    out = svt("test", "HPK-1", "--type", "iv_curve", "--pass", "--data", str(iv_file(tmp_path)))
    from svt_records.files.install import pip_command  # this installation's (test_install_hints)
    assert pip_command("analysis") in out.stderr
    event = only_test(sensor)
    assert [f["kind"] for f in event["files"]] == ["data"]
    assert "analysis" not in event and "measurements" not in event
    result = svt("reanalyze", "--type", "iv_curve", ok=False)
    assert result.exit_code == 1 and pip_command("analysis") in result.stderr


def test_test_types_lists_the_definitions_and_marks_placeholders(store_path, svt):
    out = svt("test-types").stdout
    assert "iv_curve: Leakage current against reverse bias voltage" in out
    assert "operating_voltage 180 (placeholder)" in out
    assert "leakage_at_operating_voltage [A]: max 4e-06 (placeholder)" in out
    assert "noise_test:" in out and "requires: a data file" in out
    config = yamlio.load_file(store_path / "svt.yaml").data
    assert set(config["test_types"]) == {"iv_curve", "noise_test"}


def test_svt_yaml_definitions_are_checked_by_validate(store_path, svt, gitcmd):
    config = store_path / "svt.yaml"
    config.write_text(config.read_text().replace("name: iv\n", "name: cv\n", 1))
    result = svt("validate", ok=False)
    assert result.exit_code != 0 and "svt.yaml" in result.stdout + result.stderr


# ---- svt reanalyze -----------------------------------------------------------------------

def test_reanalyze_updates_derived_values_in_one_commit(sensor, svt, tmp_path, gitcmd):
    set_figures(sensor.root)
    svt("add", "--id", "HPK-2", "--type", "sensor")
    svt("test", "HPK-1", "--type", "iv_curve", "--data", str(iv_file(tmp_path)),
        "--measure", "humidity=30%")
    svt("test", "HPK-2", "--type", "iv_curve", "--fail", "--data", str(iv_file(tmp_path)))
    before = only_test(sensor)
    config = sensor.root / "svt.yaml"
    config.write_text(config.read_text().replace("operating_voltage: 180.0",
                                                 "operating_voltage: 100.0")
                      .replace("max: 4e-06", "max: 5e-09"))
    gitcmd(sensor.root, "commit", "-qam", "lower operating voltage, tighter limit")
    commits = int(gitcmd(sensor.root, "rev-list", "--count", "HEAD"))
    out = svt("reanalyze", "--type", "iv_curve").stdout
    assert int(gitcmd(sensor.root, "rev-list", "--count", "HEAD")) == commits + 1
    message = gitcmd(sensor.root, "log", "-1", "--format=%B")
    assert message.startswith("reanalyze iv_curve: 2 result(s) updated (iv analysis v2)")
    assert (f"HPK-1:{before['id']}: leakage_at_operating_voltage 1.8e-08 A -> 1e-08 A"
            in message)
    assert "result pass -> fail (leakage_at_operating_voltage 1e-08 A > max 5e-09 A" in message
    assert "Reanalyzed 2 iv_curve result(s)" in out
    after = only_test(sensor)
    assert after["measurements"]["humidity"] == {"value": 30.0, "unit": "%"}  # typed by hand
    assert after["result"] == "fail" and after["limits"]["decided"] is True
    assert [f["path"] for f in after["files"]] == [f["path"] for f in before["files"]]
    hand = only_test(sensor, "HPK-2")
    assert hand["result"] == "fail"  # a verdict given by hand stays
    again = svt("reanalyze", "--type", "iv_curve", "HPK-1").stdout
    assert again.startswith("Nothing changed")
    assert svt("validate").exit_code == 0


def test_reanalyze_refuses_a_type_without_analysis(store_path, svt):
    result = svt("reanalyze", "--type", "thermal_cycle", ok=False)
    assert result.exit_code == 1 and "defines no analysis" in result.stderr


def test_commands_that_do_not_analyse_load_neither_numpy_nor_matplotlib(sensor):
    code = ("import sys\nfrom svt_records.cli import main\n"
            "assert main(['test', 'HPK-1', '--type', 'iv_curve', '--pass', '--voltage', '60'])"
            " == 0\n"
            "assert main(['list']) == 0 and main(['show', 'HPK-1']) == 0\n"
            "print(sorted(m for m in ('numpy', 'matplotlib', 'openpyxl') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_results_from_csv_are_analysed_judged_and_not_written_twice(sensor, svt, tmp_path,
                                                                    gitcmd):
    set_figures(sensor.root)
    svt("add", "--id", "HPK-2", "--type", "sensor")
    iv_file(tmp_path)
    iv_file(tmp_path, leakage_scale=300, name="leaky.csv")
    sheet = tmp_path / "results.csv"
    sheet.write_text("component,type,data\nHPK-1,iv_curve,iv.csv\nHPK-2,iv_curve,leaky.csv\n")
    svt("test", "--from-csv", str(sheet))
    assert only_test(sensor)["result"] == "pass"
    leaky = only_test(sensor, "HPK-2")
    assert leaky["result"] == "fail" and leaky["limits"]["failed"]
    assert sorted(f["kind"] for f in leaky["files"]) == ["data", "plot"]
    head = gitcmd(sensor.root, "rev-parse", "HEAD")
    again = svt("test", "--from-csv", str(sheet)).stdout
    assert "Recorded 0 result(s)" in again and "2 already present" in again
    assert gitcmd(sensor.root, "rev-parse", "HEAD") == head


def test_limits_per_component_type_and_units_that_convert():
    from svt_records.analysis.testtypes import definitions, judge
    (definition,) = definitions({"test_types": {"iv_curve": {
        "description": "IV", "measurements": {"leakage": {
            "unit": "A", "max": 4e-6, "by_type": {"module": {"max": 8e-6}}}}}}}).values()
    six_micro = {"leakage": {"value": 6.0, "unit": "uA"}}
    assert judge(definition, "sensor", six_micro).failed == ("leakage 6e-06 A > max 4e-06 A",)
    assert judge(definition, "module", six_micro).verdict == "pass"
    assert judge(definition, "sensor", {"leakage": 3e-6}).verdict == "pass"  # no unit: the limit's
    assert judge(definition, "sensor", {"leakage": {"value": 3, "unit": "V"}}).verdict == "fail"
    assert judge(definition, "sensor", {"other": 1}).verdict is None  # no limit applies


def test_the_schema_names_the_analyses_svt_has_and_their_settings():
    """svt.yaml's schema and testtypes agree on the analyses and what each takes."""
    import json

    from svt_records.model.registry import package_schema_dir
    from svt_records.analysis.testtypes import ANALYSIS_SETTINGS, ANALYSIS_VERSIONS
    spec = json.loads((package_schema_dir() / "config.schema.json").read_text())
    analysis = spec["$defs"]["analysis"]["properties"]
    assert set(analysis["name"]["enum"]) == set(ANALYSIS_SETTINGS) == set(ANALYSIS_VERSIONS)
    settings = {k for v in ANALYSIS_SETTINGS.values() for k in v}
    assert settings <= set(analysis)



def test_what_cannot_be_analysed_or_judged_is_stored_with_a_note(sensor, svt, tmp_path):
    """A data file of a kind no analysis reads is stored as it is, and a result lacking what
    its definition requires gets no verdict from the limits; svt says which, for each."""
    raw = tmp_path / "scan.root"
    raw.write_bytes(b"\0root")
    out = svt("test", "HPK-1", "--type", "iv_curve", "--pass", "--data", str(raw))
    assert "stored scan.root without analysing it: the iv analysis reads .csv" in out.stderr
    assert [f["kind"] for f in only_test(sensor)["files"]] == ["data"]
    out = svt("test", "HPK-1", "--type", "noise_test", "--noise", "1500")
    assert ("HPK-1 noise_test: no verdict from the limits: noise_test requires a data file;"
            " give --pass or --fail, or the missing data") in out.stderr + out.stdout
    assert [t.get("result") for t in sensor.tests("HPK-1")] == ["pass", None]
