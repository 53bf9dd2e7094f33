"""Labels with QR codes: one label per component (SVG, PNG) and sheets of labels on printable
pages (SVG, PDF).

A label is laid out once, in millimetres, as shapes (the QR code's modules, lines of text);
two back-ends draw it: SVG text written here (no dependency beyond segno, which makes the
code), and matplotlib for PNG and PDF (the ``site`` extra). The QR code holds the URL of the
component's page when svt.yaml names the site (``site_url``), else the id.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence
from html import escape

from .. import model
from ..model.errors import InvalidInput, MissingExtra, NotFoundError, SvtError
from . import new_file

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..api.database import Database

LABEL_SIZE = (50.0, 25.0)  # one label, width x height in mm: legible down to 50 x 25
PAPERS = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}  # width x height, mm
LABEL_FORMATS = ("svg", "png")
SHEET_FORMATS = ("svg", "pdf")

# The text is monospaced, so its width is known without font metrics: DejaVu Sans Mono
# (matplotlib ships it) advances 0.602 em per character.
FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
ADVANCE = 0.61
MIN_TEXT_SIZE = 1.8  # mm: type and serial number (about 5 pt)
QUIET_MODULES = 4   # white modules around the code (the label's margin adds to it)
PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class Grid:
    """Labels on a page: COLS x ROWS labels of WIDTH x HEIGHT mm, GAP_X/GAP_Y mm apart,
    the block centred on the page."""

    cols: int
    rows: int
    width: float
    height: float
    gap_x: float = 0.0
    gap_y: float = 0.0

    def origins(self, paper: tuple[float, float]) -> list[tuple[float, float]]:
        """Each label's top-left corner (mm from the page's top-left), row by row."""
        left = (paper[0] - self.cols * self.width - (self.cols - 1) * self.gap_x) / 2
        top = (paper[1] - self.rows * self.height - (self.rows - 1) * self.gap_y) / 2
        return [(left + c * (self.width + self.gap_x), top + r * (self.height + self.gap_y))
                for r in range(self.rows) for c in range(self.cols)]


# A4 3 x 8 of 70 x 37 mm; US Letter 3 x 10 of 66.7 x 25.4 mm (address labels, 1/8" apart)
DEFAULT_GRIDS = {"a4": Grid(3, 8, 70.0, 37.0), "letter": Grid(3, 10, 66.7, 25.4, 3.175, 0.0)}

_NUM = r"(\d+(?:\.\d+)?)"
_GRID_RE = re.compile(rf"^(\d+)x(\d+)(?::{_NUM}x{_NUM}(?:mm)?(?::{_NUM}x{_NUM}(?:mm)?)?)?$")
_SIZE_RE = re.compile(rf"^{_NUM}x{_NUM}(?:mm)?$")
GRID_FORM = "COLSxROWS[:WxHmm[:GAPXxGAPYmm]], e.g. 3x8 or 2x7:99.1x38.1mm:2.5x0mm"


def parse_grid(text: str, paper: str) -> Grid:
    """A --grid: COLSxROWS fills the page with equal labels; :WxHmm gives the labels' size
    and :GAPXxGAPYmm the space between them (the block is centred on the page)."""
    match = _GRID_RE.match(text.strip().lower())
    if match is None:
        raise InvalidInput(f"--grid {text!r}: write {GRID_FORM}")
    cols, rows = int(match.group(1)), int(match.group(2))
    page_w, page_h = PAPERS[paper]
    if not (1 <= cols <= 20 and 1 <= rows <= 40):
        raise InvalidInput(f"--grid {text!r}: use 1 to 20 columns and 1 to 40 rows")
    w, h, gx, gy = (float(v) if v else None for v in match.group(3, 4, 5, 6))
    grid = Grid(cols, rows, w or page_w / cols, h or page_h / rows, gx or 0.0, gy or 0.0)
    span = (cols * grid.width + (cols - 1) * grid.gap_x, rows * grid.height + (rows - 1) * grid.gap_y)
    if grid.width <= 0 or grid.height <= 0 or span[0] > page_w + 1e-6 or span[1] > page_h + 1e-6:
        raise InvalidInput(f"--grid {text!r}: {span[0]:g} x {span[1]:g} mm of labels do not fit"
                           f" on {paper} paper ({page_w:g} x {page_h:g} mm)")
    return grid


def parse_size(text: str) -> tuple[float, float]:
    """A label's size, WxHmm (e.g. 50x25mm)."""
    match = _SIZE_RE.match(text.strip().lower())
    if match is None or not all(10 <= float(v) <= 300 for v in match.groups()):
        raise InvalidInput(f"--size {text!r}: write WIDTHxHEIGHTmm, each 10 to 300 mm,"
                           " e.g. 50x25mm")
    return float(match.group(1)), float(match.group(2))


def payload(component_id: str, site_url: str | None) -> str:
    """What the QR code holds: the component's page when the site is known, else its id."""
    return model.component_url(site_url, component_id) if site_url else component_id


# ---- layout -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    size: float  # mm
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Layout:
    """One label, in mm from its top-left corner."""

    component_id: str
    payload: str
    width: float
    height: float
    qr_x: float
    qr_y: float
    module: float  # mm per QR module
    runs: tuple[tuple[int, int, int], ...]  # dark modules: (row, first column, count)
    texts: tuple[Text, ...]


def available() -> bool:
    """Whether segno (the labels extra), which draws the QR codes, is installed."""
    import importlib.util
    try:
        return importlib.util.find_spec("segno") is not None
    except ValueError:  # a segno in sys.modules without a __spec__: not a usable install
        return False


def _qr_runs(data: str, mask: int | None = None
             ) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The QR code of ``data``: its size in modules and its dark modules, row by row. segno
    picks the mask that scores best unless ``mask`` is given (five times faster)."""
    try:
        import segno
    except ImportError:
        from ..files.install import pip_command
        raise MissingExtra("labels need segno for their QR codes", "labels",
                           pip_command("labels")) from None
    matrix = segno.make(data, error="m", micro=False, mask=mask).matrix
    runs = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return len(matrix), tuple(runs)


def _fit(text: str, width: float, size: float, least: float) -> tuple[str, float]:
    """``text`` at the largest size up to ``size`` that fits ``width`` (not below ``least``:
    cut, ending in '…', instead)."""
    if not text:
        return text, size
    size = min(size, width / (len(text) * ADVANCE))
    if size >= least:
        return text, size
    keep = max(1, int(width / (least * ADVANCE)) - 1)
    return text[:keep] + "…", least


def layout(component: dict, data: str, size: tuple[float, float] = LABEL_SIZE,
           mask: int | None = None) -> Layout:
    """Lay out ``component``'s label holding ``data`` in its QR code: the code at the left,
    filling the height; at its right the id in large type, then the type and serial number."""
    width, height = size
    margin = 0.06 * min(width, height)
    modules, runs = _qr_runs(data, mask)
    side = min(height, width / 2) - 2 * margin
    module = side / (modules + 2 * QUIET_MODULES)
    qr_x = margin + QUIET_MODULES * module
    qr_y = (height - modules * module) / 2
    left = margin + side + margin / 2
    avail = width - left - margin
    cid = str(component["id"])
    # the id as large as fits, on one line or (long ids) on up to three, never cut
    # (broken only where that makes its type half as large again)
    id_size, lines = 0.0, [cid]
    for n in (1, 2, 3):
        chunk = math.ceil(len(cid) / n)
        candidate = min(0.3 * height / n, avail / (chunk * ADVANCE))
        if candidate > 1.5 * id_size:
            id_size, lines = candidate, [cid[i:i + chunk] for i in range(0, len(cid), chunk)]
    info = [str(component.get("type") or "")]
    if component.get("serial_number"):
        info.append(f"S/N {component['serial_number']}")
    small = max(min(0.6 * id_size, 0.14 * height), MIN_TEXT_SIZE)
    fitted = [_fit(text, avail, small, MIN_TEXT_SIZE) for text in info]
    small = min(s for _, s in fitted)
    block = len(lines) * id_size * 1.15 + len(fitted) * small * 1.35
    y = (height - block) / 2
    texts = []
    for line in lines:
        y += id_size
        texts.append(Text(left, y, id_size, line, bold=True))
        y += id_size * 0.15
    y += small * 0.2
    for text, _ in fitted:
        y += small
        texts.append(Text(left, y, small, text))
        y += small * 0.35
    return Layout(cid, data, width, height, qr_x, qr_y, module, runs, tuple(texts))


# ---- SVG ----------------------------------------------------------------------------------

def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _svg_group(lab: Layout, x: float, y: float) -> str:
    path = "".join(f"M{c} {r}h{n}v1h-{n}z" for r, c, n in lab.runs)
    out = [f'<g class="label" data-id="{escape(lab.component_id)}"'
           f' data-payload="{escape(lab.payload)}" transform="translate({_n(x)} {_n(y)})">',
           f'<rect width="{_n(lab.width)}" height="{_n(lab.height)}" fill="#fff"/>',
           f'<path class="qr" d="{path}" fill="#000" shape-rendering="crispEdges"'
           f' transform="translate({_n(lab.qr_x)} {_n(lab.qr_y)}) scale({lab.module:.5f})"/>']
    for t in lab.texts:
        weight = ' font-weight="bold"' if t.bold else ""
        out.append(f'<text x="{_n(t.x)}" y="{_n(t.y)}" font-size="{_n(t.size)}"'
                   f' font-family="{FONT}"{weight}>{escape(t.text)}</text>')
    out.append("</g>")
    return "\n".join(out)


def _svg(width: float, height: float, groups: Iterable[str]) -> str:
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}mm" height="{_n(height)}mm"'
        f' viewBox="0 0 {_n(width)} {_n(height)}">', *groups, "</svg>", ""])


def label_svg(component: dict, site_url: str | None = None,
              size: tuple[float, float] = LABEL_SIZE, mask: int | None = None) -> str:
    """The SVG text of ``component``'s label (its record: id, type, serial_number), its QR
    code holding its page's URL on ``site_url`` (or its id without one); ``mask`` as for
    :func:`_qr_runs`."""
    lab = layout(component, payload(str(component["id"]), site_url), size, mask)
    return _svg(lab.width, lab.height, [_svg_group(lab, 0, 0)])


def sheet_svg(labels: Sequence[Layout], paper: str, grid: Grid) -> list[str]:
    """One SVG page per ``grid``-full of labels."""
    origins = grid.origins(PAPERS[paper])
    per_page = len(origins)
    return [_svg(*PAPERS[paper], [_svg_group(lab, *xy) for lab, xy in
                                  zip(labels[start:start + per_page], origins)])
            for start in range(0, len(labels), per_page)]


# ---- matplotlib (PNG, PDF) ---------------------------------------------------------------

def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        from ..files.install import pip_command
        raise MissingExtra("PNG labels and PDF sheets need matplotlib", "site",
                           pip_command("site"), " (or write SVG: --format svg)") from None
    fig = Figure(figsize=(width / 25.4, height / 25.4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # y down, as in SVG
    ax.set_axis_off()
    return fig


def _draw(fig: Figure, lab: Layout, x: float, y: float) -> None:
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MplPath
    ax = fig.axes[0]
    ax.add_patch(Rectangle((x, y), lab.width, lab.height, facecolor="white", linewidth=0))
    ox, oy, m = x + lab.qr_x, y + lab.qr_y, lab.module
    vertices, codes = [], []
    for r, c, n in lab.runs:
        x0, y0 = ox + c * m, oy + r * m
        vertices += [(x0, y0), (x0 + n * m, y0), (x0 + n * m, y0 + m), (x0, y0 + m), (x0, y0)]
        codes += [MplPath.MOVETO] + [MplPath.LINETO] * 3 + [MplPath.CLOSEPOLY]
    ax.add_patch(PathPatch(MplPath(vertices, codes), facecolor="black", linewidth=0,
                           antialiased=False))
    for t in lab.texts:
        ax.text(x + t.x, y + t.y, t.text, fontsize=t.size * PT_PER_MM, va="baseline",
                family="DejaVu Sans Mono", weight="bold" if t.bold else "normal")


def _png(lab: Layout, path: Path) -> None:
    fig = _figure(lab.width, lab.height)
    _draw(fig, lab, 0, 0)
    fig.savefig(path, format="png", dpi=300)


def _pdf(labels: Sequence[Layout], paper: str, grid: Grid, path: Path) -> None:
    from matplotlib.backends.backend_pdf import PdfPages
    origins = grid.origins(PAPERS[paper])
    with PdfPages(path) as pdf:
        for start in range(0, len(labels), len(origins)):
            fig = _figure(*PAPERS[paper])
            for lab, xy in zip(labels[start:start + len(origins)], origins):
                _draw(fig, lab, *xy)
            pdf.savefig(fig)


# ---- what svt label does -------------------------------------------------------------------

def components(db: Database, ids: Sequence[str], component_type: str | None = None,
               status: str | None = None) -> list[dict]:
    """The records to label: ``ids`` (each must exist), else every component (sorted by type
    and id); either kept to ``component_type`` and ``status`` when given."""
    if ids:
        records = []
        for cid in ids:
            record = db.get_component(cid)
            if record is None:
                raise NotFoundError(f"no component {cid!r}: `svt list` shows the ids;"
                                    " no label was written")
            records.append(record)
    else:
        from ..index.queries import Index
        records = Index(db).components(component_type, status)
    keep = [r for r in records if (component_type is None or r.get("type") == component_type)
            and (status is None or r.get("status") == status)]
    if not keep:
        raise NotFoundError("no component matches: no label was written")
    return keep


def _write_all(files: dict[Path, Callable[[Path], None]]) -> list[Path]:
    """Write each file through a temporary file beside it, then move them all into place:
    a failure leaves no file half-written."""
    done: list[tuple[Path, Path]] = []
    try:
        for path, write in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = new_file(path.parent, ".svt-label-", path.suffix)  # as the site's files
            done.append((tmp, path))
            write(tmp)
    except BaseException as exc:
        for tmp, _ in done:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise SvtError(f"cannot write labels to {path.parent}: {exc.strerror or exc};"
                           " choose another folder with --out") from None
        raise
    for tmp, path in done:
        os.replace(tmp, path)
    return [path for _, path in done]


def _text_writer(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")
    return write


def write_labels(db: Database, ids: Sequence[str], out: str | os.PathLike, fmt: str = "svg",
                 size: tuple[float, float] = LABEL_SIZE) -> list[Path]:
    """One label file per component, ``<out>/<ID>.<fmt>``; the paths written."""
    model.check_choice(fmt, LABEL_FORMATS, "label format")
    site_url = db.config.get("site_url")
    layouts = [layout(r, payload(r["id"], site_url), size) for r in components(db, ids)]
    if fmt == "png":
        _figure(1, 1)  # matplotlib's absence is said before any file is written
    files: dict[Path, Callable[[Path], None]] = {}
    for lab in layouts:
        target = Path(out) / f"{lab.component_id}.{fmt}"
        files[target] = (_text_writer(_svg(lab.width, lab.height, [_svg_group(lab, 0, 0)]))
                         if fmt == "svg" else partial(_png, lab))
    return _write_all(files)


def write_sheet(db: Database, ids: Sequence[str], out: str | os.PathLike, *,
                component_type: str | None = None, status: str | None = None,
                paper: str = "a4", grid: str | None = None, fmt: str = "svg") -> list[Path]:
    """Sheets of labels: ``<out>/labels-<paper>-<n>.svg`` (one per page) or one PDF,
    ``<out>/labels-<paper>.pdf``; the paths written."""
    model.check_choice(paper, tuple(PAPERS), "paper")
    model.check_choice(fmt, SHEET_FORMATS, "sheet format")
    layout_grid = parse_grid(grid, paper) if grid else DEFAULT_GRIDS[paper]
    site_url = db.config.get("site_url")
    size = (layout_grid.width, layout_grid.height)
    layouts = [layout(r, payload(r["id"], site_url), size)
               for r in components(db, ids, component_type, status)]
    folder = Path(out)
    if fmt == "pdf":
        _figure(1, 1)
        return _write_all({folder / f"labels-{paper}.pdf":
                           partial(_pdf, layouts, paper, layout_grid)})
    pages = sheet_svg(layouts, paper, layout_grid)
    return _write_all({folder / f"labels-{paper}-{n}.svg": _text_writer(page)
                       for n, page in enumerate(pages, 1)})
