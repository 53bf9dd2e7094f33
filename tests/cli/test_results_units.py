"""`svt results` as a table for people: each measurement column's unit comes from the results
grid as data (exchange.exporting.Grid.units), never parsed back out of the column's name. A
measurement name may itself hold " [...]" (a hand-edited record, or one imported from the
original tracker: `svt validate` warns, but the record loads), and then it is no unit."""
from __future__ import annotations

import json
import re


def test_results_table_takes_units_from_the_grid_not_from_column_names(store_path, svt,
                                                                         gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--current", "6.436e-06",
        "--measure", "leak_1=15000nA", "--measure", "gain=1500", "--date",
        "2025-03-01T10:00")
    (record,) = (store_path / "records" / "module" / "M1").glob("*/*_iv_curve_*.yaml")
    text = record.read_text()
    assert "  gain: 1500\n" in text
    # by hand: a measurement without a unit whose name looks like "name [unit]"
    record.write_text(text.replace("  gain: 1500\n", '  "gain [mV]": 1500\n'))
    gitcmd(store_path, "commit", "-qam", "a measurement renamed by hand")

    lines = svt("results", "--type", "iv_curve").stdout.splitlines()
    assert len(lines) == 4 and set(lines[1]) == {"-", " "}, lines
    shown = dict(zip(re.split(r"\s{2,}", lines[0].strip()),
                     re.split(r"\s{2,}", lines[2].strip())))
    assert shown == {"component": "M1", "date": "2025-03-01T10:00:00+00:00", "result": "pass",
                     "tested_by": "Test Tech",
                     # with its unit, in SI prefixes: 6.436e-06 A and 15000 nA
                     "current [A]": "6.44 \u00b5A", "leak_1 [nA]": "15.0 \u00b5A",
                     # no unit: the number as stored, not "1.50 V" read from its name
                     "gain [mV]": "1500"}, lines
    # JSON and CSV keep the stored numbers under the same column names
    (row,) = json.loads(svt("results", "--type", "iv_curve", "--format", "json").stdout)
    assert row["gain [mV]"] == 1500 and row["current [A]"] == 6.436e-06
    assert row["leak_1 [nA]"] == 15000


def test_results_grid_gives_each_columns_unit(store_path, svt):
    from svt_records import Database
    from svt_records.exchange.exporting import results_grid
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--current", "2e-06",
        "--measure", "gain=1500", "--date", "2025-03-01T10:00")
    grid = results_grid(Database(store_path), "iv_curve")
    assert dict(zip(grid.header, grid.units)) == {
        "component": None, "date": None, "result": None, "tested_by": None,
        "current [A]": "A", "gain": None}
    assert len(grid.rows[0]) == len(grid.header) == len(grid.units)


def test_columns_of_one_name_are_told_apart_so_json_loses_no_value(store_path, svt, gitcmd):
    """A measurement named "gain [mV]" by hand (no unit) beside "gain" in mV, and one named
    "date": without told-apart names, JSON's one key per name would drop values."""
    svt("add", "--id", "M1", "--type", "module")
    svt("add", "--id", "M2", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--measure", "gain=1500",
        "--measure", "drift=3", "--date", "2025-03-01T10:00")
    svt("test", "M2", "--type", "iv_curve", "--pass", "--measure", "gain=1.5mV",
        "--date", "2025-03-02T10:00")
    (record,) = (store_path / "records" / "module" / "M1").glob("*/*_iv_curve_*.yaml")
    text = record.read_text()
    record.write_text(text.replace("  gain: 1500\n", '  "gain [mV]": 1500\n')
                      .replace("  drift: 3\n", "  date: 3\n"))
    gitcmd(store_path, "commit", "-qam", "measurements renamed by hand")
    rows = json.loads(svt("results", "--type", "iv_curve", "--format", "json").stdout)
    by_id = {row["component"]: row for row in rows}
    keys = list(rows[0])
    assert len(keys) == len(set(keys))
    assert sorted(v for row in rows for k, v in row.items() if k.startswith("gain")
                  and v is not None) == [1.5, 1500]
    assert by_id["M1"]["date"] == "2025-03-01T10:00:00+00:00"
    assert 3 in by_id["M1"].values()  # the measurement named "date", under its own key
