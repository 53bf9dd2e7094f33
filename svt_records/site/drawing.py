"""The site's plots, drawn with matplotlib (Agg, the shared style of plots.py) by a pool of
processes: trend plots of each test type's measurements over time, and one IV plot per
component overlaying its IV runs (read by ivfile.read_iv). A plot is redrawn only when its
input hash (the points, or the data files' sha256) differs from the last build's."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

from ..model.errors import SvtError
from ..model.names import check_path_safe
from . import detector
from .outputs import SiteOutputs
from .paths import IV_DIR

TREND_DIR = "tests/plots"
PARALLEL_FROM = 12  # plots; fewer are drawn in this process
PLOT_VERSION = 5  # bump when the drawing changes: every plot is drawn again
NAMED = 10  # components a trend plot tells apart by colour and names in its legend
# the site shows plots at most 640 px wide: a smaller canvas draws faster (same style)
SITE_SIZE = {"figure.figsize": (6.4, 4.8), "savefig.dpi": 80}


def trend_series(digests: dict[str, dict]) -> dict[str, list[dict]]:
    """Per test type, one trend plot per numeric measurement and unit family (as `svt
    results` makes its columns: other prefixes converted to the most used unit, a unit
    that does not convert gets a plot of its own): points (date, value, result, component)."""
    from ..exchange.exporting import convert_unit, unit_columns, unit_family
    points: dict[str, dict[tuple[str, Any], list[list]]] = {}
    for cid in sorted(digests):
        for test_type, _, utc, result, values, _, units in digests[cid]["tests"]:
            for name, value in values.items():
                unit = units.get(name)
                points.setdefault(str(test_type), {}).setdefault(
                    (name, unit_family(unit)), []).append([utc, value, result, cid, unit])
    out: dict[str, list[dict]] = {}
    for test_type in sorted(points):
        plots: list[dict] = []
        # a measurement's plots: the most points first, then by unit
        groups = sorted(points[test_type].items(),
                        key=lambda item: (item[0][0], -len(item[1]), str(item[0][1])))
        for (name, _), pts in groups:
            (unit,) = unit_columns((name, p[4]) for p in pts).values()
            shown = sorted([utc, convert_unit(value, own, unit), result, cid]
                           for utc, value, result, cid, own in pts)
            same = len([p for p in plots if p["measure"] == name])
            # names svt validate and the build refuse already: never part of a path here
            check_path_safe(test_type, "test type")
            check_path_safe(name, "measurement name")
            plots.append({"measure": name, "unit": unit, "points": shown,
                          "components": len({p[3] for p in shown}),
                          "rel": f"{TREND_DIR}/{test_type}-{name}"
                                 f"{'-' + str(same + 1) if same else ''}.png"})
        out[test_type] = plots
    return out


def _key(value: Any) -> str:
    return hashlib.sha256(json.dumps([PLOT_VERSION, value], sort_keys=True)
                          .encode()).hexdigest()[:32]


def draw_all(outputs: SiteOutputs, store_root: Path, jobs: int, digests: dict[str, dict],
             series: dict[str, list[dict]] | None, touched: set[str] | None = None
             ) -> Callable[[], None]:
    """Start drawing the plots whose inputs changed, in a pool of ``jobs`` processes, and
    remember every plot's input hash; call the result to wait for them (the caller works on
    meanwhile). ``series`` None: the trend plots are kept (store_pages did); ``touched``:
    the only components whose IV plots may have changed (None: any)."""
    tasks: list[tuple[str, str, Any]] = []
    old = outputs.old.get("outputs") or {}
    for test_type, plots in (series or {}).items():
        for plot in plots:
            tasks.append(("trend", plot["rel"], [test_type, plot["measure"], plot["unit"],
                                                 plot["points"]]))
    for cid in sorted(digests):
        ivs = digests[cid]["iv"]
        rel = f"{IV_DIR}/{cid}.png"
        if ivs and touched is not None and cid not in touched and outputs.still_there(rel):
            outputs.hashes[rel] = old[rel]  # its digest is the last build's
            outputs.result.plots_kept += 1
        elif ivs:
            tasks.append(("iv", f"{IV_DIR}/{cid}.png",
                          [cid, [[label, path, sha] for label, path, sha, _ in ivs]]))
    todo = []
    for kind, rel, data in tasks:
        digest = _key([kind, data if kind == "trend" else [data[0], [(a, c) for a, _, c in
                                                                        data[1]]]])
        outputs.hashes[rel] = digest
        if outputs.still_there(rel, digest):
            outputs.result.plots_kept += 1
        else:
            todo.append((kind, str(outputs.path(rel)), data if kind == "trend" else
                         [*data, str(store_root)]))
    drawn = _draw(todo, jobs)

    def finish() -> None:
        for name in drawn():
            outputs.result.written.append(os.path.relpath(name, outputs.out))
            outputs.result.plots_drawn += 1
    return finish


def _draw(todo: list[tuple[str, str, Any]], jobs: int) -> Callable[[], list[str]]:
    """Start drawing ``todo`` in a pool of ``jobs`` processes (or, for a few, when called);
    call the result for the files written."""
    if not todo:
        return list
    from ..analysis import plots
    from ..index.queries import fork_available
    plots.pyplot()  # matplotlib and its style set up once, inherited by the workers
    if len(todo) < PARALLEL_FROM or jobs < 2 or not fork_available():
        return lambda: [draw_one(task) for task in todo]
    import multiprocessing
    pool = multiprocessing.get_context("fork").Pool(jobs)
    drawing = pool.map_async(draw_one, todo, chunksize=8)

    def finish() -> list[str]:
        with pool:
            return drawing.get()
    return finish


def draw_one(task: tuple[str, str, Any]) -> str:
    kind, out_path, data = task  # (out_path: SiteOutputs.path's, its folders checked)
    tmp = os.path.join(os.path.dirname(out_path), "." + os.path.basename(out_path) + ".tmp")
    try:
        os.unlink(tmp)  # a file or link left there is replaced, never written through
    except FileNotFoundError:
        pass
    from ..analysis import plots
    with plots.pyplot().rc_context(SITE_SIZE):
        if kind == "trend":
            _trend(data, tmp)
        else:
            _iv(data, tmp)
    os.replace(tmp, out_path)
    return out_path


# the map's colours of a verdict (detector.py), the same on the plots
VERDICTS = (*detector.VERDICT_COLOURS.items(), (None, detector.NO_VERDICT))


def _trend(data: list, out_path: str) -> None:
    from ..analysis import plots
    figure = trend_figure(data)
    plots.save(figure, out_path)


def trend_figure(data: list) -> Any:
    """A measurement over time, one line joining each component's runs. Up to NAMED
    components each have a colour and a legend entry, their failed runs a red ring; more
    are grey lines under markers coloured by verdict, and the title counts them."""
    from datetime import datetime

    from ..analysis import plots
    test_type, measure, unit, points = data
    from matplotlib import dates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    figure = plots.figure()
    FigureCanvasAgg(figure)
    figure.set_size_inches(6.4, 3.6)
    axes = figure.subplots()
    axes.xaxis_date()  # x: matplotlib's date numbers, all converted in one call
    by_component: dict[str, list[list]] = {}
    for point in points:
        by_component.setdefault(point[3], []).append(point)
    moments = sorted({p[0] for p in points})
    when = dict(zip(moments, (float(x) for x in dates.date2num(
        [datetime.fromisoformat(m) for m in moments]))))
    if len(by_component) <= NAMED:
        failed = []
        for cid, own in sorted(by_component.items()):
            axes.plot([when[p[0]] for p in own], [p[1] for p in own], marker="o",
                      markersize=4, linewidth=1.0, label=cid)
            failed += [p for p in own if p[2] == "fail"]
        if failed:
            axes.plot([when[p[0]] for p in failed], [p[1] for p in failed], linestyle="none",
                      marker="o", markersize=9, markerfacecolor="none",
                      markeredgecolor=VERDICTS[1][1], label="failed run")
        title = f"{test_type}: {measure}"
        where = "best"
    else:
        # one artist for every line: a gap (nan) between components
        xs: list[float] = []
        ys: list[float] = []
        for own in by_component.values():
            xs += [when[p[0]] for p in own] + [when[own[-1][0]]]
            ys += [p[1] for p in own] + [float("nan")]
        axes.plot(xs, ys, color="#9aa5b1", linewidth=0.5, alpha=0.6,
                  label="a component's runs")
        for result, colour in VERDICTS:
            chosen = [p for p in points if (p[2] == result if result else
                                            p[2] not in ("pass", "fail"))]
            if chosen:
                axes.plot([when[p[0]] for p in chosen], [p[1] for p in chosen],
                          linestyle="none", marker="o", markersize=2, color=colour,
                          label=result or "no verdict")
        title = f"{test_type}: {measure} ({len(by_component)} components)"
        where = "upper left"  # "best" would weigh every one of thousands of points
    axes.set_ylabel(f"{measure} [{unit}]" if unit else measure, fontsize="small")
    locator = dates.AutoDateLocator(minticks=3, maxticks=7)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    axes.tick_params(labelsize="small")
    axes.set_title(title, fontsize="medium")
    axes.legend(fontsize="x-small", loc=where, markerscale=2, frameon=True, framealpha=0.9)
    # fixed margins that fit the labels: tight_layout would draw the figure once more
    figure.subplots_adjust(left=0.15, right=0.97, top=0.9, bottom=0.16)
    return figure


def _iv(data: list, out_path: str) -> None:
    """The IV plot of a component: ``data`` is (id, [label, path in the store, sha256]...,
    the store's root); each file is read without following a link (store/nofollow.py)."""
    from ..analysis import ivfile, plots
    from ..store.nofollow import open_stored
    cid, files, root = data
    curves = []
    unread = []
    for label, path, _ in files:
        try:
            with os.fdopen(open_stored(root, path), "rb") as source:
                curves.append((label, ivfile.read_iv(os.path.basename(path), source=source)))
        except (SvtError, OSError, ValueError):
            unread.append(os.path.basename(path))
    if curves:
        title = cid + (f" ({len(unread)} file(s) not readable)" if unread else "")
        plots.iv_figure(curves, out_path, title=title)
        return
    plt = plots.pyplot()
    figure, axes = plt.subplots(figsize=(6.0, 2.0))
    axes.axis("off")
    axes.text(0.5, 0.5, f"{cid}: no readable IV data in {', '.join(unread)}",
              ha="center", va="center", fontsize="small")
    plots.save(figure, out_path)
