"""The site's plots show the limits of the test type's definition (svt.yaml's test_types):
a test type's page has, per measurement, a histogram of each component's latest value with
the limits drawn (a trend over time when one component has the measurement), and each IV
plot marks the operating voltage and the limits on a voltage or a current. svt init's
defaults are placeholders: drawn, and said so."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import IV_CSV
from svt_records import Database
from svt_records.analysis import plots, testtypes
from svt_records.site import drawing
from svt_records.site.build import build
from svt_records.site.manifest import MANIFEST

LEAKAGE = "leakage_at_operating_voltage"


def make_sensors(db: Database, png: Path) -> None:
    """Three sensors' leakage (SEN-1's latest run failed, its first passed), one module's
    noise, and an IV curve of SEN-2."""
    (png.parent / "iv.csv").write_text(IV_CSV)
    for cid in ("SEN-1", "SEN-2", "SEN-3"):
        db.save_component(cid, {"type": "sensor", "status": "qualified"})
    db.save_component("MOD-1", {"type": "module", "status": "installed"})
    for cid, amperes, passed, date in (("SEN-1", 1.0e-6, True, "2025-01-01T10:00"),
                                       ("SEN-2", 2.0e-6, True, "2025-01-02T10:00"),
                                       ("SEN-3", 3.0e-6, True, "2025-01-03T10:00"),
                                       ("SEN-1", 5.0e-6, False, "2025-02-01T10:00")):
        db.record_test(cid, "iv_curve", passed=passed, measurements={LEAKAGE: amperes},
                       date=date)
    db.record_test("SEN-2", "iv_curve", passed=True, data_files=[str(png.parent / "iv.csv")],
                   date="2025-01-05T10:00")
    db.record_test("MOD-1", "noise_test", passed=True, measurements={"noise_mean": 1500.0},
                   date="2025-01-06T10:00")


def test_a_test_type_page_has_a_histogram_of_the_latest_values_with_the_limits(
        prebuilt, tmp_path):
    db = prebuilt(make_sensors)
    out = tmp_path / "out"
    build(Database(db.root), out)
    digests = json.loads((out / MANIFEST).read_text())["digests"]
    series = drawing.trend_series(digests, testtypes.definitions(Database(db.root).config))
    plot, = [p for p in series["iv_curve"] if p["measure"] == LEAKAGE]
    assert plot["kind"] == "histogram" and plot["unit"] == "A" and plot["components"] == 3
    # each component's latest value once (SEN-1's later, failed run), with its verdict
    assert plot["points"] == [[2.0e-6, "pass", "SEN-2"], [3.0e-6, "pass", "SEN-3"],
                              [5.0e-6, "fail", "SEN-1"]]
    assert plot["limits"] == [{"bound": "max", "value": 4.0e-6, "text": "max 4.00 \u00b5A",
                               "placeholder": True, "types": None}]
    assert (out / plot["rel"]).read_bytes().startswith(b"\x89PNG")
    # the figure, in µA: bars of the three values, the limit a vertical line at 4 µA
    figure = drawing.histogram_figure(["iv_curve", LEAKAGE, "A", plot["points"],
                                       plot["limits"]])
    axes, = figure.axes
    assert axes.get_xlabel() == f"{LEAKAGE} [\u00b5A]"
    assert sum(patch.get_height() for patch in axes.patches) == 3
    limit, = [line for line in axes.lines if line.get_gid() == "limit-max"]
    assert list(limit.get_xdata()) == [4.0, 4.0]
    assert limit.get_label() == "max 4.00 \u00b5A placeholder"
    low, high = axes.get_xlim()
    assert low < 2.0 and high > 5.0
    # the page: the histogram, its limits in words, the values with SI prefixes
    page = (out / "tests/iv_curve.html").read_text()
    assert 'data-kind="histogram"' in page
    assert "Limits: max 4.00 \u00b5A (placeholder)." in page
    assert "latest of 3 components, 2 pass, 1 fail, 0 no verdict." in page
    # one component's measurement keeps its trend over time
    noise, = [p for p in series["noise_test"] if p["measure"] == "noise_mean"]
    assert noise["kind"] == "trend" and noise["components"] == 1
    assert noise["limits"][0]["text"] == "max 2.00 ke"
    assert 'data-kind="trend"' in (out / "tests/noise_test.html").read_text()


def test_an_iv_plot_marks_the_operating_voltage_and_the_limits(prebuilt, tmp_path,
                                                               monkeypatch):
    db = prebuilt(make_sensors)
    drawn: list[dict] = []
    real = plots.iv_figure

    def iv_figure(curves, out_path, **marks):
        drawn.append(marks)
        real(curves, out_path, **marks)
    monkeypatch.setattr(plots, "iv_figure", iv_figure)
    out = tmp_path / "out"
    build(Database(db.root), out)  # a few plots: drawn in this process
    assert (out / "components/iv/SEN-2.png").read_bytes().startswith(b"\x89PNG")
    marks, = drawn
    assert marks["operating_voltage"] == 180.0
    assert marks["operating_label"] == "operating voltage 180 V (placeholder)"
    assert sorted(marks["limits"]) == [
        ("I", 4.0e-6, "leakage_20C max 4.00 \u00b5A (placeholder)", True),
        ("I", 4.0e-6, "leakage_at_operating_voltage max 4.00 \u00b5A (placeholder)", True),
        ("V", 200.0, "breakdown_voltage min 200 V (placeholder)", True)]
    # on the figure: the limits as lines, within the axes
    _, axes = plots._iv_reused[(tuple(drawing.SITE_SIZE["figure.figsize"]),
                                drawing.SITE_SIZE["savefig.dpi"])]
    currents = [line for line in axes.lines if line.get_gid() == "limit-I"]
    volts, = [line for line in axes.lines if line.get_gid() == "limit-V"]
    assert [list(line.get_ydata()) for line in currents] == [[4.0e-6, 4.0e-6]] * 2
    assert list(volts.get_xdata()) == [200.0, 200.0]
    assert axes.get_xlim()[1] >= 200.0 and axes.get_ylim()[1] >= 4.0e-6
    labels = [line.get_label() for line in axes.lines]
    assert "operating voltage 180 V (placeholder)" in labels


def test_limits_set_by_the_collaboration_are_drawn_as_such_for_each_type():
    defined = testtypes.definitions({"test_types": {"iv_curve": {
        "analysis": {"name": "iv", "operating_voltage": 150.0},
        "measurements": {LEAKAGE: {"unit": "A", "max": 2.0e-6,
                                   "by_type": {"module": {"max": 6.0e-6}}},
                         "breakdown_voltage": {"unit": "V", "min": 250.0}},
        "placeholders": ["measurements.breakdown_voltage.min"]}}})
    marks = drawing.limit_marks(defined["iv_curve"], LEAKAGE, "uA", {"sensor", "module"})
    assert marks == [
        {"bound": "max", "value": 2.0, "text": "max 2.00 \u00b5A", "placeholder": False,
         "types": ["sensor"]},
        {"bound": "max", "value": 6.0, "text": "max 6.00 \u00b5A", "placeholder": False,
         "types": ["module"]}]
    operating, label, limits = drawing.iv_marks(defined, ["iv_curve"], "module")
    assert (operating, label) == (150.0, "operating voltage 150 V")
    assert limits == [["I", 6.0e-6, f"{LEAKAGE} max 6.00 \u00b5A", False],
                      ["V", 250.0, "breakdown_voltage min 250 V (placeholder)", True]]
