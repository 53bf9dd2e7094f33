"""Values as typed on the command line or in a CSV: attributes (kept as their text unless a
number or boolean prints back as exactly that text), measurements (a number with a unit
of the unit table, or a list of integers), and the unit table itself. No I/O."""
from __future__ import annotations

import math
import re

from . import registry
from .errors import InvalidInput

MAX_ATTRIBUTE_NAME_LENGTH = 64
_ATTRIBUTE_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def check_number(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{what} must be a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{what} is {value}; give a finite number")
    return value


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


# Display only: the prefixes a value is shown with, smallest first. Stored values and the
# comparisons with limits never go through this.
_DISPLAY_PREFIXES = (("p", 1e-12), ("n", 1e-9), ("\u00b5", 1e-6), ("m", 1e-3), ("", 1.0),
                     ("k", 1e3), ("M", 1e6), ("G", 1e9))


def _significant(number: float, digits: int) -> str:
    """``number`` with exactly ``digits`` significant digits, trailing zeros kept (15.0)."""
    if number == 0:
        return "0"
    exponent = math.floor(math.log10(abs(number)))
    decimals = digits - 1 - exponent
    if decimals < 0:
        return f"{round(number, decimals):.0f}"
    return f"{number:.{decimals}f}"


def format_si(value: object, unit: str | None = None, digits: int = 3) -> str:
    """A measurement for people: ``6.436e-06, "A"`` -> ``6.44 µA``; ``15000, "nA"`` ->
    ``15.0 µA``; ``-9.04, "C"`` -> ``-9.04 C``.

    Units that take SI prefixes are re-prefixed so that the number lies in [1, 1000); other
    units, and numbers without a unit, keep their unit and get ``digits`` significant digits
    (integers without a prefixable unit are shown whole). Anything that is not a number is
    shown as ``svt show`` shows a value (registry.format_value): a list as ``[47, 128]`` (not
    ``47,128``, which reads as one number), true/false, a word as it is.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = registry.format_value(value)
        return f"{text} {unit}" if unit else text
    number = float(value)
    if not math.isfinite(number):
        return f"{number} {unit}" if unit else str(number)
    base = unit_base(unit)
    prefixable = base is not None and any(sym == base[0] and pre for sym, _, pre in BASE_UNITS)
    if not prefixable or base is None:
        text = str(value) if isinstance(value, int) else _significant(number, digits)
        return f"{text} {unit}" if unit else text
    symbol, factor = base
    number *= factor
    if number == 0:
        return f"0 {symbol}"
    number = float(_significant(number, digits))  # round first: 999.6 µA shows as 1.00 mA
    chosen = _DISPLAY_PREFIXES[0]
    for prefix in _DISPLAY_PREFIXES:
        if abs(number) >= prefix[1] * (1 - 1e-12):
            chosen = prefix
    return f"{_significant(number / chosen[1], digits)} {chosen[0]}{symbol}"


def format_measurement(value: object, unit: str | None = None, digits: int = 3) -> str:
    """A stored measurement for people, the one rule of `svt show`, `svt show-test`, `svt
    test` and the site: a number or ``{value, unit}`` through format_si (``6.44 µA``);
    ``unit``: the unit of a number stored without one (its test definition's); nothing
    (None, or a dict without a value) as "". Display only: the record keeps the number."""
    if isinstance(value, dict):
        unit = value.get("unit") or unit
        value = value.get("value")
    if value is None:
        return ""
    return format_si(value, str(unit) if unit else None, digits)


def format_measurements(measurements: dict | None) -> str:
    """A test's measurements on one line: ``current=6.44 µA, bad_channels=[47, 128]``."""
    return ", ".join(f"{name}={format_measurement(value)}"
                     for name, value in (measurements or {}).items())


def format_pair(value: float, limit: float, unit: str | None = None,
                digits: int = 3) -> tuple[str, str]:
    """A value and the limit it is compared with, for people (format_si each): with more
    significant digits while the two would read alike though they differ, so that a value
    just past its limit never shows as equal to it (4.0001e-06 against 4e-06 A:
    ``4.0001 µA``, ``4.0000 µA``). Two numbers that no digits tell apart are shown as
    stored. Display only: limits are compared on the stored value."""
    for shown in range(digits, 18):
        pair = format_si(value, unit, shown), format_si(limit, unit, shown)
        if pair[0] != pair[1] or value == limit:
            return pair
    suffix = f" {unit}" if unit else ""
    return f"{value!r}{suffix}", f"{limit!r}{suffix}"
