"""The detector map's drawing: where each position's box goes in the SVG (the template
draws it), and the colours of health and verdicts.

A module's fill is its overall health (model.verdicts: the latest verdict of each test type,
"fail" when any type's latest failed); each box also carries one fill per test type, which
the page's selector shows one at a time (static/map.js). The status is told in the box's
tooltip, with each type's verdict.

Layers 0 to 7 left to right (the beam runs along them), the top half above the beam line and
the bottom half below it, axial then stereo in each half, slot and hole side by side from
layer 4 (model.SIDED_FROM_LAYER), and the FEBs in a row underneath.
"""
from __future__ import annotations

import re
from typing import Any

from .. import model

LAYER_WIDTH = 104
LAYER_GAP = 14
ROW_HEIGHT = 46
ROW_GAP = 8
LEFT = 20
TOP = 40  # room for the layer names
BEAM_GAP = 36
FEB_WIDTH = 84
FEB_HEIGHT = 40

# a status's colour (no longer the map's fill: the status is told in the tooltip); statuses a
# store adds get NEUTRAL
STATUS_COLOURS = {
    "installed": "#4c9be8", "qualified": "#7bc67b", "spare": "#b6d7a8", "testing": "#f6d365",
    "incoming": "#d9d2e9", "repair": "#f4a261", "degraded": "#e9c46a", "failed": "#e76f51",
    "retired": "#9e9e9e", "lost": "#5c5c5c",
}
NEUTRAL = "#cccccc"
EMPTY = "#ffffff"
VERDICT_COLOURS = {"pass": "#1b7f1b", "fail": "#c1121f"}
NO_VERDICT_COLOUR = "#666666"
# a module's fill: its overall health, or one test type's latest verdict (model.HEALTH's
# words: a type never tested is "untested", a latest test without a verdict "no verdict")
HEALTH_COLOURS = {"fail": "#e5383b", "pass": "#7bc67b", model.NO_VERDICT: "#d9d9d9",
                  "untested": "#f4f1e8"}
OCCUPIED_EDGE = "#333333"
EMPTY_EDGE = "#999999"

_MODULE = re.compile(r"^Layer(\d)_(top|bottom)_(axial|stereo)(?:_(slot|hole))?$")


def box(position: str) -> dict | None:
    """x, y, width, height of a module position's box; None for other positions."""
    m = _MODULE.match(position)
    if not m:
        return None
    layer, half, view, side = int(m.group(1)), m.group(2), m.group(3), m.group(4)
    if layer >= model.MODULE_LAYERS:
        return None
    x = LEFT + layer * (LAYER_WIDTH + LAYER_GAP)
    width = LAYER_WIDTH
    if side is not None:
        width = (LAYER_WIDTH - 4) // 2
        x += 0 if side == "slot" else width + 4
    row = 0 if view == "axial" else 1
    if half == "top":  # axial nearest the beam, stereo outside it
        y = TOP + (1 - row) * (ROW_HEIGHT + ROW_GAP)
    else:
        y = TOP + 2 * (ROW_HEIGHT + ROW_GAP) + BEAM_GAP + row * (ROW_HEIGHT + ROW_GAP)
    return {"x": x, "y": y, "w": width, "h": ROW_HEIGHT, "chars": 14 if side is None else 6}


def verdicts_of(digest: dict | None) -> dict[str, str | None]:
    """A component's latest verdict of each test type: its digest's ``verdicts``
    (component_data.py), else model.latest_by_type of its digest's tests (in the order of
    their events)."""
    held = (digest or {}).get("verdicts")
    if isinstance(held, dict):
        return held
    tests = (digest or {}).get("tests") or []
    return model.latest_by_type((str(t[0]), n, t[3] if t[3] in model.RESULTS else None)
                                for n, t in enumerate(tests))


def tested_types(digests: dict[str, dict]) -> list[str]:
    """Every test type the components have a test of: the selector's choices."""
    return sorted({str(t[0]) for d in digests.values() for t in d.get("tests") or []})


def _state(verdicts: dict[str, str | None], test_type: str) -> str:
    """A type's verdict in model.HEALTH's words."""
    if test_type not in verdicts:
        return "untested"
    return verdicts[test_type] or model.NO_VERDICT


def drawing(rows: list[dict], statuses: dict[str, Any], root: str,
            digests: dict[str, dict] | None = None, types: list[str] | None = None) -> dict:
    """What the map template draws for positions.positions()'s ``rows``: boxes, FEBs,
    layer labels, the beam line, and the positions that have no place in the drawing.
    ``digests`` (component_data.py's): each component's tests, for its health and its
    verdict of each of ``types`` (default: every type in ``digests``)."""
    digests = digests or {}
    types = tested_types(digests) if types is None else types
    boxes: list[dict] = []
    febs: list[dict] = []
    others: list[dict] = []
    feb_row_y = TOP + 4 * (ROW_HEIGHT + ROW_GAP) + BEAM_GAP + 30
    per_row = (model.MODULE_LAYERS * (LAYER_WIDTH + LAYER_GAP)) // (FEB_WIDTH + 8)
    for row in rows:
        position = row["position"]
        cid = row.get("component")
        status = statuses.get(cid) if cid else None
        verdicts = verdicts_of(digests.get(cid)) if cid else {}
        health = model.overall_health(verdicts)
        item = {
            "position": position, "component": cid, "status": status,
            "health": health if cid else None, "verdicts": model.verdict_line(verdicts),
            "fill": HEALTH_COLOURS[health] if cid else EMPTY,
            "views": [{"n": n, "verdict": _state(verdicts, t),
                       "fill": HEALTH_COLOURS[_state(verdicts, t)]}
                      for n, t in enumerate(types, 1)] if cid else [],
            "stroke": OCCUPIED_EDGE if cid else EMPTY_EDGE,
            "since": row.get("since"), "until": row.get("until"), "label": _short(position),
        }
        geometry = box(position)
        feb = re.match(r"^FEB(\d+)$", position)
        if geometry is not None:
            boxes.append({**item, **geometry})
        elif feb and model.position_kind(position) == "feb":
            n = len(febs)
            febs.append({**item, "x": LEFT + (n % per_row) * (FEB_WIDTH + 8),
                         "y": feb_row_y + (n // per_row) * (FEB_HEIGHT + 8),
                         "w": FEB_WIDTH, "h": FEB_HEIGHT, "label": position, "chars": 11})
        else:
            others.append(item)
    feb_rows = max(1, -(-len(febs) // per_row)) if febs else 0
    height = feb_row_y + feb_rows * (FEB_HEIGHT + 8) + 10
    width = LEFT * 2 + model.MODULE_LAYERS * (LAYER_WIDTH + LAYER_GAP)
    layers = [{"x": LEFT + n * (LAYER_WIDTH + LAYER_GAP) + LAYER_WIDTH // 2, "name": f"L{n}"}
              for n in range(model.MODULE_LAYERS)]
    beam_y = TOP + 2 * (ROW_HEIGHT + ROW_GAP) + BEAM_GAP // 2 - ROW_GAP // 2
    return {"boxes": boxes, "febs": febs, "others": others, "width": width,
            "height": height, "layers": layers, "beam_y": beam_y, "feb_y": feb_row_y - 8,
            "root": root, "types": types,
            "health_legend": list(HEALTH_COLOURS.items())}


def _short(position: str) -> str:
    m = _MODULE.match(position)
    if not m:
        return position
    half = "T" if m.group(2) == "top" else "B"
    view = "ax" if m.group(3) == "axial" else "st"
    side = f" {m.group(4)[0]}" if m.group(4) else ""  # s(lot) or h(ole)
    return f"L{m.group(1)}{half} {view}{side}"
