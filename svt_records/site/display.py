"""How the site shows dates and values to people: "6 Dec 2026, 10:00" rather than an ISO
stamp, measurements with SI prefixes (model.format_measurement, the CLI's rule too). The
filters are added to the pages' jinja2 environment by :func:`add_filters`."""
from __future__ import annotations

import datetime
from typing import Any

from .. import model

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(text: Any, with_time: bool = True) -> str:
    """``2026-12-06T10:22:00-05:00`` -> ``6 Dec 2026, 10:22`` (the time as recorded, in
    its own zone); text that is no date is shown as it is."""
    text = str(text or "")
    try:
        day = datetime.date.fromisoformat(text[:10])
    except ValueError:
        return text
    out = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    clock = text[11:16]
    if with_time and len(clock) == 5 and clock[2] == ":" and clock.replace(":", "").isdigit():
        out += f", {clock}"
    return out


def verdict_class(verdict: object) -> str:
    """The CSS class of a verdict's badge: ``v-pass``, ``v-fail``, else ``v-none`` (no
    verdict)."""
    return f"v-{verdict}" if verdict in model.RESULTS else "v-none"


def add_filters(env: Any) -> None:
    """Add the filters ``human`` (a date and time), ``human_day``, ``si`` (a measurement:
    model.format_measurement) and ``verdict_class`` to ``env``."""
    env.filters["verdict_class"] = verdict_class
    env.filters["human"] = human_date
    env.filters["human_day"] = lambda text: human_date(text, with_time=False)
    env.filters["si"] = model.format_measurement
