"""The component model: naming rules, positions and dates. No I/O (the default
enumerations come from the registry, which reads svt's schemas on first use)."""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from . import registry
from .errors import InvalidInput

# The enumerations (component types, statuses, log types, severities, file kinds) are
# written once, in the JSON Schemas: registry.enumerations() reads a store's, and
# model.COMPONENT_TYPES etc. are svt's defaults, read on first use.
_DEFAULT_ENUMS = {"COMPONENT_TYPES": "component_types", "STATUSES": "statuses",
                  "LOG_TYPES": "log_types", "SEVERITIES": "severities", "FILE_KINDS": "file_kinds"}


def __getattr__(name: str) -> Any:
    if name in _DEFAULT_ENUMS:
        return getattr(registry.defaults(), _DEFAULT_ENUMS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Statuses whose component holds no position: `svt install` refuses them, and validate warns
# where a record has both.
OUT_OF_SERVICE = ("retired", "lost")

# Event kinds, as the registry declares them.
EVENT_KINDS = tuple(registry.EVENT_KINDS)
MODULE_PARTS = registry.MODULE_PARTS
RESERVED_TEST_TYPES = frozenset(EVENT_KINDS) | {"component"}

MAX_ID_LENGTH = 64
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
MAX_ATTRIBUTE_NAME_LENGTH = 64
_ATTRIBUTE_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_TEST_TYPE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,47}$")
_FREE_POSITION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_MODULE_POSITION_RE = re.compile(
    r"^Layer(?P<layer>[0-7])_(top|bottom)_(axial|stereo)(?:_(?P<side>slot|hole))?$")
_FEB_POSITION_RE = re.compile(r"^FEB(0|[1-9][0-9]{0,2})$")


def check_id(component_id: str, what: str = "component id") -> str:
    """Return the id if it is safe as a folder name on every OS, else raise InvalidInput."""
    if not isinstance(component_id, str) or not component_id:
        raise InvalidInput(f"{what} is empty: give an id such as MODULE-L1-001")
    if len(component_id) > MAX_ID_LENGTH:
        raise InvalidInput(f"{what} {component_id[:20]!r}... is {len(component_id)} characters long;"
                           f" use at most {MAX_ID_LENGTH}")
    if not _ID_RE.match(component_id):
        raise InvalidInput(
            f"{what} {component_id!r} has characters svt cannot use in a folder name: use letters,"
            " digits and . _ + - , starting with a letter or digit (e.g. HPK-SN123456)")
    if component_id.endswith("."):
        raise InvalidInput(f"{what} {component_id!r} ends with a dot, which Windows drops; remove it")
    return component_id


# A component's page on the site, and so what a label's QR code holds when svt.yaml names
# the site (site_url): <site_url>/components/<ID>.html. Every command that takes an id also
# takes such a URL (what a scanner types), so the page's path is written here once.
PAGE_FOLDER = "components"
_PAGE_URL_RE = re.compile(r"^\S*/" + PAGE_FOLDER + r"/(?P<id>[^/?#]+)\.html(?:[?#]\S*)?$")


def component_url(site_url: str, component_id: str) -> str:
    """The URL of a component's page on the site at ``site_url``."""
    return f"{site_url.rstrip('/')}/{PAGE_FOLDER}/{component_id}.html"


def id_from_scan(text: str) -> str:
    """The component id a scanned label gives: the id in ``<anything>/components/<ID>.html``
    (a page URL), else the text itself (a bare id; ids hold no "/")."""
    if "/" not in text:
        return text
    match = _PAGE_URL_RE.match(text.strip())
    if match is None:
        return text  # check_id says what is wrong with it
    from urllib.parse import unquote
    return unquote(match.group("id"))


# A connection's id is made of what identifies it: its two components (in sorted order, so
# both sides and every clone name it alike) and its type, e.g. FEB-042~HPK-SN123456~signal.
# Ids cannot hold "~", so the first two "~" split it; a type may hold anything.
CONNECTION_ID_SEPARATOR = "~"


def connection_id(a: str, b: str, connection_type: str) -> str:
    first, second = sorted((a, b))
    return CONNECTION_ID_SEPARATOR.join((first, second, connection_type))


def parse_connection_id(text: str) -> tuple[str, str, str]:
    """(a, b, type) of a connection id, or InvalidInput naming the form."""
    parts = str(text).split(CONNECTION_ID_SEPARATOR, 2)
    if len(parts) != 3 or not parts[2] or not all(_ID_RE.match(p) for p in parts[:2]):
        raise InvalidInput(f"{text!r} is not a connection id (A~B~TYPE, e.g."
                           " FEB-042~HPK-SN123456~signal): `svt connections ID` prints them")
    return parts[0], parts[1], parts[2]


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InvalidInput(f"unknown {what} {value!r}: use one of {', '.join(choices)}")
    return value


def check_type(component_type: str, enums: registry.Enumerations | None = None) -> str:
    """A component type of ``enums`` (a store's; default: svt's own)."""
    return check_choice(component_type, (enums or registry.defaults()).component_types,
                        "component type")


def check_status(status: str, enums: registry.Enumerations | None = None) -> str:
    """A status of ``enums`` (a store's; default: svt's own)."""
    return check_choice(status, (enums or registry.defaults()).statuses, "status")


def check_test_type(test_type: str) -> str:
    if not isinstance(test_type, str) or not _TEST_TYPE_RE.match(test_type):
        raise InvalidInput(
            f"test type {test_type!r} is not usable: use a letter then letters, digits or _ "
            "(e.g. iv_curve, noise_test), at most 48 characters")
    if test_type.lower() in RESERVED_TEST_TYPES:
        raise InvalidInput(f"test type {test_type!r} is reserved for other records; pick another name")
    return test_type


MODULE_LAYERS = 8  # layers 0-7
SIDED_FROM_LAYER = 4  # layers 4 and up have slot and hole modules
DEFAULT_FEB_COUNT = 12  # FEB1 to FEB12, unless svt.yaml's detector: febs: says otherwise


def detector_positions(febs: int = DEFAULT_FEB_COUNT,
                       others: dict[str, list[str]] | None = None) -> list[str]:
    """Every detector position in detector order: layer by layer, top before bottom, axial
    before stereo, slot before hole; then FEB1 to FEB<febs>; then other types' positions
    in the order given."""
    out = []
    for layer in range(MODULE_LAYERS):
        for half in ("top", "bottom"):
            for view in ("axial", "stereo"):
                base = f"Layer{layer}_{half}_{view}"
                out += [f"{base}_{s}" for s in ("slot", "hole")] if layer >= SIDED_FROM_LAYER \
                    else [base]
    out += [f"FEB{n}" for n in range(1, febs + 1)]
    for names in (others or {}).values():
        out += [n for n in names if n not in out]
    return out


def position_kind(position: str) -> str:
    """'module', 'feb' or 'free' for a syntactically valid position name."""
    if _MODULE_POSITION_RE.match(position):
        return "module"
    if _FEB_POSITION_RE.match(position):
        return "feb"
    return "free"


def check_position(position: str, component_type: str,
                   patterns: dict[str, str] | None = None) -> str:
    """Check a position against the notation for the component's type."""
    m = _MODULE_POSITION_RE.match(position or "")
    if m:
        layer, side = int(m.group("layer")), m.group("side")
        if layer <= 3 and side:
            raise InvalidInput(f"position {position!r}: layers 0-3 have no slot/hole side;"
                               f" write Layer{layer}_{position.split('_')[1]}_{position.split('_')[2]}")
        if layer >= 4 and not side:
            raise InvalidInput(f"position {position!r}: layers 4-7 need a side; write {position}_slot"
                               f" or {position}_hole")
    kind = position_kind(position or "")
    if component_type == "module" and kind != "module":
        raise InvalidInput(
            f"position {position!r} is not a module position: use LayerN_{{top|bottom}}_{{axial|stereo}}"
            " for layers 0-3 (e.g. Layer1_top_axial) or LayerN_{top|bottom}_{axial|stereo}_{slot|hole}"
            " for layers 4-7 (e.g. Layer5_bottom_stereo_hole)")
    if component_type == "feb" and kind != "feb":
        raise InvalidInput(f"position {position!r} is not a FEB position: use FEBN, e.g. FEB1")
    if component_type not in ("module", "feb"):
        if kind != "free":
            raise InvalidInput(f"position {position!r} is reserved for {kind}s;"
                               f" a {component_type} needs another position name")
        if not _FREE_POSITION_RE.match(position or ""):
            raise InvalidInput(f"position {position!r} is not usable: use letters, digits, _ and -"
                               " (e.g. Crate1_Slot3)")
        pattern = (patterns or {}).get(component_type)
        if pattern and not re.fullmatch(pattern, position):
            raise InvalidInput(f"position {position!r} does not match the pattern {pattern!r} that"
                               f" svt.yaml sets for {component_type} positions")
    return position


def check_number(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{what} must be a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{what} is {value}; give a finite number")
    return value


# ---- dates -------------------------------------------------------------------------

def now() -> datetime:
    return datetime.now().astimezone().replace(microsecond=0)


# How far ahead of this computer's clock an event's date may be (time zones, a clock a bit
# fast); later dates are mistakes.
FUTURE_SLACK = timedelta(days=1)


def in_future(value: datetime) -> bool:
    """Whether ``value`` lies further ahead than clocks and time zones explain."""
    return value > datetime.now(timezone.utc) + FUTURE_SLACK


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


# ---- values typed on the command line ------------------------------------------------

def attribute_value(text: str) -> object:
    """An attribute as typed (``--attr``, CSV attribute columns): a number only when the
    number prints back as exactly that text, a boolean only for true/false, else the text.

    ``512`` -> 512, ``-5`` -> -5, ``0.5`` -> 0.5; ``0042``, ``1.50``, ``1e-6``, ``+5``,
    ``1.2.3`` and ``320um`` stay text."""
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        if (str(number) if kind is int else repr(number)) == text and math.isfinite(number):
            return number
    return text


def check_attribute_name(name: object) -> str:
    """An attribute's name: an ASCII letter, then ASCII letters, digits, _ and -, at most 64
    characters, its case kept (Vbias and vbias are two names). Such a name is a column
    (``attr.<name>``) in `svt export` that pandas, ROOT and spreadsheets read as typed."""
    if (not isinstance(name, str) or len(name) > MAX_ATTRIBUTE_NAME_LENGTH
            or not _ATTRIBUTE_NAME_RE.fullmatch(name)):
        raise InvalidInput(f"attribute name {name!r} is not usable: start with a letter (A-Z,"
                           " a-z), then letters, digits, _ or -, at most"
                           f" {MAX_ATTRIBUTE_NAME_LENGTH} characters (e.g. channel_count)")
    return name


def check_attributes(attributes: dict) -> dict:
    """Attributes to write: usable names (check_attribute_name), finite numbers."""
    for name, value in attributes.items():
        check_attribute_name(name)
        if isinstance(value, float):
            check_number(value, f"attribute {name}")
    return dict(attributes)


def parse_attribute(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` as typed after --attr -> (key, value) by the round-trip rule."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name:
        raise InvalidInput(f"attribute {text!r} is not KEY=VALUE: write e.g."
                           " --attr channel_count=512 or --attr firmware=1.2.3")
    if not raw:
        raise InvalidInput(f"attribute {name} has no value: write {name}=VALUE")
    return name, attribute_value(raw)


def parse_attribute_filter(text: str) -> tuple[str, str | None]:
    """``KEY=VALUE`` or ``KEY`` as typed after `svt list --attr` -> (key, value text or None:
    any value)."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not name:
        raise InvalidInput(f"attribute filter {text!r} has no name: write e.g."
                           " --attr channel_count=512, or --attr channel_count for any value")
    check_attribute_name(name)
    if sep and not raw:
        raise InvalidInput(f"attribute filter {text!r} has no value: write {name}=VALUE, or"
                           f" {name} alone for any value")
    return name, raw if sep else None


def attributes_match(attributes: dict | None, filters: list[tuple[str, str | None]]) -> bool:
    """Whether a component's attributes satisfy every filter: the key is there and, when the
    filter gives a value, the attribute prints as exactly that text (512 matches 512, 0042
    matches only 0042, true matches true)."""
    attributes = attributes or {}
    for name, text in filters:
        if attributes.get(name) is None:
            return False
        if text is not None and registry.format_value(attributes[name]) != text:
            return False
    return True


# The units a measurement may carry: symbol, what it is, whether SI prefixes apply.
# Written once here; the README's unit table is checked against it.
# The measurements `svt test --voltage/--current/--temp/--noise` write, with their units;
# CSV columns of these names and the original tracker's columns import the same way.
STANDARD_MEASURES = {"voltage": "V", "current": "A", "temperature": "C", "noise": "e"}

BASE_UNITS = (
    ("V", "volt", True),
    ("A", "ampere", True),
    ("C", "degree Celsius (what --temp writes)", False),
    ("K", "kelvin", True),
    ("Ohm", "ohm", True),
    ("Ohm*cm", "resistivity, ohm centimetre", True),
    ("F", "farad", True),
    ("Hz", "hertz", True),
    ("s", "second", True),
    ("m", "metre", True),
    ("g", "gram", True),
    ("W", "watt", True),
    ("e", "electrons (ENC noise, what --noise writes)", True),
    ("Gy", "gray (radiation dose)", True),
    ("rad", "rad (radiation dose, 0.01 Gy)", True),
    ("neq/cm2", "1 MeV neutron-equivalent fluence per cm\u00b2", False),
    ("%", "percent", False),
    ("ppm", "parts per million", False),
    ("dB", "decibel", False),
    ("ADC", "ADC counts", False),
)
# Prefix -> factor; "u", "\u00b5" (micro sign) and "\u03bc" (Greek mu) all mean micro.
SI_PREFIXES = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "\u00b5": 1e-6, "\u03bc": 1e-6, "m": 1e-3,
               "k": 1e3, "M": 1e6, "G": 1e9}


def _unit_table() -> dict[str, tuple[str, float]]:
    table: dict[str, tuple[str, float]] = {}
    for symbol, _, prefixed in BASE_UNITS:
        for prefix, factor in ((("", 1.0),) + tuple(SI_PREFIXES.items()) if prefixed else (("", 1.0),)):
            table.setdefault(prefix + symbol, (symbol, factor))
    for symbol, _, _ in BASE_UNITS:  # a bare symbol is always itself (m is metre, not milli)
        table[symbol] = (symbol, 1.0)
    return table


UNITS = _unit_table()  # every unit svt accepts -> (base unit, factor to the base unit)


def unit_base(unit: str | None) -> tuple[str, float] | None:
    """(base unit, factor) of a known unit, e.g. ``uA`` -> (``A``, 1e-6); None otherwise."""
    return UNITS.get(unit) if unit else None


def unit_factor(unit: str | None, target: str | None) -> float | None:
    """What a value in ``unit`` is multiplied by to be in ``target``: 1 when they are the
    same or either is missing (a number without a unit is taken to be in the other), None
    when they do not convert (another base unit, or one svt does not know)."""
    if not unit or not target or unit == target:
        return 1.0
    have, want = unit_base(unit), unit_base(target)
    if not have or not want or have[0] != want[0]:
        return None
    return have[1] / want[1]


_NUMBER_PREFIX_RE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_INT_ITEM_RE = re.compile(r"-?(?:0|[1-9]\d*)")
_UNIT_HELP = ("a number with an optional unit (e.g. 2.3e-6A, 2.3uA, 1500e, -9.0C),"
              " or integers separated by commas (e.g. 47,128)")


def parse_measurement(text: str) -> tuple[str, object]:
    """``NAME=VALUE[UNIT]`` as typed on the command line -> (name, value).

    The value is the longest prefix that reads as a number, the rest a unit of ``UNITS``:
    ``leakage=2.3e-6A`` -> {value: 2.3e-6, unit: A}; ``x=1.5e3`` -> 1500.0;
    ``noise=1500e`` -> {value: 1500, unit: e}; ``bad_channels=47,128`` -> [47, 128].
    Anything else is refused, never split."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InvalidInput(f"measurement {text!r} is not NAME=VALUE: write e.g."
                           " --measure leakage=2.3e-6A or --measure bad_channels=47,128")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,63}", name):
        raise InvalidInput(f"measurement name {name!r} is not usable: start with a letter, then"
                           " letters, digits, _ . -")
    return name, measurement_value(raw.strip(), name)


def measurement_value(raw: str, name: str = "value") -> object:
    """The value part of ``NAME=VALUE[UNIT]`` (also a cell of a CSV measurement column)."""
    if not raw:
        raise InvalidInput(f"measurement {name} has no value: write {name}=VALUE")
    if "," in raw:
        items = [p.strip() for p in raw.split(",")]
        bad = [p for p in items if not _INT_ITEM_RE.fullmatch(p)]
        if bad:
            raise InvalidInput(
                f"measurement {name}={raw}: {bad[0]!r} is not an integer without leading zeros;"
                " a comma separates integers (e.g. bad_channels=47,128): write one number"
                " without thousands separators (1000), or put text in --notes")
        return [int(p) for p in items]
    m = _NUMBER_PREFIX_RE.match(raw)
    if not m:
        if raw.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise InvalidInput(f"measurement {name} is {raw}; give a finite number")
        raise InvalidInput(f"measurement {name}={raw} is not a number: write {_UNIT_HELP};"
                           " put text in --notes")
    number_text, unit = m.group(0), raw[m.end():].strip()
    value: int | float = (int(number_text) if re.fullmatch(r"[-+]?\d+", number_text)
                          else float(number_text))
    check_number(value, f"measurement {name}")
    if not unit:
        return value
    return {"value": value, "unit": check_unit(unit, f"measurement {name}={raw}")}


def check_unit(unit: str, what: str) -> str:
    """Return ``unit`` if it is one of ``UNITS``, else raise a one-line InvalidInput."""
    if unit not in UNITS:
        raise InvalidInput(
            f"{what}: unknown unit {unit!r}; use one of"
            f" {' '.join(s for s, _, _ in BASE_UNITS)}, most with an SI prefix"
            f" ({' '.join(p for p in SI_PREFIXES if p != chr(0x3bc))}), e.g. 2.3uA;"
            " put other text in --notes")
    return unit
