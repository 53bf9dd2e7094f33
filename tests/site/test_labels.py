"""svt label: labels and sheets whose QR codes a real decoder (zbar) reads back, pages of the
right size with labels on the grid, and scanned label URLs taken as ids by other commands."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from svt_records.site import labels
from svt_records.exchange.bulk import add_from_csv

SITE = "https://hps.example.org/svt"
LONG_ID = "MODULE-L1-BOTTOM-STEREO-" + "X" * 36 + "-001"  # 64 characters, the longest
TOOLS = ("zbarimg", "rsvg-convert", "pdftoppm", "pdfinfo")
SVG_NS = {"svg": "http://www.w3.org/2000/svg"}


@pytest.fixture
def tools():
    """The Debian tools that read labels back (zbar-tools, librsvg2-bin, poppler-utils):
    .ci/run installs them, and CI fails without them; elsewhere their tests skip, saying why."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        message = (f"label tests need {', '.join(missing)}: apt-get install zbar-tools"
                   " librsvg2-bin poppler-utils")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def decode(png: Path) -> list[str]:
    """Every QR code zbar finds in an image, sorted."""
    proc = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True)
    return sorted(line for line in proc.stdout.splitlines() if line)


def svg_png(svg: Path, dpi: int = 150) -> Path:
    png = svg.with_suffix(".raster.png")
    run("rsvg-convert", "-d", str(dpi), "-p", str(dpi), str(svg), "-o", str(png))
    return png


def pdf_png(pdf: Path, page: int, dpi: int = 150) -> Path:
    """One page of a PDF as PNG."""
    out = pdf.parent / f"{pdf.stem}-p{page}"
    run("pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-singlefile",
        str(pdf), str(out))
    return out.with_suffix(".png")


def decode_cells(page: Path, cells: list[tuple[float, float, float, float]],
                 dpi: int = 150) -> list[str]:
    """What zbar reads in each cell (x, y, width, height in mm) of a page's raster, in
    order: one line per cell that holds exactly one code."""
    from matplotlib.image import imread, imsave
    pixels = imread(page)
    files = []
    for n, (x, y, w, h) in enumerate(cells):
        x0, y0, x1, y1 = (round(v * dpi / 25.4) for v in (x, y, x + w, y + h))
        files.append(page.parent / f"{page.stem}-cell{n}.png")
        imsave(files[-1], pixels[y0:y1, x0:x1])
    proc = subprocess.run(["zbarimg", "-q", "--raw", *map(str, files)], capture_output=True,
                          text=True)
    return [line for line in proc.stdout.splitlines() if line]


def build(db, png) -> None:
    """27 modules and a FEB (two A4 pages of 24), one with a serial number, one with the
    longest id; added from a CSV in one commit."""
    rows = ["id,type,serial,status", "HPK-SN123456,module,0042,incoming", "FEB-042,feb,,spare",
            f"{LONG_ID},module,SN-2024-000123,incoming"]
    rows += [f"MOD-{n:02d},module,S{n},incoming" for n in range(1, 26)]
    csv = png.parent / "components.csv"
    csv.write_text("\n".join(rows) + "\n")
    add_from_csv(db, csv)


# the index sorts by type, then id
ORDER = ["FEB-042"] + sorted(["HPK-SN123456", LONG_ID] + [f"MOD-{n:02d}" for n in range(1, 26)])


@pytest.fixture
def store(prebuilt):
    return prebuilt(build)


def set_site(store_root: Path, gitcmd) -> None:
    with open(store_root / "svt.yaml", "a") as f:
        f.write(f"site_url: {SITE}/\n")
    gitcmd(store_root, "commit", "-q", "-am", "the site's address")


def url(cid: str) -> str:
    return f"{SITE}/components/{cid}.html"


def label_groups(svg: Path) -> list[tuple[str, float, float]]:
    """(id, x, y) of each label on an SVG page, from its translate()."""
    out = []
    for g in ET.parse(svg).getroot().iterfind("svg:g", SVG_NS):
        x, y = map(float, re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)",
                                       g.get("transform")).groups())
        out.append((g.get("data-id"), x, y))
    return out


# ---- one label ------------------------------------------------------------------------------

def test_label_holds_the_id_without_a_site_and_shows_id_type_serial(store, svt, tmp_path, tools):
    result = svt("label", "HPK-SN123456", "FEB-042", "--out", str(tmp_path / "out"))
    assert "HPK-SN123456.svg" in result.stdout
    svg = tmp_path / "out" / "HPK-SN123456.svg"
    root = ET.parse(svg).getroot()
    assert (root.get("width"), root.get("height")) == ("50mm", "25mm")  # the smallest size
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["HPK-SN123456", "module", "S/N 0042"]
    assert decode(svg_png(svg)) == ["HPK-SN123456"]
    assert decode(svg_png(tmp_path / "out" / "FEB-042.svg")) == ["FEB-042"]


def test_label_holds_the_page_url_when_svt_yaml_names_the_site(store, svt, tmp_path, gitcmd,
                                                              tools):
    set_site(store.root, gitcmd)  # with a trailing slash, which the URL does not double
    assert "valid" in svt("validate").stdout  # svt.yaml's schema knows site_url
    svt("label", LONG_ID, "--out", str(tmp_path))
    svg = tmp_path / f"{LONG_ID}.svg"
    # legible at 50 x 25 mm: read back from a coarse 150 dpi raster
    assert decode(svg_png(svg, dpi=150)) == [url(LONG_ID)]
    texts = "".join(t.text for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text"))
    assert LONG_ID in texts  # the long id is broken over lines, never cut


def test_png_label_is_drawn_whole(store, svt, tmp_path, gitcmd, tools):
    set_site(store.root, gitcmd)
    svt("label", "HPK-SN123456", "--format", "png", "--size", "70x37mm", "--out", str(tmp_path))
    png = tmp_path / "HPK-SN123456.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert decode(png) == [url("HPK-SN123456")]


def test_label_svg_is_the_svg_text_for_the_site(tools, tmp_path):
    text = labels.label_svg({"id": "FEB-042", "type": "feb"}, SITE)
    assert text.startswith("<?xml") and 'data-payload="' + url("FEB-042") + '"' in text
    svg = tmp_path / "feb.svg"
    svg.write_text(text)
    assert decode(svg_png(svg)) == [url("FEB-042")]


# ---- bad input --------------------------------------------------------------------------------

def test_unknown_id_is_refused_and_no_file_is_written(store, svt, tmp_path):
    out = tmp_path / "out"
    result = svt("label", "HPK-SN123456", "NO-SUCH-1", "--out", str(out), ok=False)
    assert result.exit_code == 1
    assert "no component 'NO-SUCH-1'" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
    result = svt("label", "--sheet", "NO-SUCH-1", "--out", str(out), ok=False)
    assert result.exit_code == 1 and not out.exists()


@pytest.mark.parametrize("args, says", [
    (["--sheet", "--grid", "3by8"], "write COLSxROWS"),
    (["--sheet", "--grid", "3x8:80x37mm"], "do not fit on a4 paper"),
    (["HPK-SN123456", "--size", "5x5mm"], "--size '5x5mm'"),
    (["HPK-SN123456", "--format", "pdf"], "unknown label format 'pdf'"),
    (["--sheet", "--type", "feb", "--status", "incoming"], "no component matches"),
])
def test_bad_options_say_what_to_write(store, svt, tmp_path, args, says):
    out = tmp_path / "out"
    result = svt("label", *args, "--out", str(out), ok=False)
    assert result.exit_code != 0 and says in result.stderr
    assert not out.exists()


def test_without_segno_svt_says_how_to_install_it(store, svt, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "segno", None)  # as if not installed: import fails
    result = svt("label", "FEB-042", "--out", str(tmp_path / "out"), ok=False)
    assert result.exit_code == 1
    from svt_records.files.install import pip_command  # this installation's (test_install_hints)
    assert f"labels need segno for their QR codes: {pip_command('labels')}" in result.stderr
    assert not (tmp_path / "out").exists()


# ---- sheets -----------------------------------------------------------------------------------

def test_a4_sheet_is_a4_with_3_by_8_labels_of_70_by_37(store, svt, tmp_path, gitcmd, tools):
    set_site(store.root, gitcmd)
    svt("label", "--sheet", "--out", str(tmp_path))
    pages = sorted(tmp_path.glob("labels-a4-*.svg"))
    assert [p.name for p in pages] == ["labels-a4-1.svg", "labels-a4-2.svg"]
    root = ET.parse(pages[0]).getroot()
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == \
        ("210mm", "297mm", "0 0 210 297")
    groups = label_groups(pages[0]) + label_groups(pages[1])
    assert [g[0] for g in groups] == ORDER
    # 3 x 70 mm fill the width; 8 x 37 mm leave 1 mm, shared above and below
    expected = [v for r in range(8) for c in range(3) for v in (70.0 * c, 0.5 + 37.0 * r)]
    assert [v for g in groups[:24] for v in g[1:]] == pytest.approx(expected)
    assert [v for g in groups[24:] for v in g[1:]] == pytest.approx(expected[:8])
    for rect in ET.parse(pages[0]).getroot().iterfind("svg:g/svg:rect", SVG_NS):
        assert (rect.get("width"), rect.get("height")) == ("70", "37")
    # each label's code in its cell of the grid, read back from the page's raster
    cells = [(70.0 * c, 0.5 + 37.0 * r, 70.0, 37.0) for r in range(8) for c in range(3)]
    assert decode_cells(svg_png(pages[0]), cells) == [url(cid) for cid in ORDER[:24]]
    assert decode_cells(svg_png(pages[1]), cells[:4]) == [url(cid) for cid in ORDER[24:]]


def test_letter_pdf_sheet_is_letter_with_3_by_10_labels(store, svt, tmp_path, tools):
    svt("label", "--sheet", "--paper", "letter", "--format", "pdf", "--out", str(tmp_path))
    pdf = tmp_path / "labels-letter.pdf"
    info = run("pdfinfo", str(pdf))
    assert re.search(r"Pages:\s+1\n", info)
    assert re.search(r"Page size:\s+612 x 792 pts", info)  # 8.5 x 11 in
    # Avery 5160 stock: 66.7 x 25.4 mm labels 3.175 mm apart, the block centred on the page
    left, top = (215.9 - 3 * 66.7 - 2 * 3.175) / 2, (279.4 - 10 * 25.4) / 2
    cells = [(left + c * (66.7 + 3.175), top + r * 25.4, 66.7, 25.4)
             for r in range(10) for c in range(3)]
    assert decode_cells(pdf_png(pdf, 1), cells[:len(ORDER)]) == ORDER


def test_grid_type_and_ids_choose_the_labels_and_the_layout(store, svt, tmp_path, tools):
    svt("label", "--sheet", "--type", "feb", "--out", str(tmp_path / "feb"))
    assert [g[0] for g in label_groups(tmp_path / "feb" / "labels-a4-1.svg")] == ["FEB-042"]
    svt("label", "--sheet", "MOD-01", "MOD-02", "MOD-03", "--grid", "2x5:90x50mm:5x2mm",
        "--out", str(tmp_path / "grid"))
    page = tmp_path / "grid" / "labels-a4-1.svg"
    left, top = (210 - 185) / 2, (297 - (5 * 50 + 4 * 2)) / 2
    assert label_groups(page) == [("MOD-01", pytest.approx(left), pytest.approx(top)),
                                  ("MOD-02", pytest.approx(left + 95), pytest.approx(top)),
                                  ("MOD-03", pytest.approx(left), pytest.approx(top + 52))]
    cells = [(left, top, 90, 50), (left + 95, top, 90, 50), (left, top + 52, 90, 50)]
    assert decode_cells(svg_png(page), cells) == ["MOD-01", "MOD-02", "MOD-03"]


# ---- a scanned label is an id -------------------------------------------------------------------

def test_a_scanned_url_works_as_an_id(store, svt, svt_proc):
    shown = svt("show", url("HPK-SN123456"))
    assert shown.stdout.startswith("HPK-SN123456  (module)")
    svt("test", f"{SITE}/components/HPK-SN123456.html?from=label", "--type", "iv_curve",
        "--pass")
    svt("comment", "http://other.host/components/FEB-042.html", "label scanned")
    proc = svt_proc("show", url("HPK-SN123456"), "--format", "json")
    assert '"iv_curve"' in proc.stdout
    assert "label scanned" in svt("show", "FEB-042").stdout


def test_a_url_that_is_not_a_page_is_refused(store, svt):
    result = svt("show", f"{SITE}/HPK-SN123456", ok=False)
    assert result.exit_code == 1 and "has characters svt cannot use" in result.stderr


def test_a_folder_that_cannot_be_made_is_one_line_and_nothing_is_left(store, svt, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    result = svt("label", "FEB-042", "--out", str(blocker / "labels"), ok=False)
    assert result.exit_code == 1
    assert "cannot write labels to" in result.stderr and "--out" in result.stderr
    assert "Traceback" not in result.stderr and "Internal error" not in result.stderr
