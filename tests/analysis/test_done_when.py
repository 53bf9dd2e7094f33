"""Issue 26's "Done when", on the example IV file svt ships (examples/iv-sensor.csv: a good
sensor on a probe station, measured at -9 C, negative bias, current in nA) and on sensors
written from the physics (test_breakdown's model: sqrt rise to full depletion, a plateau,
the T^2 exp(-E_g/2kT) scaling, 3 % noise), recorded through the CLI as a physicist does:

- a fresh store's defaults record no automatic verdict from placeholders;
- with the placeholder values taken as real limits (the placeholders: lists emptied), the
  criterion finds no breakdown on the good sensors, and they pass;
- setting real limits makes the verdicts follow them;
- and what svt says of a failed limit shows its value and the limit with SI prefixes, never
  as equal when the value is just past it, while the record keeps the stored text.
"""
from __future__ import annotations

import re
from pathlib import Path

from test_breakdown import Sensor, sweep
from test_placeholders import set_figures

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "iv-sensor.csv"
COLD = -9.0
# good sensors in 10 V steps from 0.5 V; the first triples its current in its first 10 V
GOOD = {"HPK-21": Sensor(depletion=70.0, leakage_20C=4e-7),
        "HPK-22": Sensor(depletion=40.0, leakage_20C=1.5e-6, slope=0.2)}
LEAKY = Sensor(depletion=50.0, leakage_20C=9e-6, slope=0.05)  # no breakdown; leaks


def write_sweep(path: Path, sensor: Sensor, seed: int) -> Path:
    volts, amps = sweep(sensor, step=10.0, top=300.0, noise=0.03, seed=seed, celsius=COLD,
                        start=0.5)
    path.write_text("# cold box\nVoltage [V],Current [nA],Temperature [C]\n" + "".join(
        f"{-v:.1f},{-i * 1e9:.5g},{COLD}\n" for v, i in zip(volts, amps)))
    return path


def record(svt, db, tmp_path, cid: str, data: Path, *extra: str):
    """Add ``cid`` (if new) and record its IV file; (svt test's result, the stored test)."""
    if not (db.root / "records" / "sensor" / cid).exists():
        svt("add", "--id", cid, "--type", "sensor")
    run = svt("test", cid, "--type", "iv_curve", "--data", str(data), "--temp", str(COLD),
              *extra)
    return run, db.tests(cid)[-1]


def good_files(tmp_path: Path) -> dict[str, Path]:
    files = {"HPK-20": EXAMPLE}
    for n, (cid, sensor) in enumerate(GOOD.items()):
        files[cid] = write_sweep(tmp_path / f"{cid}.csv", sensor, seed=n)
    return files


def set_leakage_limit(root: Path, value: float, gitcmd) -> None:
    config = root / "svt.yaml"
    text, n = re.subn(r"(\n      leakage_20C:\n        unit: A\n        max: )\S+\n",
                      rf"\g<1>{value:.6e}\n", config.read_text())
    assert n == 1
    config.write_text(text)
    gitcmd(root, "commit", "-qam", "the collaboration's leakage limit")


def test_a_fresh_store_records_no_verdict_from_its_placeholders(db, svt, tmp_path):
    for cid, data in good_files(tmp_path).items():
        run, event = record(svt, db, tmp_path, cid, data)
        assert "result" not in event and "limits" not in event, cid
        assert "breakdown_voltage" not in event["measurements"], cid
        assert "placeholder limits would say PASS" in run.stderr
        assert "Result from the limits" not in run.stdout
    run, event = record(svt, db, tmp_path, "HPK-29",
                        write_sweep(tmp_path / "leaky.csv", LEAKY, seed=9))
    assert "result" not in event and "limits" not in event
    leak = event["measurements"]["leakage_20C"]["value"]
    assert 6e-6 < leak < 12e-6
    # said with SI prefixes (6.44 uA, not 6.436e-06 A), in svt test, show and show-test
    said = re.compile(r"placeholder limits would say FAIL: .*leakage_20C (\d+\.\d+) \u00b5A"
                      r" > max 4\.00 \u00b5A")
    for shown in (run.stderr, svt("show", "HPK-29").stdout,
                  svt("show-test", f"HPK-29:{event['id']}").stdout):
        found = said.search(shown)
        assert found, shown
        assert abs(float(found.group(1)) * 1e-6 - leak) <= 0.01 * leak
        assert "e-06 A" not in shown.split("placeholder limits would say")[1]


def test_the_placeholder_values_taken_as_real_limits_pass_the_good_sensors(db, svt, tmp_path):
    set_figures(db.root)  # every placeholders: list emptied
    for cid, data in good_files(tmp_path).items():
        run, event = record(svt, db, tmp_path, cid, data)
        assert "breakdown_voltage" not in event["measurements"], cid  # none found
        assert event["result"] == "pass", cid
        assert event["limits"] == {"verdict": "pass", "decided": True}
        assert "Result from the limits: PASS" in run.stdout
        assert "placeholder" not in run.stdout + run.stderr
        assert "Health:       pass" in svt("show", cid).stdout


def test_setting_real_limits_makes_the_verdicts_follow_them(db, svt, tmp_path, gitcmd):
    """The example sensor leaks about 330 nA at 20 C. A limit under it fails it, one over
    it passes it, each applied by `svt reanalyze`; a limit a hair under the value fails it
    too, and svt shows the two apart though they agree to three digits."""
    set_figures(db.root)
    _, event = record(svt, db, tmp_path, "HPK-20", EXAMPLE)
    leak = event["measurements"]["leakage_20C"]["value"]
    assert 2e-7 < leak < 5e-7 and event["result"] == "pass"
    set_leakage_limit(db.root, 2e-7, gitcmd)
    svt("reanalyze", "--type", "iv_curve")
    event = db.tests("HPK-20")[-1]
    assert event["result"] == "fail" and event["limits"]["decided"] is True
    assert event["limits"]["failed"] == [f"leakage_20C {leak:.4g} A > max 2e-07 A"]
    assert "Result from the limits: FAIL (leakage_20C" in svt("show-test", "HPK-20:"
                                                              + event["id"]).stdout
    set_leakage_limit(db.root, 5e-7, gitcmd)
    svt("reanalyze", "--type", "iv_curve")
    assert db.tests("HPK-20")[-1]["result"] == "pass"
    # just past the limit: failed, and shown with the digits that tell them apart
    hair = leak * (1 - 2e-4)
    set_leakage_limit(db.root, hair, gitcmd)
    run, event = record(svt, db, tmp_path, "HPK-20", EXAMPLE, "--pass")
    assert event["result"] == "pass" and event["limits"]["verdict"] == "fail"
    (stored,) = event["limits"]["failed"]
    assert stored == f"leakage_20C {leak:.4g} A > max {float(f'{hair:.6e}'):g} A"
    warning = re.search(r"the limits say fail \(leakage_20C (\S+) nA > max (\S+) nA\)",
                        run.stderr)
    assert warning, run.stderr
    shown, limit = warning.groups()
    assert shown != limit and float(shown) > float(limit)
    assert len(shown.replace(".", "")) > 3  # at three digits both read "334 nA"
    assert abs(float(shown) * 1e-9 - leak) <= 5e-4 * leak
