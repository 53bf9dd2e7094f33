"""The display rules: SI prefixes with three significant digits, and per-type verdicts."""
from __future__ import annotations

import math

from hypothesis import given, strategies as st

from svt_records import model


def test_examples_from_a_sensor():
    assert model.format_si(6.436e-06, "A") == "6.44 \u00b5A"  # a leakage current
    assert model.format_si(15000, "nA") == "15.0 \u00b5A"  # re-prefixed from its own unit
    assert model.format_si(-9.04, "C") == "-9.04 C"  # Celsius takes no prefix
    assert model.format_si(999.6e-6, "A") == "1.00 mA"  # rounding carries into the prefix
    assert model.format_si(1234, "ADC") == "1234 ADC"  # a count stays whole
    assert model.format_si([47, 128], None) == "[47, 128]"  # a list, not the number 47128


@given(st.floats(min_value=1e-11, max_value=1e11), st.sampled_from(["A", "nA", "V", "kV", "e"]),
       st.booleans())
def test_display_reads_back_within_rounding(magnitude, unit, negative):
    value = -magnitude if negative else magnitude
    shown = model.format_si(value, unit)
    number, shown_unit = shown.split(" ")
    assert len(number.lstrip("-").replace(".", "").lstrip("0")) == 3 or "." not in number
    factor = model.unit_factor(shown_unit, unit)
    assert factor is not None
    back = float(number) * factor
    assert math.isclose(back, value, rel_tol=5e-3)
    base = model.unit_base(unit)
    assert base is not None
    if 1e-12 <= abs(value * base[1]) < 9.99e11:  # within the prefixes p .. G
        assert 1 <= abs(float(number)) < 1000


def test_latest_verdict_of_each_type_decides_health():
    tests = [("iv_curve", 1, "fail"), ("noise_test", 2, "pass"), ("iv_curve", 0, "pass")]
    latest = model.latest_by_type(tests)
    assert latest == {"iv_curve": "fail", "noise_test": "pass"}
    assert model.overall_health(latest) == "fail"  # a later pass of another type hides nothing
    assert model.verdict_line(latest) == "iv_curve \u2717 \u00b7 noise_test \u2713"
    assert model.overall_health(model.latest_by_type([("iv_curve", 3, "pass")] + tests)) == "pass"
    assert model.overall_health({"iv_curve": None}) == "no verdict"
    assert model.overall_health({}) == "untested"


def test_a_value_just_past_its_limit_shows_the_digits_that_tell_them_apart():
    assert model.format_pair(6.687e-06, 4e-06, "A") == ("6.69 \u00b5A", "4.00 \u00b5A")
    assert model.format_pair(4.0001e-06, 4e-06, "A") == ("4.0001 \u00b5A", "4.0000 \u00b5A")
    assert model.format_pair(199.9, 200.0, "V") == ("199.9 V", "200.0 V")
    assert model.format_pair(2000, 2000, "e") == ("2.00 ke", "2.00 ke")  # equal: as format_si


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
       st.one_of(st.floats(min_value=1e-300, max_value=1e-3), st.just(0.0), st.none()),
       st.sampled_from(["A", "nA", "V", "kV", "e", "C", "ADC", None]))
def test_a_failing_value_never_displays_equal_to_its_limit(limit, step, unit):
    """Past a max (or under a min) by any amount, down to the next float: the two texts
    differ; and each still reads as format_si does, to its first three digits."""
    value = math.nextafter(limit, math.inf) if step is None else limit + abs(limit) * step + step
    if value == limit:
        value = math.nextafter(limit, math.inf)
    shown, edge = model.format_pair(value, limit, unit)
    assert shown != edge
    back, edge_back = model.format_pair(limit, value, unit)  # a value under its min
    assert back != edge_back and (back, edge_back) == (edge, shown)
    if model.format_si(value, unit) != model.format_si(limit, unit):
        assert (shown, edge) == (model.format_si(value, unit), model.format_si(limit, unit))


def test_one_rule_shows_a_stored_measurement_in_the_cli_and_on_the_site():
    """model.format_measurement: what `svt show`, `svt show-test`, `svt test` and the site
    show (they differed: the site wrote 47,128 and True, the CLI None)."""
    show = model.format_measurement
    assert show({"value": 6.436e-06, "unit": "A"}) == "6.44 \u00b5A"
    assert show(2000.0, "e") == "2.00 ke"  # a number stored without a unit: its definition's
    assert show({"value": 15000, "unit": "nA"}, "A") == "15.0 \u00b5A"  # its own unit first
    assert show(1500.0) == "1500"
    assert show([47, 128]) == "[47, 128]"  # two channels, not the number 47128
    assert show(True) == "true"  # as the record and `svt test --measure` have it
    assert show(None) == "" and show({"unit": "A"}) == ""  # nothing recorded
    assert show("cracked") == "cracked"
    assert model.format_measurements({"current": {"value": 6.436e-06, "unit": "A"},
                                      "bad_channels": [47, 128]}) \
        == "current=6.44 \u00b5A, bad_channels=[47, 128]"
