"""Values are stored exactly as entered: attributes keep their text, measurements are a
number with a known unit (or a list of integers), and anything else is refused."""
from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from svt_records import model
from svt_records.files import yamlio

ROOT = Path(__file__).resolve().parents[2]
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def record(store: Path, rel: str) -> dict:
    return yamlio.load((store / rel).read_text(encoding="utf-8")).data


def head(store: Path, gitcmd) -> str:
    return gitcmd(store, "rev-parse", "HEAD").strip()


# ---- attributes -------------------------------------------------------------------------------

TYPED = {  # as typed after --attr -> as stored
    "firmware": ("1.2.3", "1.2.3"), "hybrid_serial": ("0042", "0042"),
    "delivered": ("2025-01", "2025-01"), "size": ("5x5", "5x5"),
    "thickness": ("320um", "320um"), "channels": ("512", 512), "offset": ("-5", -5),
    "ratio": ("0.5", 0.5), "gain": ("1.50", "1.50"), "eps": ("1e-6", "1e-6"),
    "plus": ("+5", "+5"), "flag": ("true", True), "word": ("True", "True"),
    "inf": ("inf", "inf"), "batch": ("B-7", "B-7"),
}


def test_attributes_are_stored_exactly_as_typed(store_path, svt):
    args = [a for key, (typed, _) in TYPED.items() for a in ("--attr", f"{key}={typed}")]
    svt("add", "--id", "FEB-042", "--type", "feb", *args)
    rel = "records/feb/FEB-042/component.yaml"
    stored = record(store_path, rel)["attributes"]
    assert stored == {key: value for key, (_, value) in TYPED.items()}
    for key, value in stored.items():
        assert type(value) is type(TYPED[key][1]), key
    text = (store_path / rel).read_text()
    assert 'hybrid_serial: "0042"' in text and 'eps: "1e-6"' in text
    shown_text = svt("show", "FEB-042").stdout
    for key, (typed, _) in TYPED.items():
        assert f"  {key}: {typed}\n" in shown_text, key
    shown = json.loads(svt("show", "FEB-042", "--format", "json").stdout)
    assert shown["component"]["attributes"] == stored
    exported = json.loads(svt("export").stdout)[0]["attributes"]
    assert exported == stored
    as_yaml = yamlio.load(svt("export", "--format", "yaml").stdout).data
    assert as_yaml["components"][0]["attributes"] == stored
    row = next(csv.DictReader(io.StringIO(svt("export", "--format", "csv").stdout)))
    for key, (typed, _) in TYPED.items():
        assert row[f"attr.{key}"] == typed, key


def test_updating_an_attribute_keeps_its_text_too(store_path, svt):
    svt("add", "--id", "S-1", "--type", "sensor", "--attr", "batch=12")
    svt("add", "--id", "S-1", "--attr", "batch=007")
    assert record(store_path, "records/sensor/S-1/component.yaml")["attributes"] == {"batch": "007"}


def test_attribute_without_value_is_refused(store_path, svt):
    result = svt("add", "--id", "S-1", "--type", "sensor", "--attr", "batch=", ok=False)
    assert result.exit_code != 0 and "has no value" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (store_path / "records/sensor/S-1").exists()


def test_old_value_unit_attributes_stay_valid_and_print_with_their_unit(store_path, svt, gitcmd):
    svt("add", "--id", "S-1", "--type", "sensor")
    path = store_path / "records/sensor/S-1/component.yaml"
    path.write_text(path.read_text() + "attributes:\n  thickness:\n    value: 320\n    unit: um\n")
    gitcmd(store_path, "commit", "-qam", "old style attribute")
    svt("validate")
    assert "thickness: 320 um" in svt("show", "S-1").stdout


def test_python_api_keeps_attribute_values_as_given(db, store_path):
    from svt_records import Component
    given_values = {"n": "512", "serial": "0042", "t": "true", "e": "1e-6", "count": 512,
                    "x": 0.5, "ok": False}
    Component(id="M-1", type="module", attributes=given_values).save(db)
    stored = record(store_path, "records/module/M-1/component.yaml")["attributes"]
    assert stored == given_values
    assert {k: type(v) for k, v in stored.items()} == {k: type(v) for k, v in given_values.items()}
    assert yamlio.load_fast((store_path / "records/module/M-1/component.yaml").read_text()
                            )["attributes"] == given_values


def test_csv_attribute_columns_follow_the_same_rule(store_path, svt, tmp_path):
    sheet = tmp_path / "febs.csv"
    sheet.write_text("id,type,firmware,hybrid_serial,channels,thickness\n"
                     "FEB-1,feb,1.2.3,0042,512,320um\n")
    svt("add", "--from-csv", str(sheet))
    assert record(store_path, "records/feb/FEB-1/component.yaml")["attributes"] == {
        "firmware": "1.2.3", "hybrid_serial": "0042", "channels": 512, "thickness": "320um"}


@FEW
@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_numbers_typed_as_python_prints_them_come_back_as_numbers(number):
    text = str(number) if isinstance(number, int) else repr(number)
    value = model.attribute_value(text)
    assert value == number and type(value) is type(number)


@FEW
@given(st.text(min_size=1, max_size=12))
def test_an_attribute_is_its_text_or_a_value_that_prints_as_that_text(text):
    value = model.attribute_value(text)
    if isinstance(value, bool):
        assert text == ("true" if value else "false")
    elif isinstance(value, (int, float)):
        assert math.isfinite(value) and (str(value) if isinstance(value, int) else repr(value)) == text
    else:
        assert value == text


# ---- measurements ----------------------------------------------------------------------------

ACCEPTED = {
    "1.5e3": 1500.0, "1e3": 1000.0, "1500e": {"value": 1500, "unit": "e"},
    "2.5ke": {"value": 2.5, "unit": "ke"}, "2.3uA": {"value": 2.3, "unit": "uA"},
    "2.3µA": {"value": 2.3, "unit": "µA"}, "2.1e-5A": {"value": 2.1e-5, "unit": "A"},
    "-9.0C": {"value": -9.0, "unit": "C"}, "3m": {"value": 3, "unit": "m"},
    "3mm": {"value": 3, "unit": "mm"}, "3mA": {"value": 3, "unit": "mA"},
    "5 kOhm": {"value": 5, "unit": "kOhm"}, "12%": {"value": 12, "unit": "%"},
    "1e3e": {"value": 1000.0, "unit": "e"}, "47,128": [47, 128], "0,-3": [0, -3],
    "7": 7, "-0.25": -0.25,
}
REFUSED = {
    "1/2": "unknown unit '/2'", "5x5": "unknown unit 'x5'", "5furlongs": "unknown unit",
    "1,000": "'000' is not an integer", "1.5,2": "'1.5' is not an integer",
    "47,": "'' is not an integer", "B": "is not a number", "5mC": "unknown unit 'mC'",
    "2.3e-": "unknown unit 'e-'", "nan": "finite", "1e999": "finite", "": "has no value",
}


@pytest.mark.parametrize("typed,value", ACCEPTED.items())
def test_measurement_values(typed, value):
    got = model.parse_measurement(f"x={typed}")[1]
    assert got == value and type(got) is type(value)
    if isinstance(value, dict):
        assert type(got["value"]) is type(value["value"])


@pytest.mark.parametrize("typed,message", REFUSED.items())
def test_measurements_that_are_not_a_number_with_a_unit_are_refused(store_path, svt, typed,
                                                                   message, gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    before = head(store_path, gitcmd)
    result = svt("test", "M1", "--type", "iv", "--pass", "--measure", f"x={typed}", ok=False)
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr
    assert "e.g." in lines[0] or "finite" in lines[0] or "x=VALUE" in lines[0]
    assert head(store_path, gitcmd) == before


def test_noise_is_recorded_in_electrons(store_path, svt):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "noise_test", "--pass", "--noise", "1500", "--voltage", "60",
        "--current", "2.3e-6", "--temp", "-9", "--date", "2025-01-01T10:00:00+00:00")
    ev = record(store_path, next(store_path.glob("records/module/M1/2025/20250101_100000_noise_test_*.yaml")).relative_to(store_path))
    assert ev["measurements"] == {
        "voltage": {"value": 60, "unit": "V"}, "current": {"value": 2.3e-6, "unit": "A"},
        "temperature": {"value": -9, "unit": "C"}, "noise": {"value": 1500, "unit": "e"}}


def test_csv_measurement_columns_use_the_same_parser(store_path, svt, tmp_path):
    svt("add", "--id", "M1", "--type", "module")
    sheet = tmp_path / "t.csv"
    sheet.write_text("component,type,result,date,enc,current [uA],bad,noise\n"
                     "M1,noise,pass,2025-01-01T10:00:00+00:00,1500e,2.3,\"47,128\",1580\n")
    svt("test", "--from-csv", str(sheet))
    ev = record(store_path, next(store_path.glob("records/module/M1/2025/20250101_100000_noise_*.yaml")).relative_to(store_path))
    assert ev["measurements"] == {"enc": {"value": 1500, "unit": "e"},
                                  "current": {"value": 2.3, "unit": "uA"}, "bad": [47, 128],
                                  "noise": {"value": 1580, "unit": "e"}}
    for cells, message in (("size=5x5", "unknown unit 'x5'"), ("current [furlong]=1", "unknown unit"),
                           ("current [A]=2uA", "the column's unit is A")):
        header, value = cells.split("=")
        sheet.write_text(f"component,type,result,{header}\nM1,noise,pass,{value}\n")
        result = svt("test", "--from-csv", str(sheet), ok=False)
        assert result.exit_code == 1 and message in result.stderr and "line 2" in result.stderr


UNIT_NAMES = st.deferred(lambda: st.sampled_from(sorted(model.UNITS)))


@FEW
@given(st.floats(allow_nan=False, allow_infinity=False), UNIT_NAMES)
def test_any_number_with_a_known_unit_parses_back(number, unit):
    value = model.parse_measurement(f"x={number!r}{unit}")[1]
    assert value == {"value": number, "unit": unit}


@FEW
@given(st.integers(), st.one_of(st.just(""), UNIT_NAMES))
def test_integers_parse_as_integers(number, unit):
    value = model.parse_measurement(f"x={number}{unit}")[1]
    got = value["value"] if unit else value
    assert got == number and type(got) is int


@FEW
@given(st.lists(st.integers(min_value=-10**6, max_value=10**6), min_size=2, max_size=6))
def test_integer_lists_parse_back(numbers):
    assert model.parse_measurement("x=" + ",".join(map(str, numbers)))[1] == numbers


def test_bare_symbols_are_the_units_themselves():
    for symbol, _, _ in model.BASE_UNITS:
        assert model.UNITS[symbol] == (symbol, 1.0)
    assert model.UNITS["mm"] == ("m", 1e-3) and model.UNITS["mA"] == ("A", 1e-3)
    assert model.UNITS["ke"] == ("e", 1e3) and "mC" not in model.UNITS and "k%" not in model.UNITS


def test_the_reference_unit_table_is_the_code_table():
    values = (ROOT / "docs" / "reference" / "values.md").read_text(encoding="utf-8")
    section = values.split("<!-- units -->", 2)[1]
    rows = re.findall(r"^\| `([^`]+)` \| (.+?) \| (yes|no) \|$", section, flags=re.M)
    assert [(s, meaning, prefixed == "yes") for s, meaning, prefixed in rows] == [
        tuple(row) for row in model.BASE_UNITS]
    prefixes = re.search(r"SI prefixes: (.*)$", section, flags=re.M).group(1)
    for prefix in model.SI_PREFIXES:
        assert f"`{prefix}`" in prefixes


# ---- the canonical writer and both readers agree on every string ------------------------------

@FEW
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
                       st.one_of(st.text(st.characters(blacklist_categories=("Cc", "Cs")),
                                         max_size=12),
                                 st.sampled_from(["0042", "1e-6", "true", "no", "1.50", "+5",
                                                  "0o17", "0x1F", ".inf", "~", "null", "1_000",
                                                  "12:30", "2025-01-01", "- a", "a: b", "#x"])),
                       min_size=1, max_size=4))
def test_strings_written_read_back_as_the_same_strings(values):
    text = yamlio.dump({"attributes": values})
    assert yamlio.load(text).data == {"attributes": values}
    fast = yamlio.load_fast(text)
    assert fast is None or fast == {"attributes": values}


# ---- svt results: one unit per column ---------------------------------------------------------

def test_results_convert_prefixes_and_split_incompatible_units(db, svt):
    for cid, measures in (("M-1", ["current=2.3uA", "temperature=-9C", "voltage=60", "gain=3"]),
                          ("M-2", ["current=2.1e-5A", "temperature=264K", "voltage=60V"]),
                          ("M-3", ["current=1.5uA", "temperature=-8.5C", "voltage=0.1kV"])):
        svt("add", "--id", cid, "--type", "module")
        svt("test", cid, "--type", "iv_curve", "--pass", "--date", "2025-01-01T10:00:00+00:00",
            *[a for m in measures for a in ("--measure", m)])
    # a unit svt does not know (an older store, the Python API) gets a column of its own
    db.record_test("M-2", "iv_curve", passed=True, date="2025-01-02T10:00:00+00:00",
                   measurements={"current": {"value": 2.1e-5, "unit": "A"},
                                 "temperature": {"value": 264, "unit": "K"},
                                 "voltage": {"value": 60, "unit": "V"},
                                 "gain": {"value": 2, "unit": "furlong"}})
    rows = json.loads(svt("results", "--type", "iv_curve", "--format", "json").stdout)
    by_id = {r.pop("component"): r for r in rows}
    for r in by_id.values():
        del r["date"], r["result"], r["tested_by"]
    assert by_id == {
        "M-1": {"current [uA]": 2.3, "temperature [C]": -9, "temperature [K]": None,
                "voltage": 60, "voltage [V]": None, "gain": 3, "gain [furlong]": None},
        "M-2": {"current [uA]": 21.0, "temperature [C]": None, "temperature [K]": 264,
                "voltage": None, "voltage [V]": 60, "gain": None, "gain [furlong]": 2},
        "M-3": {"current [uA]": 1.5, "temperature [C]": -8.5, "temperature [K]": None,
                "voltage": None, "voltage [V]": 100.0, "gain": None, "gain [furlong]": None},
    }
    table = svt("results", "--type", "iv_curve").stdout
    assert "current [uA]" in table and "temperature [K]" in table


def test_results_keep_values_exact_when_the_unit_is_the_same(db, svt):
    db.save_component("M-1", {"type": "module"})
    db.record_test("M-1", "iv", passed=True, measurements={"i": {"value": 7, "unit": "nA"}})
    rows = json.loads(svt("results", "--type", "iv", "--format", "json").stdout)
    assert rows[0]["i [nA]"] == 7 and type(rows[0]["i [nA]"]) is int


# ---- refusals ---------------------------------------------------------------------------------

def test_a_test_without_verdict_measurement_or_file_is_refused(store_path, svt, db, gitcmd,
                                                              tmp_path):
    svt("add", "--id", "M1", "--type", "module")
    before = head(store_path, gitcmd)
    result = svt("test", "M1", "--type", "iv_curve", "--notes", "forgot", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: a test needs a result: give --pass or --fail, a measurement"
        " (--measure NAME=VALUE) or a file (--images/--data)"]
    with pytest.raises(ValueError, match="needs a result"):
        db.record_test("M1", "iv_curve", measurements={})
    sheet = tmp_path / "t.csv"
    sheet.write_text("component,type,result,notes\nM1,iv_curve,pass,\nM1,iv_curve,,nothing\n")
    result = svt("test", "--from-csv", str(sheet), ok=False)
    assert result.exit_code == 1 and "line 3: a test needs a result" in result.stderr
    assert head(store_path, gitcmd) == before
    for args in (["--pass"], ["--fail"], ["--measure", "n=3"], ["--noise", "1500"]):
        svt("test", "M1", "--type", "iv_curve", *args)


FUTURE_COMMANDS = [
    ["test", "M1", "--type", "iv_curve", "--pass"], ["log", "M1", "text"],
    ["comment", "M1", "text"], ["location", "M1", "Hall B"], ["install", "M1", "Layer1_top_axial"],
    ["assemble", "M1", "--sensor", "S1"], ["connect", "M1", "F1"],
]


@pytest.mark.parametrize("command", FUTURE_COMMANDS, ids=lambda c: c[0])
def test_events_dated_more_than_a_day_ahead_are_refused(store_path, svt, gitcmd, command):
    from datetime import datetime, timedelta
    for cid, ctype in (("M1", "module"), ("S1", "sensor"), ("F1", "feb")):
        svt("add", "--id", cid, "--type", ctype)
    before = head(store_path, gitcmd)
    ahead = (datetime.now().astimezone() + timedelta(days=2)).replace(microsecond=0)
    result = svt(*command, "--date", ahead.isoformat(), ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"date {ahead.isoformat()} is more than a day in the future" in lines[0]
    assert "give the date it happened" in lines[0]
    assert head(store_path, gitcmd) == before
    soon = (datetime.now().astimezone() + timedelta(hours=20)).replace(microsecond=0)
    if command[0] == "install":  # it holds back the next removal: minutes (test_messages.py)
        soon = (datetime.now().astimezone() + timedelta(minutes=5)).replace(microsecond=0)
    svt(*command, "--date", soon.isoformat())  # clocks and time zones differ: a day is allowed


def test_removal_and_csv_dates_in_the_future_are_refused(store_path, svt, gitcmd, tmp_path):
    svt("add", "--id", "M1", "--type", "module")
    svt("install", "M1", "Layer1_top_axial")
    before = head(store_path, gitcmd)
    result = svt("remove", "M1", "--date", "2999-01-01", ok=False)
    assert result.exit_code == 1 and "date 2999-01-01T00:00:00" in result.stderr
    sheet = tmp_path / "t.csv"
    sheet.write_text("component,type,result,date\nM1,iv_curve,pass,2999-01-01\n")
    result = svt("test", "--from-csv", str(sheet), ok=False)
    assert result.exit_code == 1 and "line 2: date 2999-01-01T00:00:00" in result.stderr
    assert head(store_path, gitcmd) == before


# ---- running the same CSV file again ----------------------------------------------------------

def _files(store: Path) -> list[str]:
    return sorted(str(p.relative_to(store)) for p in (store / "records").rglob("*") if p.is_file())


def test_test_csv_run_twice_writes_each_result_once(store_path, svt, gitcmd, tmp_path, png):
    svt("add", "--id", "M1", "--type", "module")
    svt("add", "--id", "M2", "--type", "module")
    (tmp_path / "scan.csv").write_text("ch,adc\n1,17\n")
    sheet = tmp_path / "iv.csv"
    sheet.write_text("component,type,result,date,current [A],images,data\n"
                     f"M1,cv_curve,pass,2025-01-01T10:00:00+00:00,2.3e-6,{png.name},scan.csv\n"
                     f"M2,cv_curve,fail,,9e-6,{png.name},\n")
    first = svt("test", "--from-csv", str(sheet)).stdout
    assert "Recorded 2 result(s)" in first and "0 already present" in first
    files, before = _files(store_path), head(store_path, gitcmd)
    again = svt("test", "--from-csv", str(sheet))
    assert again.exit_code == 0
    assert "Recorded 0 result(s)" in again.stdout and "2 already present" in again.stdout
    assert "commit" not in again.stdout
    assert _files(store_path) == files and head(store_path, gitcmd) == before
    # the same content under another file name is the same result; other content is not
    png.rename(tmp_path / "renamed.png")
    sheet.write_text(sheet.read_text().replace(png.name, "renamed.png"))
    assert "2 already present" in svt("test", "--from-csv", str(sheet)).stdout
    sheet.write_text(sheet.read_text().replace("9e-6", "8e-6"))
    third = svt("test", "--from-csv", str(sheet)).stdout
    assert "Recorded 1 result(s)" in third and "1 already present" in third
    assert len(_files(store_path)) == len(files) + 2  # M2's new event and its image
    # a row that gives a date is the same result only at that date
    sheet.write_text(sheet.read_text().replace("2025-01-01T10:00:00+00:00",
                                               "2025-01-02T10:00:00+00:00"))
    assert "Recorded 1 result(s)" in svt("test", "--from-csv", str(sheet)).stdout


def test_two_identical_rows_are_two_results_and_stay_two(store_path, svt, tmp_path):
    svt("add", "--id", "M1", "--type", "module")
    sheet = tmp_path / "n.csv"
    sheet.write_text("component,type,result\nM1,noise,pass\nM1,noise,pass\n")
    assert "Recorded 2 result(s)" in svt("test", "--from-csv", str(sheet)).stdout
    out = svt("test", "--from-csv", str(sheet)).stdout
    assert "Recorded 0 result(s)" in out and "2 already present" in out
    sheet.write_text(sheet.read_text() + "M1,noise,pass\n")
    out = svt("test", "--from-csv", str(sheet)).stdout
    assert "Recorded 1 result(s)" in out and "2 already present" in out


def test_bookkeeping_fields_do_not_make_a_result_new():
    from svt_records.exchange.bulk import _same_event
    stored = {"kind": "test", "component": "M1", "test_type": "iv", "result": "pass",
              "date": "2025-01-01T05:00:00-05:00", "recorded": "2025-01-01T10:00:01.123456Z",
              "files": [{"path": "a_0.png", "kind": "image", "sha256": "ab", "size": 1}],
              "_path": "records/module/M1/2025/x.yaml"}
    new = {"kind": "test", "component": "M1", "test_type": "iv", "result": "pass",
           "notes": None, "date": "2025-01-01T10:00:00+00:00",
           "files": [{"kind": "image", "sha256": "ab"}]}
    assert _same_event(stored, new, compare_date=True)
    assert not _same_event(stored, dict(new, date="2025-01-01T10:00:01+00:00"), compare_date=True)
    assert _same_event(stored, dict(new, date="2026-01-01T10:00:00+00:00"), compare_date=False)
    assert not _same_event(stored, dict(new, files=[{"kind": "image", "sha256": "cd"}]), True)
    assert not _same_event(stored, dict(new, result="fail"), compare_date=False)


def test_component_csv_run_twice_writes_nothing_the_second_time(store_path, svt, gitcmd,
                                                               tmp_path):
    sheet = tmp_path / "c.csv"
    sheet.write_text("id,type,manufacturer,hybrid_serial\nS-1,sensor,HPK,0042\nS-2,sensor,HPK,7\n")
    first = svt("add", "--from-csv", str(sheet)).stdout
    assert "Added 2, updated 0" in first and "0 already present" in first
    before = head(store_path, gitcmd)
    again = svt("add", "--from-csv", str(sheet))
    assert again.exit_code == 0 and "Added 0, updated 0" in again.stdout
    assert "2 already present" in again.stdout and head(store_path, gitcmd) == before
    # a row that differs updates the cells it gives, as before
    sheet.write_text(sheet.read_text().replace("S-2,sensor,HPK,7", "S-2,sensor,CNM,7"))
    third = svt("add", "--from-csv", str(sheet)).stdout
    assert "Added 0, updated 1" in third and "1 already present" in third
    assert record(store_path, "records/sensor/S-2/component.yaml")["manufacturer"] == "CNM"


def test_refusals_end_to_end_are_one_line_without_traceback(store_path, svt_proc, gitcmd):
    svt_proc("add", "--id", "FEB-042", "--type", "feb", "--attr", "firmware=1.2.3")
    before = head(store_path, gitcmd)
    for args, message in ((["--measure", "size=5x5"], "unknown unit 'x5'"),
                          ([], "a test needs a result"),
                          (["--pass", "--date", "2999-01-01"], "more than a day in the future")):
        proc = svt_proc("test", "FEB-042", "--type", "burn_in", *args, check=False)
        assert proc.returncode == 1 and proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr
    assert head(store_path, gitcmd) == before
    assert "firmware: 1.2.3" in svt_proc("show", "FEB-042").stdout
