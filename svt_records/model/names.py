"""The names svt accepts: component ids (safe as folder names everywhere), a component's page
URL and what a scanned label gives, connection ids, component types and statuses, test
types, and detector positions in their notation and order; and the one rule of path-safe
names (:func:`is_path_safe`) that validate and the site apply to every name that becomes
part of a path. No I/O."""
from __future__ import annotations

import re

from . import registry
from .errors import InvalidInput

# Statuses whose component holds no position: `svt install` refuses them, and validate warns
# where a record has both.
OUT_OF_SERVICE = ("retired", "lost")

# Event kinds, as the registry declares them.
EVENT_KINDS = tuple(registry.EVENT_KINDS)
MODULE_PARTS = registry.MODULE_PARTS
RESERVED_TEST_TYPES = frozenset(EVENT_KINDS) | {"component"}

MAX_ID_LENGTH = 64
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
    if is_path_safe(component_id):  # the one rule; what follows says what is wrong
        return component_id
    if _PATH_SAFE_RE.fullmatch(component_id):
        raise InvalidInput(f"{what} {component_id!r} ends with a dot, which Windows drops; remove it")
    raise InvalidInput(
        f"{what} {component_id!r} has characters svt cannot use in a folder name: use letters,"
        " digits and . _ + - , starting with a letter or digit (e.g. HPK-SN123456)")


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
    if len(parts) != 3 or not parts[2] or not all(_PATH_SAFE_RE.fullmatch(p) for p in parts[:2]):
        raise InvalidInput(f"{text!r} is not a connection id (A~B~TYPE, e.g."
                           " FEB-042~HPK-SN123456~signal): `svt connections ID` prints them")
    return parts[0], parts[1], parts[2]


# Path-safe names: every name svt puts into a path of its own (a component id, a test type,
# a measurement name, a stored file's name) and so into a file name of the site. One rule,
# built into svt: a store's schemas come with its pull requests, so they cannot be what
# keeps a name from climbing out of a folder. Letters, digits and . _ + -, starting with a
# letter or digit, not ending with a dot (Windows drops it): no "/", "\\", ".." or space.
MAX_SAFE_NAME_LENGTH = 128
_PATH_SAFE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def is_path_safe(name: object) -> bool:
    """Whether ``name`` is safe as one file or folder name on every OS and in a URL."""
    return (isinstance(name, str) and len(name) <= MAX_SAFE_NAME_LENGTH
            and _PATH_SAFE_RE.fullmatch(name) is not None and not name.endswith("."))


def path_safe_problem(name: object, what: str) -> str | None:
    """None for a path-safe name, else what is wrong with it and what to write instead."""
    if is_path_safe(name):
        return None
    shown = repr(name) if not isinstance(name, str) or len(name) <= 60 else repr(name[:60]) + "..."
    return (f"{what} {shown} cannot name a file: use letters, digits and . _ + - (starting"
            f" with a letter or digit, not ending with a dot, at most {MAX_SAFE_NAME_LENGTH}"
            " characters)")


def path_parts(rel: object) -> list[str] | None:
    """The names of a plain relative path ("a/b/c", "/" between names), None for anything
    else: a "\\" or NUL anywhere, or an empty, "." or ".." name. The rule of every path svt
    opens in a store or writes into a site's folder."""
    if not isinstance(rel, str) or "\\" in rel or "\0" in rel:
        return None
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return parts


def check_path_safe(name: object, what: str) -> str:
    """The name if it is path-safe (:func:`is_path_safe`), else InvalidInput."""
    problem = path_safe_problem(name, what)
    if problem:
        raise InvalidInput(problem)
    return str(name)


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
