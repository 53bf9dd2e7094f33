"""Issue 24, denial of service: a data file costs bounded work whatever it holds.

A 5 kB .xlsx whose <dimension> claims a full sheet (and holds one cell in its far corner)
kept `svt site` busy for an hour of CPU, on every Pages build: openpyxl fills every row out
to the claimed width. The caps on a data file's size, rows and columns (built into svt:
analysis/ivfile.py) are checked before the rows are parsed, and an .xlsx workbook's size
unpacked and claimed dimensions before openpyxl reads a row. Calls that would run away on
the code before run in a process of their own with a time limit."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest


def git(path: Path, *args: str) -> str:
    """Run git in ``path`` (as conftest.git does; imported from no conftest, whose module
    name another folder's conftest.py may take)."""
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout

LIMIT = 30  # seconds; the capped code needs well under one


def workbook(rows: list[list], *, dimension: str | None = None, corner: bool = False,
             padding: int = 0) -> bytes:
    """An .xlsx of ``rows``; its <dimension> rewritten, a cell put in the sheet's far
    corner, or ``padding`` bytes of white space in the sheet (which compress to nothing)."""
    import openpyxl
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    raw = io.BytesIO()
    book.save(raw)
    source = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                if dimension:
                    data = re.sub(rb'<dimension ref="[^"]*" ?/>',
                                  f'<dimension ref="{dimension}"/>'.encode(), data)
                if corner:
                    data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576">'
                                                         b'<v>1</v></c></row></sheetData>')
                if padding:
                    data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * padding)
            target.writestr(info.filename, data)
    return out.getvalue()


IV_ROWS = [["voltage [V]", "current [A]"]] + [[v, v * 1e-8] for v in range(0, 100, 20)]


def read_iv_in_a_process(path: Path) -> tuple[float, str]:
    """(seconds, what read_iv said) in a process of its own, killed after LIMIT seconds."""
    code = ("import sys\nfrom svt_records.analysis import ivfile\n"
            "try:\n    ivfile.read_iv(sys.argv[1])\n    print('read')\n"
            "except ivfile.DataFileError as e:\n    print(e)\n")
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                              text=True, timeout=LIMIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path.name} took over {LIMIT} s")
    return time.monotonic() - start, proc.stdout.strip() + proc.stderr.strip()


def test_an_xlsx_claiming_a_full_sheet_is_refused_before_any_row_is_read(tmp_path):
    bomb = tmp_path / "iv.xlsx"
    bomb.write_bytes(workbook(IV_ROWS, dimension="A1:XFD1048576", corner=True))
    assert bomb.stat().st_size < 10_000
    took, said = read_iv_in_a_process(bomb)
    assert "claims (its <dimension>) 1,048,576 rows" in said and "at most 100,000" in said
    assert took < LIMIT


def test_an_xlsx_without_a_dimension_stops_at_the_caps(tmp_path):
    from svt_records.analysis import ivfile
    sheet = workbook(IV_ROWS, corner=True)
    sheet = re.sub(rb'<dimension ref="[^"]*" ?/>', b"", zipfile.ZipFile(io.BytesIO(sheet)).read(
        "xl/worksheets/sheet1.xml"))
    path = tmp_path / "iv.xlsx"
    with zipfile.ZipFile(io.BytesIO(workbook(IV_ROWS))) as good, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bad:
        for info in good.infolist():
            bad.writestr(info.filename, sheet if info.filename.endswith("sheet1.xml")
                         else good.read(info.filename))
    with pytest.raises(ivfile.DataFileError, match="rows; svt reads data files of at most"):
        ivfile.read_iv(path)


def test_an_xlsx_that_unpacks_to_more_than_the_cap_is_refused_unread(tmp_path):
    path = tmp_path / "iv.xlsx"
    path.write_bytes(workbook(IV_ROWS, padding=65 * 1048576))  # the cap: 64 MiB
    assert path.stat().st_size < 1_000_000
    took, said = read_iv_in_a_process(path)
    assert "unpacks to" in said and "MiB" in said


def test_a_data_file_over_the_size_cap_is_refused_unread(tmp_path):
    path = tmp_path / "iv.csv"
    with open(path, "wb") as fh:
        fh.write(b"voltage,current\n0,0\n")
        fh.truncate(64 * 1048576)  # sparse: nothing written, nothing to read
    took, said = read_iv_in_a_process(path)
    assert "64.0 MiB; svt reads data files of at most 16 MiB" in said


def test_a_data_file_over_the_row_cap_is_refused(tmp_path):
    from svt_records.analysis import ivfile
    path = tmp_path / "iv.csv"
    path.write_text("voltage,current\n" + "1,2e-9\n" * 100_001)
    with pytest.raises(ivfile.DataFileError, match="100,002 rows; svt reads data files of"
                                                   " at most 100,000 rows"):
        ivfile.read_iv(path)


@pytest.mark.parametrize("separator", [",", " ", ";"])
def test_a_data_file_over_the_column_cap_is_refused(tmp_path, separator):
    from svt_records.analysis import ivfile
    path = tmp_path / "iv.txt"
    path.write_text("\n".join(separator.join(str(v) for v in range(100)) for _ in range(5)))
    with pytest.raises(ivfile.DataFileError, match="100 columns; svt reads data files of at"
                                                   " most 64 columns"):
        ivfile.read_iv(path)


def test_svt_test_refuses_a_data_file_over_the_caps_in_one_line(db, svt, tmp_path):
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    path = tmp_path / "iv.csv"
    path.write_text("voltage,current\n" + "1,2e-9\n" * 150_000)
    result = svt("test", "MOD-1", "--type", "iv_curve", "--data", str(path), ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "at most 100,000 rows" in result.stderr
    assert db.tests("MOD-1") == []


def test_svt_site_draws_a_store_with_an_xlsx_bomb_in_bounded_time(db, tmp_path):
    """The Pages build: the bomb replaces a good IV workbook in a pull request."""
    good = tmp_path / "iv.xlsx"
    good.write_bytes(workbook(IV_ROWS))
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    event = db.record_test("MOD-1", "iv_curve", data_files=[str(good)], date="2025-01-10T10:00")
    entry = next(f for f in db.load(event)["files"] if f["path"].endswith(".xlsx"))
    stored = db.root / event.rsplit("/", 1)[0] / entry["path"]
    stored.write_bytes(workbook(IV_ROWS, dimension="A1:XFD1048576", corner=True))
    git(db.root, "commit", "-q", "-am", "a pull request")
    out = tmp_path / "public"
    try:
        proc = subprocess.run([sys.executable, "-m", "svt_records", "site", str(out)],
                              capture_output=True, text=True, timeout=LIMIT * 2,
                              env=dict(os.environ, SVT_REPO=str(db.root)))
    except subprocess.TimeoutExpired:
        pytest.fail(f"svt site took over {LIMIT * 2} s")
    assert proc.returncode == 0, proc.stderr
    assert (out / "components/iv/MOD-1.png").is_file()  # says the file is not readable
