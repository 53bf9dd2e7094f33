"""The site's plots, drawn with matplotlib (Agg, the shared style of plots.py) by a pool of
processes: per test type and measurement, a histogram of each component's latest value (a
trend over time when only one component has it), with the limits of the test type's
definition drawn; and one IV plot per component overlaying its IV runs (read by
ivfile.read_iv) with the operating voltage and the limits marked. A plot is redrawn only
when its input hash (the values and limits, or the data files' sha256) differs from the last
build's."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

from .. import model
from ..analysis import testtypes
from ..model.errors import SvtError
from ..model.verdicts import NO_VERDICT, RESULTS
from ..model.names import check_path_safe
from . import detector
from .outputs import SiteOutputs
from .paths import IV_DIR

TREND_DIR = "tests/plots"
PARALLEL_FROM = 12  # plots; fewer are drawn in this process (but in a big store:)
BACKGROUND_FROM = 200  # components: from so many, even one plot is drawn by another process
PLOT_VERSION = 6  # bump when the drawing changes: every plot is drawn again
NAMED = 10  # components a trend plot tells apart by colour and names in its legend
# the site shows plots at most 640 px wide: a smaller canvas draws faster (same style)
SITE_SIZE = {"figure.figsize": (6.4, 4.8), "savefig.dpi": 80}


def trend_series(digests: dict[str, dict],
                 defined: dict[str, testtypes.TestType] | None = None) -> dict[str, list[dict]]:
    """Per test type, one plot per numeric measurement and unit family (as `svt results`
    makes its columns: other prefixes converted to the most used unit, a unit that does not
    convert gets a plot of its own). Measured on several components: a histogram
    (``kind`` "histogram") of each component's latest value, points (value, result,
    component); on one: its trend (``kind`` "trend"), points (date, value, result,
    component). ``limits``: the definition's limits of the measurement (``defined``:
    svt.yaml's test types), as :func:`limit_marks` gives them."""
    from ..exchange.exporting import convert_unit, unit_columns, unit_family
    points: dict[str, dict[tuple[str, Any], list[list]]] = {}
    families: dict[Any, Any] = {}  # unit -> unit_family(unit), worked out once each
    for cid in sorted(digests):
        for test_type, _, utc, result, values, _, units in digests[cid]["tests"]:
            of_type = points.get(str(test_type))
            if of_type is None:
                of_type = points[str(test_type)] = {}
            for name, value in values.items():
                unit = units.get(name)
                try:
                    family = families[unit]
                except KeyError:
                    family = families[unit] = unit_family(unit)
                except TypeError:  # (a unit that is no hashable value)
                    family = unit_family(unit)
                of_type.setdefault((name, family), []).append([utc, value, result, cid, unit])
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
            components = {p[3] for p in shown}
            limits = limit_marks((defined or {}).get(test_type), name, unit,
                                 {str(digests[c].get("type")) for c in components})
            kind = "histogram" if len(components) > 1 else "trend"
            if kind == "histogram":
                latest: dict[str, list] = {}
                for point in shown:  # by time: the last of each component is its latest
                    latest[point[3]] = point
                shown = sorted([p[1], p[2], p[3]] for p in latest.values())
            same = len([p for p in plots if p["measure"] == name])
            # names svt validate and the build refuse already: never part of a path here
            check_path_safe(test_type, "test type")
            check_path_safe(name, "measurement name")
            plots.append({"measure": name, "unit": unit, "points": shown, "kind": kind,
                          "components": len(components), "limits": limits,
                          "verdicts": _count_verdicts(shown, kind),
                          "rel": f"{TREND_DIR}/{test_type}-{name}"
                                 f"{'-' + str(same + 1) if same else ''}.png"})
        out[test_type] = plots
    return out


def limit_marks(definition: testtypes.TestType | None, measure: str, unit: str | None,
                component_types: set[str]) -> list[dict]:
    """The limits of ``measure`` in ``definition`` for the plotted components' types: each
    bound once, with ``value`` in the plot's ``unit`` (None when the limit's unit does not
    convert: it is listed, not drawn), its text (model.format_si), whether it is a
    placeholder, and the component types it holds for when not for all of them."""
    if definition is None:
        return []
    found: dict[tuple, list[str]] = {}
    for ctype in sorted(component_types):
        for limit in definition.limits(ctype):
            if limit.name != measure:
                continue
            for bound, edge, path in limit.bounds():
                key = (bound, float(edge), limit.unit, definition.is_placeholder(path))
                found.setdefault(key, []).append(ctype)
    out = []
    for (bound, edge, own, placeholder), ctypes in sorted(found.items(), key=str):
        factor = model.unit_factor(own, unit)
        text = f"{bound} {model.format_si(edge, own)}"
        out.append({"bound": bound, "value": None if factor is None else edge * factor,
                    "text": text, "placeholder": placeholder,
                    "types": None if len(ctypes) == len(component_types) else ctypes})
    return out


def _count_verdicts(points: list[list], kind: str) -> dict[str, int]:
    """How many plotted values (a histogram's: latest ones) passed, failed, had no verdict."""
    at = 1 if kind == "histogram" else 2
    out = {**dict.fromkeys(RESULTS, 0), NO_VERDICT: 0}
    for point in points:
        out[point[at] if point[at] in RESULTS else NO_VERDICT] += 1
    return out


def iv_marks(defined: dict[str, testtypes.TestType], iv_types: list[str],
             component_type: str | None) -> list:
    """What a component's IV plot marks, from the definitions of its IV runs' test types:
    [operating voltage (V) or None, its legend text, the limits on a voltage or a current
    as plots.iv_figure takes them (axis "V" or "I", value in V or A, text, placeholder)]."""
    operating: float | None = None
    label = None
    limits: list[list] = []
    for name in sorted(set(iv_types)):
        definition = defined.get(name)
        if definition is None:
            continue
        setting = definition.setting("operating_voltage")
        if operating is None and isinstance(setting, (int, float)) and \
                not isinstance(setting, bool):
            operating = float(setting)
            placeholder = definition.is_placeholder("analysis.operating_voltage")
            label = (f"operating voltage {model.format_si(abs(operating), 'V')}"
                     + (" (placeholder)" if placeholder else ""))
        for limit in definition.limits(component_type):
            for bound, edge, path in limit.bounds():
                for axis, base in (("V", "V"), ("I", "A")):
                    factor = model.unit_factor(limit.unit, base) if limit.unit else None
                    if factor is None:
                        continue
                    placeholder = definition.is_placeholder(path)
                    mark = [axis, float(edge) * factor,
                            f"{limit.name} {bound} {model.format_si(edge, limit.unit)}"
                            + (" (placeholder)" if placeholder else ""), placeholder]
                    if mark not in limits:
                        limits.append(mark)
    return [operating, label, limits]


def _key(value: Any) -> str:
    return hashlib.sha256(json.dumps([PLOT_VERSION, value], sort_keys=True)
                          .encode()).hexdigest()[:32]


def draw_all(outputs: SiteOutputs, store_root: Path, jobs: int, digests: dict[str, dict],
             series: dict[str, list[dict]] | None, touched: set[str] | None = None,
             defined: dict[str, testtypes.TestType] | None = None) -> Callable[[], None]:
    """Start drawing the plots whose inputs changed, in a pool of ``jobs`` processes, and
    remember every plot's input hash; call the result to wait for them (the caller works on
    meanwhile). ``series`` None: the test types' plots are kept (store_pages did);
    ``touched``: the only components whose IV plots may have changed (None: any; a change of
    svt.yaml, whose definitions give the IV plots' marks, makes a full build);
    ``defined``: svt.yaml's test types."""
    tasks: list[tuple[str, str, Any]] = []
    old = outputs.old.get("outputs") or {}
    for test_type, plots in (series or {}).items():
        for plot in plots:
            tasks.append((plot["kind"], plot["rel"], [test_type, plot["measure"], plot["unit"],
                                                      plot["points"], plot["limits"]]))
    for cid in sorted(digests):
        ivs = digests[cid]["iv"]
        rel = f"{IV_DIR}/{cid}.png"
        if ivs and touched is not None and cid not in touched and outputs.still_there(rel):
            outputs.hashes[rel] = old[rel]  # its digest is the last build's
            outputs.result.plots_kept += 1
        elif ivs:
            marks = iv_marks(defined or {}, [str(iv[3]) for iv in ivs],
                             digests[cid].get("type"))
            tasks.append(("iv", f"{IV_DIR}/{cid}.png",
                          [cid, [[label, path, sha] for label, path, sha, _ in ivs], marks]))
    todo = []
    for kind, rel, data in tasks:
        digest = _key([kind, data if kind != "iv" else [data[0], [(a, c) for a, _, c in
                                                                     data[1]], data[2]]])
        outputs.hashes[rel] = digest
        if outputs.still_there(rel, digest):
            outputs.result.plots_kept += 1
        else:
            todo.append((kind, str(outputs.path(rel)), data if kind != "iv" else
                         [*data, str(store_root)]))
    # in a big store this process has seconds of pages to render meanwhile: even a few
    # plots are drawn by a pool of their own
    drawn = _draw(todo, jobs, background=len(digests) >= BACKGROUND_FROM)

    def finish() -> None:
        for name in drawn():
            outputs.result.written.append(os.path.relpath(name, outputs.out))
            outputs.result.plots_drawn += 1
    return finish


def _draw(todo: list[tuple[str, str, Any]], jobs: int, background: bool = False
          ) -> Callable[[], list[str]]:
    """Start drawing ``todo`` in a pool of ``jobs`` processes (or, for a few and not
    ``background``, when called); call the result for the files written."""
    if not todo:
        return list
    from ..analysis import plots
    from ..index.queries import fork_available
    few = len(todo) < PARALLEL_FROM
    if (few and not background) or jobs < 2 or not fork_available():
        plots.pyplot()
        return lambda: [draw_one(task) for task in todo]
    import multiprocessing
    if few:  # one process draws them all, and sets matplotlib up, while this one works on
        pool = multiprocessing.get_context("fork").Pool(1)
        drawing = pool.map_async(draw_one, todo, chunksize=len(todo))
    else:
        plots.pyplot()  # matplotlib and its style set up once, inherited by the workers
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
        elif kind == "histogram":
            plots.save(histogram_figure(data), tmp)
        else:
            _iv(data, tmp)
    os.replace(tmp, out_path)
    return out_path


# the map's colours of a verdict (detector.py), the same on the plots
VERDICTS = (*detector.VERDICT_COLOURS.items(), (None, detector.NO_VERDICT_COLOUR))


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
    test_type, measure, unit, points = data[:4]
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
                                            p[2] not in RESULTS)]
            if chosen:
                axes.plot([when[p[0]] for p in chosen], [p[1] for p in chosen],
                          linestyle="none", marker="o", markersize=2, color=colour,
                          label=result or NO_VERDICT)
        title = f"{test_type}: {measure} ({len(by_component)} components)"
        where = "upper left"  # "best" would weigh every one of thousands of points
    _limit_lines(axes, data[4] if len(data) > 4 else [], axes.axhline)
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


def _limit_lines(axes: Any, limits: list[dict], draw: Any) -> None:
    """Each limit a line (``draw``: axes.axvline or axhline), dashed, dotted and paler
    for a placeholder, in the legend with its text; the axes widened to show it."""
    for mark in limits:
        if mark["value"] is None:
            continue
        text = mark["text"] + (f" ({', '.join(mark['types'])})" if mark["types"] else "") + \
            (" placeholder" if mark["placeholder"] else "")
        line = draw(mark["value"], color=VERDICTS[1][1], linewidth=1.4,
                    linestyle=":" if mark["placeholder"] else "--",
                    alpha=0.6 if mark["placeholder"] else 1.0, label=text)
        line.set_gid(f"limit-{mark['bound']}")


HISTOGRAM_BINS = 40  # at most


def display_unit(unit: str | None, largest: float) -> tuple[str | None, float]:
    """(the unit an axis shows, what a value in ``unit`` is multiplied by): the SI prefix
    model.format_si gives ``largest``, so that the ticks read 2.5 µA, not 2.5e-6 A."""
    text = model.format_si(largest, unit) if unit and largest else ""
    shown = text.split(" ", 1)[1] if " " in text else unit
    factor = model.unit_factor(unit, shown)
    return (shown, factor) if factor is not None else (unit, 1.0)


def histogram_figure(data: list) -> Any:
    """Each component's latest value of a measurement, a histogram stacked by the verdict
    of its run, with the limits drawn as vertical lines. A limit far from the values (more
    than their spread beyond them) is named in the legend but left off the axis, so the
    histogram stays readable."""
    import numpy

    from ..analysis import plots
    test_type, measure, unit, points, limits = data
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    figure = plots.figure()
    FigureCanvasAgg(figure)
    figure.set_size_inches(6.4, 3.6)
    axes = figure.subplots()
    finite = [p for p in points if isinstance(p[0], (int, float)) and numpy.isfinite(p[0])]
    unit, scale = display_unit(unit, max([abs(p[0]) for p in finite] + [
        abs(m["value"]) for m in limits if m["value"] is not None] + [0.0]))
    points = [[p[0] * scale, *p[1:]] for p in finite]
    limits = [dict(m, value=None if m["value"] is None else m["value"] * scale)
              for m in limits]
    values = [p[0] for p in points]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    spread = (high - low) or abs(high) or 1.0
    shown_limits = []
    far = []
    for mark in limits:
        if mark["value"] is None:
            continue
        if low - spread <= mark["value"] <= high + spread:
            shown_limits.append(mark)
            low, high = min(low, mark["value"]), max(high, mark["value"])
        else:
            far.append(mark)
    pad = ((high - low) or spread) * 0.05
    edges = numpy.histogram_bin_edges(values or [0.0], bins=min(
        HISTOGRAM_BINS, max(5, int(numpy.sqrt(len(values))) * 2)), range=(low - pad, high + pad))
    stacks, colours, labels = [], [], []
    for result, colour in VERDICTS:
        chosen = [p[0] for p in points if (p[1] == result if result else
                                            p[1] not in RESULTS)]
        if chosen:
            stacks.append(chosen)
            colours.append(colour)
            labels.append(f"{result or NO_VERDICT} ({len(chosen)})")
    if stacks:
        axes.hist(stacks, bins=edges, stacked=True, color=colours, label=labels,
                  edgecolor="white", linewidth=0.3)
    _limit_lines(axes, shown_limits, axes.axvline)
    for mark in far:  # a legend entry only: no line on the axis
        axes.plot([], [], color=VERDICTS[1][1], linestyle=":",
                  label=f"{mark['text']} (off the axis)")
    axes.set_xlim(low - pad, high + pad)
    # centred: the right end holds the axis' multiplier (1e-6) of a number without a unit
    axes.set_xlabel(f"{measure} [{unit}]" if unit else measure, fontsize="small", loc="center")
    axes.set_ylabel("components", fontsize="small")
    axes.tick_params(labelsize="small")
    axes.set_title(f"{test_type}: {measure}, latest of {len(data[3])} components",
                   fontsize="medium")
    axes.legend(fontsize="x-small", loc="upper right", frameon=True, framealpha=0.9)
    figure.subplots_adjust(left=0.12, right=0.97, top=0.9, bottom=0.16)
    return figure


def _iv(data: list, out_path: str) -> None:
    """The IV plot of a component: ``data`` is (id, [label, path in the store, sha256]...,
    iv_marks' marks, the store's root); each file is read without following a link
    (store/nofollow.py)."""
    from ..analysis import ivfile, plots
    from ..store.nofollow import open_stored
    cid, files, marks, root = data
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
        operating, label, limits = marks
        plots.iv_figure(curves, out_path, title=title, operating_voltage=operating,
                        operating_label=label, limits=[tuple(m) for m in limits])
        return
    plt = plots.pyplot()
    figure, axes = plt.subplots(figsize=(6.0, 2.0))
    axes.axis("off")
    axes.text(0.5, 0.5, f"{cid}: no readable IV data in {', '.join(unread)}",
              ha="center", va="center", fontsize="small")
    plots.save(figure, out_path)
