"""Plots: the shared matplotlib set-up (Agg backend, the mplhep style) and the figures of
the analyses. matplotlib comes from the ``site`` extra and is imported on the first plot
only, so commands that draw nothing never load it.

`svt test --data` draws one plot in a fresh process (issue 15: at most 1.0 s with the
analysis), so the set-up loads no more than the Figure needs: no pyplot, no mplhep (its
style is copied below, its one font file registered from mplhep_data), no mathtext (log
axes are labelled 10⁻⁹ in plain text), and matplotlib's docstrings of artist properties
are not built (docs/performance.md, issue 15).

IV plots have round limits (whole decades of current, a round voltage), so plots of one
store compare at a glance, and a process drawing many of them (the site, issue 14) draws
the axes of each set of limits once: each plot's curves, marks and legend are drawn over a
copy of them, the frame over the curves (matplotlib's blitting; ticks lie under curves).

PNG files are written without a time stamp or software version, so the same curve gives
the same bytes (a redrawn plot that did not change leaves git nothing to commit).
"""
from __future__ import annotations

import math
import os
import sys
from typing import TYPE_CHECKING, Any, Sequence, Union

from ..model.errors import MissingExtra

if TYPE_CHECKING:
    from .ivfile import IVData

# mplhep's generic style (HPS has no style of its own): mplhep 1.3.3's ROOT style, which is
# its CMS dict in mplhep/styles/cms.py, copied here because importing mplhep costs about as
# much as matplotlib (it loads pyplot and all its plotters)
COLOURS = ["#5790fc", "#f89c20", "#e42536", "#964a8b", "#9c9ca1", "#7a21dd"]
MPLHEP_STYLE: dict[str, Any] = {
    "font.sans-serif": ["TeX Gyre Heros", "Helvetica", "Arial"],
    "font.family": "sans-serif",
    "mathtext.fontset": "custom",
    "mathtext.rm": "TeX Gyre Heros",
    "mathtext.bf": "TeX Gyre Heros:bold",
    "mathtext.sf": "TeX Gyre Heros",
    "mathtext.it": "TeX Gyre Heros:italic",
    "mathtext.tt": "TeX Gyre Heros",
    "mathtext.cal": "TeX Gyre Heros",
    "mathtext.default": "regular",
    "axes.labelsize": "medium",
    "axes.unicode_minus": False,
    "xtick.labelsize": "small",
    "ytick.labelsize": "small",
    "legend.fontsize": "small",
    "legend.handlelength": 1.5,
    "legend.borderpad": 0.5,
    "legend.frameon": False,
    "xtick.direction": "in",
    "xtick.major.size": 12,
    "xtick.minor.size": 6,
    "xtick.major.pad": 6,
    "xtick.top": True,
    "xtick.major.top": True,
    "xtick.major.bottom": True,
    "xtick.minor.top": True,
    "xtick.minor.bottom": True,
    "xtick.minor.visible": True,
    "ytick.direction": "in",
    "ytick.major.size": 12,
    "ytick.minor.size": 6.0,
    "ytick.right": True,
    "ytick.major.left": True,
    "ytick.major.right": True,
    "ytick.minor.left": True,
    "ytick.minor.right": True,
    "ytick.minor.visible": True,
    "grid.alpha": 0.8,
    "grid.linestyle": ":",
    "axes.linewidth": 2,
    "savefig.transparent": False,
    "xaxis.labellocation": "right",
    "yaxis.labellocation": "top",
}
# the style's font, from mplhep_data (mplhep's dependency); only the regular face is read
# (nothing here is bold or italic): reading the others cost 0.1 s. DejaVu Sans (matplotlib's
# own) draws what it lacks, such as the superscripts of 10⁻⁹, and everything without it.
HEROS = ("fonts", "texgyreheros", "texgyreheros-regular.otf")
FALLBACK_FONT = "DejaVu Sans"
FIGSIZE = (8.0, 6.0)  # for a web page
DPI = 100
# mplhep's text is sized for 10-inch figures (26 pt); these plots are 6 to 8 inches wide,
# where that text overflows the margins
FONT_SIZE = 13.0
PNG_METADATA: dict[str, Any] = {"Software": None}  # None: left out
PNG_COMPRESSION = 3  # zlib level: 6 (the default) costs 13 ms more a plot for 2.5 % less size
SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075"
                            "\u2076\u2077\u2078\u2079")

_styled = False
_pyplot: Any = None


def setup() -> Any:
    """matplotlib with the Agg backend and the shared style (rcParams), set up once; returns
    the matplotlib module. Raises MissingExtra (the ``site`` extra) when
    matplotlib is missing."""
    global _styled
    try:
        import matplotlib
    except ImportError:
        raise MissingExtra("drawing plots needs matplotlib", "site") from None  # CLI: how
    if not _styled:
        from cycler import cycler  # matplotlib's dependency, imported by it
        matplotlib.use("Agg", force=True)
        rc: Any = matplotlib.rcParams
        rc.update(MPLHEP_STYLE)
        rc.update({
            "axes.prop_cycle": cycler("color", COLOURS), "font.size": FONT_SIZE,
            "figure.figsize": FIGSIZE, "savefig.dpi": DPI,
            "font.family": _fonts()})
        _styled = True
    return matplotlib


def _fonts() -> list[str]:
    """The font families to draw with: TeX Gyre Heros registered from mplhep_data when it
    is installed, then DejaVu Sans for the glyphs it lacks."""
    import importlib.util
    from pathlib import Path
    spec = importlib.util.find_spec("mplhep_data")  # finds the folder, imports nothing
    heros = Path(spec.origin).parent.joinpath(*HEROS) if spec and spec.origin else None
    if heros is None or not heros.is_file():
        return [FALLBACK_FONT]
    from matplotlib import font_manager
    font_manager.fontManager.addfont(str(heros))
    return ["TeX Gyre Heros", FALLBACK_FONT]


def _figure_modules() -> tuple[Any, Any]:
    """matplotlib's Figure and FigureCanvasAgg. The first import of matplotlib.figure gives
    each artist class's ``set()`` a signature and a docstring listing every property (over
    half of that import); nothing here reads them, so they are left out (``help()`` shows
    less; ``set()`` works the same)."""
    if "matplotlib.figure" not in sys.modules:
        from matplotlib import artist
        kwdoc = artist.kwdoc
        update = artist.Artist.__dict__.get("_update_set_signature_and_docstring")
        setattr(artist, "kwdoc", lambda _: "Properties: see the matplotlib documentation")
        if update is not None:
            setattr(artist.Artist, "_update_set_signature_and_docstring",
                    classmethod(_set_generated))
        try:
            import matplotlib.figure  # noqa: F401
        finally:
            setattr(artist, "kwdoc", kwdoc)
            if update is not None:
                setattr(artist.Artist, "_update_set_signature_and_docstring", update)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    return Figure, FigureCanvasAgg


def _set_generated(cls: Any) -> None:
    # what matplotlib's _update_set_signature_and_docstring marks besides the signature:
    # subclasses then get a set() of their own, as before
    cls.set._autogenerated_signature = True


def pyplot() -> Any:
    """matplotlib.pyplot, set up as :func:`setup` does (for code that wants pyplot; the
    figures here do without it, which saves its import)."""
    global _pyplot
    if _pyplot is None:
        setup()
        _figure_modules()
        import matplotlib.pyplot as plt
        _pyplot = plt
    return _pyplot


def figure() -> Any:
    """A new matplotlib Figure in the shared style, outside pyplot (nothing to close)."""
    setup()
    Figure, _ = _figure_modules()
    return Figure()


def save(fig: Any, out_path: str | os.PathLike[str]) -> None:
    """Write ``fig`` as a reproducible PNG (and free it, if pyplot made it)."""
    try:
        fig.savefig(os.fspath(out_path), format="png", metadata=PNG_METADATA,
                    pil_kwargs={"compress_level": PNG_COMPRESSION})
    finally:
        if _pyplot is not None:
            _pyplot.close(fig)


Curve = Union["IVData", "tuple[str, IVData]"]
LIMIT_COLOUR = "#c1121f"


def iv_figure(curves: Curve | Sequence[Curve], out_path: str | os.PathLike[str], *,
              operating_voltage: float | None = None,
              breakdown: float | Sequence[float | None] | None = None,
              title: str | None = None, operating_label: str | None = None,
              limits: Sequence[tuple[str, float, str, bool]] = ()) -> None:
    """Draw IV curves as |I| against |V| (log y) into the PNG ``out_path``.

    ``curves`` is one IVData or several, each possibly as ``(label, IVData)`` (the label
    defaults to the file name). ``operating_voltage`` draws a dashed vertical line;
    ``breakdown`` (one voltage for the first curve, or one per curve, None where a curve has
    none) marks each breakdown with a dotted line and a triangle on its curve. Voltages are
    in V, currents in A, as IVData holds them; signs are ignored (negative bias plots like
    positive). ``operating_label`` replaces the operating voltage's legend text; ``limits``
    draws the limits a test type sets on a voltage or a current, each (``"V"``, volts): a
    vertical line, or (``"I"``, amperes): a horizontal one, with its legend text and whether
    it is a placeholder (drawn dotted and paler)."""
    from .ivfile import IVData

    items = [curves] if isinstance(curves, (IVData, tuple)) else list(curves)
    # one voltage marks the first curve (the usual single curve); a list marks each its own
    breakdowns = [breakdown] if breakdown is None or isinstance(breakdown, (int, float)) \
        else list(breakdown)
    labelled = []
    for item in items:
        label, data = item if isinstance(item, tuple) else (item.name or None, item)
        volts, amps = data.magnitudes()
        # log axes cannot show 0 A: such points are left out of the line
        labelled.append((label, [(v, i) for v, i in zip(volts, amps) if i > 0]))
    marks = [abs(b) for b in breakdowns if b is not None]
    if operating_voltage is not None:
        marks.append(abs(operating_voltage))
    marks += [abs(value) for axis, value, _, _ in limits if axis == "V"]
    levels = [abs(value) for axis, value, _, _ in limits if axis == "I"]
    xlim, ylim = iv_limits([p for _, shown in labelled for p in shown], marks, levels)
    fig, axes = _iv_axes()
    try:
        # fixed margins that fit the style's labels: tight_layout would cost another drawing
        fig.subplots_adjust(left=0.17, right=0.96, bottom=0.15, top=0.91 if title else 0.96)
        _iv_background(fig, axes, xlim, ylim)
        _iv_draw(axes, labelled, breakdowns, operating_voltage, title, operating_label,
                 limits)
        _iv_save(fig, axes, out_path)
    except BaseException:
        _iv_reused.clear()  # a figure left half-drawn is not drawn on again
        _backgrounds.clear()
        raise


def iv_limits(points: Sequence[tuple[float, float]], marks: Sequence[float] = (),
              levels: Sequence[float] = ()
              ) -> tuple[tuple[float, float], tuple[float, float]]:
    """The axes' limits of an IV plot of ``points`` (|V|, |I| > 0), vertical lines at
    ``marks`` (V) and horizontal ones at ``levels`` (A): x from 0 to a round voltage past the
    last, y from the decade below the least current to the decade above the most (a level
    counts only beside points). Round limits make the plots of a store comparable, and plots
    with the same limits share their drawn axes (issue 14)."""
    right = max([v for v, _ in points] + list(marks) + [0.0]) * 1.04
    if right < 1e-3:  # no voltage to speak of (all points at 0 V)
        right = 1.0
    step = 10 ** math.floor(math.log10(right / 5))
    step *= next(f for f in (1, 2, 2.5, 5, 10) if right / (step * f) <= 10)
    xlim = (0.0, float(math.ceil(right / step - 1e-9) * step))
    currents = [i for _, i in points if i > 0 and math.isfinite(i)]
    if currents:
        currents += [i for i in levels if i > 0 and math.isfinite(i)]
    if not currents:
        return xlim, (1e-12, 1e-3)
    low = math.floor(math.log10(min(currents)) - 0.02)
    high = math.ceil(math.log10(max(currents)) + 0.02)
    return xlim, (10.0 ** low, 10.0 ** high)


# one Figure per process and size for IV plots, emptied and drawn again: its axes keep
# their tick objects and text sizes, which are most of the cost of a new figure (issue 14)
_iv_reused: dict[tuple, tuple[Any, Any]] = {}
# the axes drawn without curves (frame, ticks, tick labels: three quarters of a plot's
# drawing), per size and limits, restored under each plot's curves (matplotlib's blitting)
_backgrounds: dict[tuple, Any] = {}
BACKGROUNDS_KEPT = 16  # per process, about 2 MB each


def _iv_axes() -> tuple[Any, Any]:
    matplotlib = setup()
    key = (tuple(matplotlib.rcParams["figure.figsize"]), matplotlib.rcParams["savefig.dpi"])
    if key in _iv_reused:
        fig, axes = _iv_reused[key]
        for artist in list(axes.lines):
            artist.remove()
        if axes.get_legend() is not None:
            axes.get_legend().remove()
        axes.set_title("", y=1.0)
        axes.set_prop_cycle(None)  # the first curve gets the first colour again
        return fig, axes
    # drawn at the saved resolution on a canvas of its own: one renderer, whose caches of
    # text sizes last from plot to plot
    fig = figure()
    fig.set_dpi(matplotlib.rcParams["savefig.dpi"])
    _figure_modules()[1](fig)
    axes = fig.subplots()
    axes.set_yscale("log")
    axes.set_autoscale_on(False)
    # the log axis labelled without mathtext, whose parser costs 0.1 s to build
    axes.yaxis.set_major_formatter(_decade_formatter()())
    axes.yaxis.set_minor_formatter(_decade_formatter()(labelOnlyBase=False))
    axes.set_xlabel("|Bias voltage| [V]")
    axes.set_ylabel("|Leakage current| [A]")
    _iv_reused[key] = (fig, axes)
    return fig, axes


def _iv_background(fig: Any, axes: Any, xlim: tuple[float, float],
                   ylim: tuple[float, float]) -> None:
    """Put the empty axes with these limits on the canvas: drawn the first time, then
    restored from the copy kept."""
    axes.set_xlim(*xlim)
    axes.set_ylim(*ylim)
    key = (fig.bbox.bounds, fig.dpi, tuple(axes.get_position().bounds), xlim, ylim)
    canvas = fig.canvas
    if key in _backgrounds:
        canvas.restore_region(_backgrounds[key])
        return
    canvas.draw()
    if len(_backgrounds) >= BACKGROUNDS_KEPT:
        del _backgrounds[next(iter(_backgrounds))]
    _backgrounds[key] = canvas.copy_from_bbox(fig.bbox)


def _iv_save(fig: Any, axes: Any, out_path: str | os.PathLike[str]) -> None:
    """Draw the curves, marks, title and legend over the background, the frame over them,
    and write the canvas as a reproducible PNG (as ``save`` does, without drawing it all
    again)."""
    from matplotlib import image
    for artist in [*axes.lines, axes.title, *axes.spines.values()]:
        axes.draw_artist(artist)
    legend = axes.get_legend()
    if legend is not None:
        axes.draw_artist(legend)
    image.imsave(os.fspath(out_path), fig.canvas.buffer_rgba(), format="png", origin="upper",
                 dpi=fig.dpi, metadata=PNG_METADATA,
                 pil_kwargs={"compress_level": PNG_COMPRESSION})


def decade_label(value: float) -> str:
    """A log axis' tick label in plain text: 10⁻⁹, or 2×10⁻⁹ between decades."""
    exponent = math.floor(math.log10(value) + 1e-9)
    coefficient = round(value / 10 ** exponent)
    decade = "10" + str(exponent).translate(SUPERSCRIPT)
    return decade if coefficient == 1 else f"{coefficient}\u00d7{decade}"


_formatter: Any = None


def _decade_formatter() -> Any:
    """matplotlib's LogFormatter (it picks the ticks to label) writing :func:`decade_label`
    through its ``_num_to_string`` (a matplotlib without that hook writes 1e-09)."""
    global _formatter
    if _formatter is None:
        from matplotlib.ticker import LogFormatter

        class DecadeFormatter(LogFormatter):
            def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
                return decade_label(x)
        _formatter = DecadeFormatter
    return _formatter


def _iv_draw(axes: Any, labelled: list[tuple[str | None, list[tuple[float, float]]]],
             breakdowns: list, operating_voltage: float | None, title: str | None,
             operating_label: str | None = None,
             limits: Sequence[tuple[str, float, str, bool]] = ()) -> None:
    for n, (label, shown) in enumerate(labelled):
        line, = axes.plot([v for v, _ in shown], [i for _, i in shown], marker="o",
                          markersize=3, linewidth=1.2, label=label)
        bd = breakdowns[n] if n < len(breakdowns) else None
        if bd is None:
            continue
        axes.axvline(abs(bd), color=line.get_color(), linestyle=":", linewidth=1.2)
        near = min(shown, key=lambda p: abs(p[0] - abs(bd)), default=None)
        if near is not None:
            axes.plot([near[0]], [near[1]], marker="v", markersize=9, linestyle="none",
                      color=line.get_color(), label=f"breakdown {abs(bd):g} V")
    if operating_voltage is not None:
        axes.axvline(abs(operating_voltage), color="grey", linestyle="--", linewidth=1.2,
                     label=operating_label or f"operating voltage {abs(operating_voltage):g} V")
    for axis, value, label, placeholder in limits:
        draw = axes.axvline if axis == "V" else axes.axhline
        line = draw(abs(value), color=LIMIT_COLOUR, linestyle=":" if placeholder else "-.",
                    linewidth=1.2, alpha=0.6 if placeholder else 1.0, label=label)
        line.set_gid(f"limit-{axis}")
    # a fixed title position: finding one above the tick labels costs a layout of each axis
    axes.set_title(title or "", fontsize="medium", y=1.0)
    if any(h for h in axes.get_legend_handles_labels()[1]):
        axes.legend(fontsize="small", loc="best")
