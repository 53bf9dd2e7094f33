"""Plots: the shared matplotlib set-up (Agg backend, the mplhep style) and the figures of
the analyses. matplotlib and mplhep come from the ``site`` extra and are imported on the
first plot only, so commands that draw nothing never load them.

PNG files are written without a time stamp or software version, so the same curve gives
the same bytes (a redrawn plot that did not change leaves git nothing to commit).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Sequence, Union

from .errors import InvalidInput

if TYPE_CHECKING:
    from .ivfile import IVData

INSTALL_SITE = 'pip install "svt-records[site]"'
# mplhep's generic style (HPS has no style of its own); the figure size suits a web page
STYLE = "ROOT"  # in mplhep's styles/cms.py
FIGSIZE = (8.0, 6.0)
DPI = 100
FONT_SIZE = 13.0
PNG_METADATA = {"Software": None}
PNG_COMPRESSION = 3  # zlib level: 6 (the default) costs 13 ms more a plot for 2.5 % less size
MATHTEXT_CACHE = 2000  # parsed tick labels kept per process

_styled = False
_pyplot: Any = None


def setup() -> Any:
    """matplotlib with the Agg backend and the shared style (rcParams), set up once; returns
    the matplotlib module. Raises InvalidInput saying how to install the ``site`` extra when
    matplotlib is missing."""
    global _styled
    try:
        import matplotlib
    except ImportError:
        raise InvalidInput(f"drawing plots needs matplotlib: {INSTALL_SITE}") from None
    if not _styled:
        matplotlib.use("Agg", force=True)
        matplotlib.rcParams.update(_mplhep_style())
        # mplhep's style sizes its text for 10-inch figures (26 pt); these plots are 6 to 8
        # inches wide on a web page, where that text overflows the margins
        matplotlib.rcParams["font.size"] = FONT_SIZE
        matplotlib.rcParams["figure.figsize"] = FIGSIZE
        matplotlib.rcParams["savefig.dpi"] = DPI
        _more_mathtext_cache()
        _styled = True
    return matplotlib


def _more_mathtext_cache() -> None:
    """Keep more parsed tick labels: a log axis labels its ticks in mathtext (10^-7, 2x10^-7...),
    matplotlib keeps the last 50 parses and a parse costs about 10 ms; a site build draws
    some hundred different labels over and over (issue 14). Another matplotlib without this
    cache is left as it is."""
    import functools

    from matplotlib import mathtext
    cached = getattr(mathtext.MathTextParser, "_parse_cached", None)
    if cached is not None and hasattr(cached, "__wrapped__") and hasattr(cached, "cache_info") \
            and cached.cache_info().maxsize < MATHTEXT_CACHE:
        setattr(mathtext.MathTextParser, "_parse_cached",
                functools.lru_cache(MATHTEXT_CACHE)(cached.__wrapped__))


def _mplhep_style() -> Any:
    """mplhep's style as rcParams, and its fonts registered. Importing mplhep itself costs
    about as much as matplotlib (it loads pyplot and all its plotters), so the style file
    and the fonts are read on their own; another layout of mplhep falls back to the import,
    and no mplhep to matplotlib's own style."""
    import importlib.util
    from pathlib import Path
    spec = importlib.util.find_spec("mplhep")
    if spec is None:
        return {}
    try:
        folder = Path(list(spec.submodule_search_locations or [])[0])
        style_spec = importlib.util.spec_from_file_location("_svt_mplhep_style",
                                                            folder / "styles" / "cms.py")
        assert style_spec is not None and style_spec.loader is not None
        module = importlib.util.module_from_spec(style_spec)
        style_spec.loader.exec_module(module)
        style = dict(getattr(module, STYLE))
        fonts = importlib.util.find_spec("mplhep_data")
        if fonts is not None and fonts.origin:
            from matplotlib import font_manager
            folder = Path(fonts.origin).parent / "fonts"
            # the style names only TeX Gyre Heros: reading the other fonts costs 0.1 s
            heros = folder / "texgyreheros"
            for font in font_manager.findSystemFonts(
                    fontpaths=str(heros if heros.is_dir() else folder)):
                font_manager.fontManager.addfont(font)
        return style
    except Exception:  # another mplhep: take its style the documented way
        import mplhep
        return dict(getattr(mplhep.style, STYLE))


def pyplot() -> Any:
    """matplotlib.pyplot, set up as :func:`setup` does (for code that wants pyplot; the
    figures here do without it, which saves its import)."""
    global _pyplot
    if _pyplot is None:
        setup()
        import matplotlib.pyplot as plt
        _pyplot = plt
    return _pyplot


def figure() -> Any:
    """A new matplotlib Figure in the shared style, outside pyplot (nothing to close)."""
    setup()
    from matplotlib.figure import Figure
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


def iv_figure(curves: Curve | Sequence[Curve], out_path: str | os.PathLike[str], *,
              operating_voltage: float | None = None,
              breakdown: float | Sequence[float | None] | None = None,
              title: str | None = None) -> None:
    """Draw IV curves as |I| against |V| (log y) into the PNG ``out_path``.

    ``curves`` is one IVData or several, each possibly as ``(label, IVData)`` (the label
    defaults to the file name). ``operating_voltage`` draws a dashed vertical line;
    ``breakdown`` (one voltage for the first curve, or one per curve, None where a curve has
    none) marks each breakdown with a dotted line and a triangle on its curve. Voltages are
    in V, currents in A, as IVData holds them; signs are ignored (negative bias plots like
    positive)."""
    from .ivfile import IVData

    items = [curves] if isinstance(curves, (IVData, tuple)) else list(curves)
    # one voltage marks the first curve (the usual single curve); a list marks each its own
    breakdowns = [breakdown] if breakdown is None or isinstance(breakdown, (int, float)) \
        else list(breakdown)
    fig, axes = _iv_axes()
    try:
        _iv_draw(axes, items, breakdowns, operating_voltage, title)
        # fixed margins that fit the style's labels: tight_layout would cost another drawing
        fig.subplots_adjust(left=0.17, right=0.96, bottom=0.15, top=0.91 if title else 0.96)
        save(fig, out_path)
    except BaseException:
        _iv_reused.clear()  # a figure left half-drawn is not drawn on again
        raise


# one Figure per process and size for IV plots, emptied and drawn again: its axes keep
# their tick objects and text sizes, which are most of the cost of a new figure (issue 14)
_iv_reused: dict[tuple, tuple[Any, Any]] = {}


def _iv_axes() -> tuple[Any, Any]:
    matplotlib = setup()
    key = (tuple(matplotlib.rcParams["figure.figsize"]), matplotlib.rcParams["savefig.dpi"])
    if key in _iv_reused:
        fig, axes = _iv_reused[key]
        for artist in list(axes.lines):
            artist.remove()
        if axes.get_legend() is not None:
            axes.get_legend().remove()
        axes.set_prop_cycle(None)  # the first curve gets the first colour again
        axes.relim()
        axes.set_autoscale_on(True)
        return fig, axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    # drawn at the saved resolution on a canvas of its own: savefig then keeps one renderer,
    # and the renderer's caches of text sizes and parsed tick labels last from plot to plot
    fig = figure()
    fig.set_dpi(matplotlib.rcParams["savefig.dpi"])
    FigureCanvasAgg(fig)
    axes = fig.subplots()
    axes.set_yscale("log")
    axes.set_xlabel("|Bias voltage| [V]")
    axes.set_ylabel("|Leakage current| [A]")
    _iv_reused[key] = (fig, axes)
    return fig, axes


def _iv_draw(axes: Any, items: list, breakdowns: list, operating_voltage: float | None,
             title: str | None) -> None:
    for n, item in enumerate(items):
        label, data = item if isinstance(item, tuple) else (item.name or None, item)
        volts, amps = data.magnitudes()
        # log axes cannot show 0 A: leave such points out of the line
        shown = [(v, i) for v, i in zip(volts, amps) if i > 0]
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
                     label=f"operating voltage {abs(operating_voltage):g} V")
    # a fixed title position: finding one above the tick labels costs a layout of each axis
    axes.set_title(title or "", fontsize="medium", y=1.0)
    if any(h for h in axes.get_legend_handles_labels()[1]):
        axes.legend(fontsize="small", loc="best")
