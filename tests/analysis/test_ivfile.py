"""Reading IV and noise files (svt_records.analysis.ivfile) and drawing IV plots (svt_records.analysis.plots):
the formats, the columns by name or position, units, signs, and the refusals."""
from __future__ import annotations

import math

import pytest

from svt_records.model.errors import DataFileError, InvalidInput
from svt_records.analysis.ivfile import read_iv, read_noise


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_named_columns_in_any_order_and_units(tmp_path):
    path = write(tmp_path, "iv.csv", "# sensor HPK-1\nTemp [degC],Current [nA],Voltage [V]\n"
                                     "21.0,1.5,10\n21.5,2.5,20\n22.0,3.0,30\n")
    iv = read_iv(path)
    assert iv.voltage == [10.0, 20.0, 30.0]
    assert iv.current == pytest.approx([1.5e-9, 2.5e-9, 3.0e-9])
    assert iv.temperature == [21.0, 21.5, 22.0]
    assert iv.mean_temperature == pytest.approx(21.5)
    assert iv.points == [3, 4, 5]


@pytest.mark.parametrize("header,factor", [
    ("V,I (uA)", 1e-6), ("Bias [V];Current/mA", 1e-3), ("Voltage\tI_pA", 1e-12),
    ("bias voltage (kV),leakage current [µA]", 1e-6), ("U,I", 1.0)])
def test_unit_headers(tmp_path, header, factor):
    sep = ";" if ";" in header else "\t" if "\t" in header else ","
    kv = 1e3 if "kV" in header else 1.0
    path = write(tmp_path, "iv.txt", f"{header}\n1{sep}2\n3{sep}4\n")
    iv = read_iv(path)
    assert iv.voltage == pytest.approx([1 * kv, 3 * kv])
    assert iv.current == pytest.approx([2 * factor, 4 * factor])
    assert iv.temperature is None


def test_whitespace_text_without_header_is_read_by_position(tmp_path):
    path = write(tmp_path, "iv.dat", "0   0.0  20\n-50  -1e-9   20.5\n")
    iv = read_iv(path)
    assert iv.voltage == [0.0, -50.0]
    assert iv.current == [0.0, -1e-9]
    assert iv.temperature == [20.0, 20.5]


def test_whitespace_header_with_spaces_in_names(tmp_path):
    path = write(tmp_path, "iv.txt", "Bias Voltage [V]   Leakage Current [nA]\n-10 -3\n-20 -6\n")
    iv = read_iv(path)
    assert iv.voltage == [-10.0, -20.0]  # negative bias keeps its sign
    assert iv.current == pytest.approx([-3e-9, -6e-9])
    assert iv.magnitudes() == ([10.0, 20.0], pytest.approx([3e-9, 6e-9]))


def test_temperature_in_kelvin(tmp_path):
    path = write(tmp_path, "iv.csv", "V,I,T [K]\n1,1e-9,293.15\n2,2e-9,303.15\n")
    assert read_iv(path).temperature == pytest.approx([20.0, 30.0])


def test_unnamed_third_column_with_a_header_is_not_a_temperature(tmp_path):
    path = write(tmp_path, "iv.csv", "V,I,time\n1,1e-9,5\n2,2e-9,6\n")
    assert read_iv(path).temperature is None


def test_xlsx(tmp_path):
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["IV scan of HPK-1"], ["Voltage (V)", "Current (nA)"], [-10, -1.0], [-20, -2.0]):
        sheet.append(row)
    book.save(tmp_path / "iv.xlsx")
    iv = read_iv(tmp_path / "iv.xlsx")
    assert iv.voltage == [-10.0, -20.0]
    assert iv.current == pytest.approx([-1e-9, -2e-9])
    assert iv.points == [3, 4]


@pytest.mark.parametrize("text,where,says", [
    ("Voltage,Current\nabc,def\n", "iv.csv", "no numeric columns"),
    ("", "iv.csv", "no numeric columns"),
    ("V,I\n10,1e-9\n", "iv.csv:2", "only one data point"),
    ("V,I\n10,1e-9\n20,nan\n", "iv.csv:3", "nan"),
    ("V,I\n10,1e-9\n20,inf\n30,1e-9\n", "iv.csv:3", "finite"),
    ("V,I\n10,1e-9\n20,\n", "iv.csv:3", "missing"),
    ("V,I\n10,1e-9\n20,oops\n", "iv.csv:3", "not a number"),
    ("V,I [furlong]\n10,1\n20,2\n", "iv.csv", "unknown current unit 'furlong'"),
    ("10\n20\n", "iv.csv:1", "no current column"),
])
def test_bad_files_are_refused_naming_file_and_line(tmp_path, text, where, says):
    path = write(tmp_path, "iv.csv", text)
    with pytest.raises(DataFileError) as e:
        read_iv(path)
    message = str(e.value)
    assert message.startswith(str(tmp_path / where))
    assert says in message
    assert "\n" not in message
    assert isinstance(e.value, InvalidInput)  # the CLI's one-line, exit-1 error


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="cannot read"):
        read_iv(tmp_path / "none.csv")


def test_noise_file_with_and_without_header(tmp_path):
    with_header = read_noise(write(tmp_path, "a.csv", "channel,noise [e-]\n0,1000\n1,1100\n"))
    assert with_header.channel == [0, 1]
    assert with_header.noise == [1000.0, 1100.0]
    bare = read_noise(write(tmp_path, "b.txt", "5 900\n6 950.5\n"))
    assert bare.channel == [5, 6]
    assert bare.noise == [900.0, 950.5]


def test_noise_file_refusals(tmp_path):
    with pytest.raises(DataFileError, match=r"b.csv:3: .*whole number"):
        read_noise(write(tmp_path, "b.csv", "channel,noise\n0,1000\n1.5,1100\n"))
    with pytest.raises(DataFileError, match=r"c.csv:2: .*nan"):
        read_noise(write(tmp_path, "c.csv", "channel,noise\n0,nan\n1,1100\n"))


# ---- plots -----------------------------------------------------------------------------

def test_iv_figure_draws_a_reproducible_png(tmp_path):
    from svt_records.analysis.plots import iv_figure
    a = read_iv(write(tmp_path, "a.csv", "V,I\n-10,-1e-9\n-20,-2e-9\n-30,0\n-40,-5e-8\n"))
    b = read_iv(write(tmp_path, "b.csv", "V,I [nA]\n10,1.5\n20,2.5\n40,4\n"))
    iv_figure([("HPK-1", a), b], tmp_path / "one.png", operating_voltage=-20,
              breakdown=[35.0, None], title="two curves")
    iv_figure([("HPK-1", a), b], tmp_path / "two.png", operating_voltage=-20,
              breakdown=[35.0, None], title="two curves")
    png = (tmp_path / "one.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert png == (tmp_path / "two.png").read_bytes()
    iv_figure(a, tmp_path / "single.png", breakdown=-35.0)
    assert (tmp_path / "single.png").read_bytes() != png


def test_plots_sharing_limits_reuse_the_drawn_axes_and_match_a_fresh_drawing(tmp_path):
    # the second plot restores the axes the first drew (same limits): it must come out byte
    # for byte as when drawn first in a fresh process, with nothing of the first plot left
    from svt_records.analysis import plots
    first = read_iv(write(tmp_path, "a.csv", "V,I\n10,2e-9\n50,3e-9\n100,8e-9\n"))
    second = read_iv(write(tmp_path, "b.csv", "V,I\n10,4e-9\n60,5e-9\n100,6e-9\n"))
    assert plots.iv_limits([(10, 2e-9), (100, 8e-9)]) == \
        plots.iv_limits([(10, 4e-9), (100, 6e-9)])
    plots.iv_figure([("A", first)], tmp_path / "a.png", title="A")
    kept = dict(plots._backgrounds)
    plots.iv_figure([("B", second)], tmp_path / "b-after-a.png", title="A")
    # drawn on the kept background: the very object, not one drawn again under its key
    assert plots._backgrounds.keys() == kept.keys()
    assert all(plots._backgrounds[key] is background for key, background in kept.items())
    plots._backgrounds.clear()
    plots._iv_reused.clear()
    plots.iv_figure([("B", second)], tmp_path / "b-fresh.png", title="A")
    assert (tmp_path / "b-after-a.png").read_bytes() == (tmp_path / "b-fresh.png").read_bytes()
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b-fresh.png").read_bytes()


@pytest.mark.parametrize("points,marks,xlim,ylim", [
    ([(10, 2e-9), (100, 8e-9)], [], (0.0, 120.0), (1e-9, 1e-8)),
    ([(10, 1e-9), (200, 1e-6)], [250.0], (0.0, 300.0), (1e-10, 1e-5)),
    ([(5, 3e-7)], [], (0.0, 6.0), (1e-7, 1e-6)),
    ([], [], (0.0, 1.0), (1e-12, 1e-3)),
    ([(5e-324, 1e-9)], [], (0.0, 1.0), (1e-10, 1e-8)),
])
def test_iv_limits_are_round(points, marks, xlim, ylim):
    from svt_records.analysis.plots import iv_limits
    got_x, got_y = iv_limits(points, marks)
    assert got_x == pytest.approx(xlim)
    assert got_y == pytest.approx(ylim)


def test_iv_limits_hold_every_point_and_mark():
    from hypothesis import given, strategies as st

    from svt_records.analysis.plots import iv_limits
    volts = st.floats(0, 5000, allow_nan=False)
    amps = st.floats(1e-15, 1.0, allow_nan=False)

    @given(st.lists(st.tuples(volts, amps), min_size=1, max_size=30), st.lists(volts, max_size=3))
    def check(points, marks):
        (x0, x1), (y0, y1) = iv_limits(points, marks)
        assert x0 == 0 and x1 > 0
        for v, i in points:
            assert v < x1 and y0 < i < y1
        assert all(m < x1 for m in marks)
        # less than a quarter of the range past the last voltage, and whole decades
        last = max([v for v, _ in points] + marks)
        assert x1 < 1.04 * 1.25 * last or (last < 1e-3 and x1 == 1)
        for y in (y0, y1):
            assert abs(math.log10(y) - round(math.log10(y))) < 1e-9
    check()
