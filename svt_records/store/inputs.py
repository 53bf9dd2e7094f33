"""What a caller gives a write, checked before anything is staged: a text (no control
characters), the date of an event, a test's measurements and that a test says something.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import model
from ..model.errors import InvalidInput


def clean(text: str | None) -> str | None:
    """A text as svt stores it: stripped, None when empty; control characters are refused."""
    if text is None:
        return None
    text = str(text)
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInput("text contains control characters; remove them")
    return text.strip() or None


def event_time(date: str | datetime | None) -> datetime:
    """When an event happened: the given date, or now. A date more than a day ahead is a typo
    (the legacy import, which writes the past as it was, does not come through here)."""
    if not date:
        return model.now()
    when = model.parse_date(date)
    if model.in_future(when):
        now = model.now()
        raise InvalidInput(f"date {model.format_date(when)} is more than a day in the future"
                           f" (now is {model.format_date(now)}): give the date it happened, e.g."
                           f" {now.date().isoformat()}, or leave out the date for now")
    return when


def check_test_content(passed: bool | None, measurements: dict | None, files: int) -> None:
    """A test result must say something: a verdict, a measurement or a stored file."""
    if passed is None and not measurements and not files:
        raise InvalidInput("a test needs a result: give --pass or --fail, a measurement"
                           " (--measure NAME=VALUE) or a file (--images/--data)")


def check_measurements(values: dict[str, Any]) -> dict[str, Any]:
    """Measurements: numbers, text, lists of those, or {value, unit}; finite numbers only."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(f"measurement name {name!r} is empty")
        model.check_path_safe(name, "measurement name")  # the site names plots by it
        out[name] = _check_measure(name, value)
    return out


def _check_measure(name: str, value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        raise InvalidInput(f"measurement {name} is {value!r}: give a number, text, list or"
                           " {value, unit}")
    if isinstance(value, (int, float)):
        return model.check_number(value, f"measurement {name}")
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [_check_measure(name, v) for v in value]
    if isinstance(value, dict):
        if set(value) - {"value", "unit"} or "value" not in value:
            raise InvalidInput(f"measurement {name}: a mapping must have value (and unit) only")
        out = {"value": _check_measure(name, value["value"])}
        if value.get("unit") is not None:
            out["unit"] = str(value["unit"])
        return out
    raise InvalidInput(f"measurement {name} has an unsupported type {type(value).__name__}")
