"""No verdict from placeholder limits (issue 26, section 1), on real stores through the CLI.

A figure listed under a test type's ``placeholders:`` in svt.yaml is not the collaboration's
yet. A placeholder limit never decides a recorded verdict: what it would say is advice,
shown by `svt test`, `svt show` and `svt show-test`. A limit that is set decides, even while
the analysis settings its value rests on are placeholders (svt says so). The sensors are
the physics curves of test_breakdown, measured cold and written as a test stand writes them.
"""
from __future__ import annotations

import re
import subprocess

from svt_records.analysis.testtypes import definitions, judge
from test_breakdown import Sensor, sweep

GOOD = {"HPK-1": Sensor(depletion=35.0, leakage_20C=3e-7, slope=0.05),
        "HPK-2": Sensor(depletion=60.0, leakage_20C=1.2e-6, slope=0.1),
        "HPK-3": Sensor(depletion=85.0, leakage_20C=2.5e-6, slope=0.15)}
BAD = Sensor(depletion=50.0, leakage_20C=5e-7, breakdown=150.0, sharpness=5.0)
LIMITS = ("measurements.leakage_at_operating_voltage.max", "measurements.leakage_20C.max",
          "measurements.breakdown_voltage.min")


def set_figures(root, keep=()):
    """Commit svt.yaml with only the placeholders in ``keep`` still listed, as a
    collaboration does once it has set the other figures."""
    config = root / "svt.yaml"
    out, listing = [], False
    for line in config.read_text().splitlines(keepends=True):
        if re.match(r"^ {4}placeholders:", line):
            listing = True
        elif listing and re.match(r"^ {6}- ", line):
            if line.split("- ", 1)[1].strip() not in keep:
                continue
        else:
            listing = False
        out.append(line)
    config.write_text(re.sub(r"^ {4}placeholders:\n(?! {6}- )", "", "".join(out), flags=re.M))
    subprocess.run(["git", "-C", str(root), "commit", "-qam", "the collaboration's figures"],
                   check=True)


def write_sweep(path, sensor, seed):
    """A cold sweep (-9 C) to -300 V in 5 V steps, current in nA, with its temperature."""
    volts, amps = sweep(sensor, step=5.0, top=300.0, noise=0.03, seed=seed, celsius=-9.0)
    path.write_text("Bias [V],Current [nA],Temp [C]\n" + "".join(
        f"{-v:.1f},{-i * 1e9:.6g},-9.0\n" for v, i in zip(volts, amps)))
    return path


def record_all(svt, tmp_path, *extra):
    """Adds the three good sensors and the bad one (HPK-9) and records each one's sweep;
    returns {id: svt test's result}."""
    out = {}
    for n, (cid, sensor) in enumerate(list(GOOD.items()) + [("HPK-9", BAD)]):
        svt("add", "--id", cid, "--type", "sensor")
        data = write_sweep(tmp_path / f"{cid}.csv", sensor, seed=n)
        out[cid] = svt("test", cid, "--type", "iv_curve", "--data", str(data), *extra)
    return out


def latest(db, cid):
    return db.tests(cid)[-1]


def test_a_fresh_store_records_no_verdict_from_its_placeholder_limits(db, svt, tmp_path):
    runs = record_all(svt, tmp_path)
    for cid in GOOD:
        event = latest(db, cid)
        assert "result" not in event and "limits" not in event
        assert "breakdown_voltage" not in event["measurements"]
        assert "placeholder limits would say PASS" in runs[cid].stderr
    bad = latest(db, "HPK-9")
    assert "result" not in bad and "limits" not in bad
    found = bad["measurements"]["breakdown_voltage"]["value"]
    assert 140.0 <= found <= 160.0
    said = f"breakdown_voltage {found:g} V < min 200 V"  # and its leakage, past compliance
    for shown in (runs["HPK-9"].stderr, svt("show", "HPK-9").stdout,
                  svt("show-test", f"HPK-9:{bad['id']}").stdout):
        line = next(line for line in shown.splitlines() if "placeholder limits" in line)
        assert "placeholder limits would say FAIL: " in line and said in line
        assert line.endswith("(advisory: placeholder limits give no verdict; `svt test-types`"
                             " lists them)")
    assert "Result from the limits" not in runs["HPK-9"].stdout


def test_with_the_placeholder_values_taken_as_real_limits_good_sensors_pass(
        db, svt, tmp_path):
    set_figures(db.root)  # the placeholders: lists emptied
    runs = record_all(svt, tmp_path)
    for cid in GOOD:
        event = latest(db, cid)
        assert "breakdown_voltage" not in event["measurements"]
        assert event["result"] == "pass" and event["limits"] == {"verdict": "pass",
                                                                 "decided": True}
        assert "Result from the limits: PASS" in runs[cid].stdout
        assert "placeholder" not in runs[cid].stdout + runs[cid].stderr
    bad = latest(db, "HPK-9")
    found = bad["measurements"]["breakdown_voltage"]["value"]
    assert bad["result"] == "fail" and bad["limits"]["decided"] is True
    assert f"breakdown_voltage {found:g} V < min 200 V" in bad["limits"]["failed"]


def test_set_limits_decide_while_placeholder_limits_and_settings_advise(db, svt, tmp_path):
    """Only the breakdown limit is set: it decides the bad sensor's verdict, though the
    settings its value rests on are still placeholders; the leakage limits only advise."""
    settings = ("analysis.operating_voltage", "analysis.breakdown_factor",
                "analysis.breakdown_step", "analysis.compliance")
    set_figures(db.root, keep=settings + LIMITS[:2])
    runs = record_all(svt, tmp_path)
    bad = latest(db, "HPK-9")
    assert bad["result"] == "fail" and bad["limits"]["decided"] is True
    err = runs["HPK-9"].stderr
    assert ("breakdown_voltage (analysis.breakdown_factor, analysis.breakdown_step,"
            " analysis.compliance): judged on a value derived with placeholder settings") in err
    assert "placeholder limits would say FAIL: leakage_at_operating_voltage" in err
    assert "placeholder limits give no verdict" not in err  # a set limit gave one
    for cid in GOOD:  # no breakdown: only the placeholder leakage limits apply
        assert "result" not in latest(db, cid)


def test_setting_real_limits_makes_the_verdicts_follow_them(db, svt, tmp_path,
                                                           gitcmd):
    config = db.root / "svt.yaml"
    text = config.read_text().replace("      leakage_20C:\n        unit: A\n        max: 4e-06",
                                      "      leakage_20C:\n        unit: A\n        max: 1e-06")
    config.write_text(text)
    set_figures(db.root)
    record_all(svt, tmp_path)
    verdicts = {cid: latest(db, cid).get("result") for cid in list(GOOD) + ["HPK-9"]}
    assert verdicts == {"HPK-1": "pass", "HPK-2": "fail", "HPK-3": "fail", "HPK-9": "fail"}
    leak = latest(db, "HPK-2")["measurements"]["leakage_20C"]["value"]
    assert f"leakage_20C {leak:.4g} A > max 1e-06 A" in latest(db, "HPK-2")["limits"]["failed"]
    config.write_text(config.read_text().replace("max: 1e-06", "max: 3e-06"))
    gitcmd(db.root, "commit", "-qam", "the collaboration's leakage limit")
    svt("reanalyze", "--type", "iv_curve")
    verdicts = {cid: latest(db, cid).get("result") for cid in GOOD}
    assert verdicts == {"HPK-1": "pass", "HPK-2": "pass", "HPK-3": "pass"}


def test_a_verdict_given_by_hand_is_recorded_as_before(db, svt, tmp_path):
    run = record_all(svt, tmp_path, "--fail")["HPK-1"]
    event = latest(db, "HPK-1")
    assert event["result"] == "fail" and "limits" not in event
    assert "warning" not in run.stderr  # no limit that is set contradicts it
    assert "placeholder limits would say PASS" in run.stderr


def test_reanalyze_applies_the_same_rule(db, svt, tmp_path, gitcmd):
    """A result the limits decided when they were taken as set: once they are placeholders
    again, `svt show` says so and `svt reanalyze` clears the verdict they gave."""
    set_figures(db.root)
    svt("add", "--id", "HPK-9", "--type", "sensor")
    svt("test", "HPK-9", "--type", "iv_curve", "--data",
        str(write_sweep(tmp_path / "bad.csv", BAD, seed=4)))
    assert latest(db, "HPK-9")["result"] == "fail"
    gitcmd(db.root, "revert", "--no-edit", "HEAD~2")  # the placeholders: lists come back
    assert ("the limits that gave this result are placeholders now: `svt reanalyze --type"
            " iv_curve` judges it again") in svt("show", "HPK-9").stdout
    svt("reanalyze", "--type", "iv_curve")
    event = latest(db, "HPK-9")
    assert "result" not in event and "limits" not in event
    message = gitcmd(db.root, "log", "-1", "--format=%B")
    assert "result cleared (was fail) (placeholder limits would say FAIL: " in message
    assert "breakdown_voltage 155 V < min 200 V)" in message
    assert "placeholders now" not in svt("show", "HPK-9").stdout


def test_validate_warns_on_the_main_branch_while_results_rest_on_placeholders(
        db, svt, gitcmd, tmp_path):
    assert gitcmd(db.root, "branch", "--show-current").strip() == "main"
    assert "placeholder" not in svt("validate").stdout  # no result uses them yet
    svt("add", "--id", "HPK-9", "--type", "sensor")
    svt("test", "HPK-9", "--type", "iv_curve", "--pass", "--measure", "humidity=30%")
    assert "placeholder" not in svt("validate").stdout  # no placeholder judges humidity
    svt("test", "HPK-9", "--type", "iv_curve", "--data",
        str(write_sweep(tmp_path / "bad.csv", BAD, seed=4)))
    out = svt("validate")
    assert out.exit_code == 0  # a warning, not an error
    assert ("svt.yaml:1:1: warning: test type iv_curve (2 result(s)): placeholder limits give"
            " no verdict (measurements.leakage_at_operating_voltage.max") in out.stdout
    assert "noise_test" not in out.stdout  # no noise result yet
    gitcmd(db.root, "checkout", "-q", "-b", "topic")
    assert "placeholder" not in svt("validate").stdout  # a topic branch: not yet main's
    gitcmd(db.root, "checkout", "-q", "main")
    set_figures(db.root, keep=("analysis.operating_voltage",))
    out = svt("validate").stdout
    assert ("test type iv_curve (2 result(s)): values rest on placeholder settings"
            " (analysis.operating_voltage); set the collaboration's figures") in out
    assert "placeholder limits" not in out
    set_figures(db.root)
    assert "placeholder" not in svt("validate").stdout


def test_test_types_says_which_limits_are_placeholders(db, svt, gitcmd):
    config = db.root / "svt.yaml"
    config.write_text(config.read_text().replace(
        "      leakage_20C:\n        unit: A\n        max: 4e-06\n",
        "      leakage_20C:\n        unit: A\n        max: 4e-06\n        by_type:\n"
        "          module:\n            max: 8e-06\n").replace(
        "      - measurements.leakage_20C.max\n",
        "      - measurements.leakage_20C.max\n"
        "      - measurements.leakage_20C.by_type.module.max\n"))
    gitcmd(db.root, "commit", "-qam", "a module's own leakage limit")
    out = svt("test-types").stdout
    assert "leakage_20C [A]: max 4e-06 (placeholder)" in out
    assert "    module: max 8e-06 (placeholder)" in out
    assert "A placeholder limit gives no verdict, only advice" in out


def test_each_bound_is_judged_by_whether_its_own_figure_is_set():
    """The path of a bound: its own (by_type overrides the type's), or one above it."""
    spec = {"test_types": {"iv_curve": {
        "description": "IV", "analysis": {"name": "iv"},
        "measurements": {"leakage": {"unit": "A", "min": 1e-9, "max": 4e-6,
                                     "by_type": {"module": {"max": 8e-6}}},
                         "breakdown_voltage": {"unit": "V", "min": 200.0}},
        "placeholders": ["measurements.leakage.max", "analysis.breakdown_factor"]}}}
    (definition,) = definitions(spec).values()
    six = {"leakage": {"value": 6.0, "unit": "uA"}}
    sensor = judge(definition, "sensor", six)  # its max is the placeholder; its min is set
    assert (sensor.verdict, sensor.advisory) == ("pass", "fail")
    assert sensor.advisory_failed == ("leakage 6e-06 A > max 4e-06 A",)
    module = judge(definition, "module", six)  # the module's own max is set: it decides
    assert (module.verdict, module.failed, module.advisory) == ("pass", (), None)
    module = judge(definition, "module", {"leakage": 9e-6})
    assert module.failed == ("leakage 9e-06 A > max 8e-06 A",)
    spec["test_types"]["iv_curve"]["placeholders"] = ["measurements.leakage"]
    (definition,) = definitions(spec).values()
    assert judge(definition, "module", {"leakage": 9e-6}).verdict is None  # all of it
    low = judge(definition, "sensor", {"breakdown_voltage": 150.0, "leakage": 1e-6},
                derived=["breakdown_voltage"])
    assert low.failed == ("breakdown_voltage 150 V < min 200 V",)
    assert low.unsettled == ()  # breakdown_factor is set in this definition
    spec["test_types"]["iv_curve"]["placeholders"].append("analysis.breakdown_step")
    (definition,) = definitions(spec).values()
    low = judge(definition, "sensor", {"breakdown_voltage": 150.0}, derived=["breakdown_voltage"])
    assert low.unsettled == ("breakdown_voltage (analysis.breakdown_step)",)
    typed = judge(definition, "sensor", {"breakdown_voltage": 150.0})  # typed by hand
    assert typed.unsettled == ()
    assert len(typed.failed) == 1


def test_a_value_that_is_no_number_in_the_limits_unit_fails_its_limit_once():
    """A measurement in a unit that does not convert (volts against a limit in amperes), or
    text, fails each limit it meets, said once, with the limit."""
    spec = {"test_types": {"iv_curve": {
        "description": "IV", "measurements": {"leakage": {"unit": "A", "min": 1e-9,
                                                          "max": 4e-6}}}}}
    (definition,) = definitions(spec).values()
    for value in ({"value": 3.0, "unit": "V"}, "high"):
        result = judge(definition, "sensor", {"leakage": value})
        assert result.verdict == "fail"
        assert result.failed == ("leakage is not a number in A (limit 1e-09 to 4e-06 A)",)
