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
STYLE = "ROOT"
FIGSIZE = (8.0, 6.0)
DPI = 100
PNG_METADATA = {"Software": None}

_pyplot: Any = None


def pyplot() -> Any:
    """matplotlib.pyplot with the Agg backend and the shared style, set up once.

    Raises InvalidInput saying how to install the ``site`` extra when matplotlib is missing."""
    global _pyplot
    if _pyplot is None:
        try:
            import matplotlib
        except ImportError:
            raise InvalidInput(f"drawing plots needs matplotlib: {INSTALL_SITE}") from None
        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
        try:
            import mplhep
        except ImportError:
            pass  # the plots are the same, in matplotlib's own style
        else:
            plt.style.use(getattr(mplhep.style, STYLE))
        plt.rcParams["figure.figsize"] = FIGSIZE
        plt.rcParams["savefig.dpi"] = DPI
        _pyplot = plt
    return _pyplot


def save(figure: Any, out_path: str | os.PathLike[str]) -> None:
    """Write ``figure`` as a reproducible PNG and free it."""
    plt = pyplot()
    try:
        figure.savefig(os.fspath(out_path), format="png", metadata=PNG_METADATA)
    finally:
        plt.close(figure)


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

    plt = pyplot()
    items = [curves] if isinstance(curves, (IVData, tuple)) else list(curves)
    # one voltage marks the first curve (the usual single curve); a list marks each its own
    breakdowns = [breakdown] if breakdown is None or isinstance(breakdown, (int, float)) \
        else list(breakdown)
    figure, axes = plt.subplots()
    try:
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
        axes.set_yscale("log")
        axes.set_xlabel("|Bias voltage| [V]")
        axes.set_ylabel("|Leakage current| [A]")
        if title:
            axes.set_title(title, fontsize="medium")
        if any(h for h in axes.get_legend_handles_labels()[1]):
            axes.legend(fontsize="small", loc="best")
        figure.tight_layout()
    except BaseException:
        plt.close(figure)
        raise
    save(figure, out_path)
