"""Dates: ISO 8601 in and out, the local zone for a date without one, windows for --since and
--until, and the order of a component's events (their date, then when svt recorded them)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from .errors import InvalidInput


def now() -> datetime:
    return datetime.now().astimezone().replace(microsecond=0)


# How far ahead of this computer's clock an event's date may be (time zones, a clock a bit
# fast); later dates are mistakes.
FUTURE_SLACK = timedelta(days=1)
# How far ahead an installation or removal may be dated: no more than two clones' clocks
# differ. A component's next install or removal must come after its latest one, so a
# position event dated later would hold back every clone's next one until that time.
POSITION_SLACK = timedelta(minutes=10)


def in_future(value: datetime, slack: timedelta = FUTURE_SLACK) -> bool:
    """Whether ``value`` lies further ahead than clocks and time zones explain (``slack``)."""
    return value > datetime.now(timezone.utc) + slack


def time_ahead(value: datetime) -> str:
    """How far ``value`` lies ahead of now, in words: "20 hours", "3 days", "12 minutes"."""
    seconds = max(0, round((value - datetime.now(timezone.utc)).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = round(seconds / size)
        if count >= 2 or unit == "minute" and count == 1:
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} seconds"


def parse_date(text: str | datetime, what: str = "date") -> datetime:
    """Parse an ISO 8601 date or date-time; no zone means the local zone."""
    if isinstance(text, datetime):
        value = text
    else:
        raw = str(text).strip()
        try:
            # Python < 3.11 does not read a trailing "Z"
            value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
        except ValueError:
            raise InvalidInput(f"{what} {raw!r} is not an ISO 8601 date: write e.g. 2025-03-14 or"
                               " 2025-03-14T10:22:00 (local time) or 2025-03-14T10:22:00-04:00") from None
    if value.tzinfo is None:
        value = value.astimezone()  # naive means local time
    return value


def format_date(value: datetime) -> str:
    """ISO 8601 with the UTC offset, seconds precision unless the value has microseconds."""
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def date_stamp(value: datetime) -> str:
    """The YYYYMMDD_HHMMSS part of an event file name (the event's own clock)."""
    return value.strftime("%Y%m%d_%H%M%S")


def to_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


class DateWindow(NamedTuple):
    """``--since`` / ``--until`` as UTC bounds (either may be None: open on that side)."""

    since: datetime | None
    until: datetime | None

    def holds(self, when: datetime) -> bool:
        utc = to_utc(when)
        return (self.since is None or utc >= self.since) and (
            self.until is None or utc <= self.until)


def date_bound(text: str, end: bool = False, what: str = "date") -> datetime:
    """A date given to filter by, in UTC. A day alone (2025-03-14) starts at its midnight,
    or, as an end (``--until``, ``--at``), includes the whole day."""
    value = parse_date(text, what)
    if end and isinstance(text, str) and "T" not in text.strip() and " " not in text.strip():
        value = value + timedelta(days=1) - timedelta(microseconds=1)
    return to_utc(value)


def date_window(since: str | None = None, until: str | None = None) -> DateWindow:
    window = DateWindow(date_bound(since, what="--since date") if since else None,
                        date_bound(until, end=True, what="--until date") if until else None)
    if window.since and window.until and window.since > window.until:
        raise InvalidInput(f"--since {since} is after --until {until}: swap them")
    return window


def recorded_now() -> str:
    """The ``recorded`` stamp of a new event: when svt wrote it, in UTC with microseconds.

    ``date`` says when a thing happened and may be given by hand; ``recorded`` breaks ties
    between events of equal date in the order they were written."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_order(date: datetime, recorded: object, file_name: str) -> tuple:
    """The sort key of a component's events: their date, then when svt recorded them.

    Events without ``recorded`` (written by hand, or by svt before it wrote the field) come
    before recorded ones of the same date, then in file-name order. ``recorded`` is
    fixed-width UTC text, so comparing the text compares the times."""
    stamp = recorded if isinstance(recorded, str) else ""
    return (to_utc(date), stamp, file_name)
