"""Test definitions (svt.yaml's ``test_types:``) and the verdict their limits give.

A definition names a test type's measurements with their units and limits (min and max,
overridable per component type), what a result requires, and the analysis (``iv``,
``noise``) that derives measurements from its data file. svt.yaml's schema checks the
form; this module reads it and judges measurements. No I/O, no numpy.

A figure listed under the definition's ``placeholders:`` is not the collaboration's yet: a
placeholder limit never decides a verdict (what it would say is advisory), while a limit
that is set decides even when the analysis settings its value rests on are placeholders
(svt says so). docs/how-to/test-definitions.md has the rule.
"""
from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping, NamedTuple

from .. import model
from ..model.errors import InvalidInput

# The settings each analysis takes, with svt's defaults (units in docs/how-to/test-definitions.md).
ANALYSIS_SETTINGS: dict[str, dict[str, float | None]] = {
    "iv": {"operating_voltage": 180.0, "breakdown_factor": 1.2, "breakdown_step": 5.0,
           "compliance": None},
    "noise": {"noisy_k": 5.0, "noisy_threshold": None, "dead_below": 200.0},
}
# iv v2: the breakdown criterion of ATLAS ITk sensor QC against the fitted bulk current
ANALYSIS_VERSIONS = {"iv": 2, "noise": 1}
# The settings each derived measurement rests on: a limit on it that is set still decides
# while they are placeholders, and svt says so.
DERIVED_FROM: dict[str, dict[str, tuple[str, ...]]] = {
    "iv": {"leakage_at_operating_voltage": ("operating_voltage",),
           "leakage_20C": ("operating_voltage",),
           "breakdown_voltage": ("breakdown_factor", "breakdown_step", "compliance")},
    "noise": {"noisy_channels": ("noisy_k", "noisy_threshold"),
              "noisy_channel_list": ("noisy_k", "noisy_threshold"),
              "dead_channels": ("dead_below",), "dead_channel_list": ("dead_below",)},
}
REFERENCE_TEMPERATURE = 20.0  # °C, what leakage_20C is normalised to
# a store whose svt.yaml defines no test types (made before test_types:) names its IV tests
IV_NAME = re.compile(r"(^|_)iv($|_)|iv_?curve|leakage", re.IGNORECASE)

def _set_defaults(analysis: str) -> dict[str, float]:
    """The settings of ``analysis`` that have a default (:data:`ANALYSIS_SETTINGS`), as
    `svt init` writes them into svt.yaml."""
    return {k: v for k, v in ANALYSIS_SETTINGS[analysis].items() if v is not None}


# What `svt init` writes. Every figure without a published HPS SVT source is listed under
# placeholders; docs/how-to/test-definitions.md says where each default comes from.
DEFAULT_TEST_TYPES: dict[str, Any] = {
    "iv_curve": {
        "description": "Leakage current against reverse bias voltage (sensor or module)",
        "analysis": {"name": "iv", **_set_defaults("iv"), "compliance": 1.0e-5},
        "measurements": {
            "leakage_at_operating_voltage": {"unit": "A", "max": 4.0e-6},
            "leakage_20C": {"unit": "A", "max": 4.0e-6},
            "breakdown_voltage": {"unit": "V", "min": 200.0},
        },
        "requires": {"files": ["data"]},
        "placeholders": ["analysis.operating_voltage", "analysis.breakdown_factor",
                         "analysis.breakdown_step", "analysis.compliance",
                         "measurements.leakage_at_operating_voltage.max",
                         "measurements.leakage_20C.max", "measurements.breakdown_voltage.min"],
    },
    "noise_test": {
        "description": "Noise (ENC) of each channel of a module's readout",
        "analysis": {"name": "noise", **_set_defaults("noise")},
        "measurements": {
            "noise_mean": {"unit": "e", "max": 2000.0},
            "noisy_channels": {"max": 6},
            "dead_channels": {"max": 6},
        },
        "requires": {"files": ["data"]},
        "placeholders": ["analysis.dead_below", "measurements.noise_mean.max",
                         "measurements.noisy_channels.max", "measurements.dead_channels.max"],
    },
}


class Limit(NamedTuple):
    """The allowed range of one measurement for one component type (None: no bound), with
    the svt.yaml path each bound comes from (``measurements.NAME.max``,
    ``measurements.NAME.by_type.TYPE.max``)."""

    name: str
    unit: str | None
    min: float | None = None
    max: float | None = None
    min_path: str = ""
    max_path: str = ""

    def bounds(self) -> Iterator[tuple[str, float, str]]:
        """Each bound that is set, min first: ``("min", value, path)``, ``("max", value,
        path)``, with the svt.yaml path it comes from (for ``TestType.is_placeholder``)."""
        for bound, edge, path in (("min", self.min, self.min_path),
                                  ("max", self.max, self.max_path)):
            if edge is not None:
                yield bound, edge, path

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.min is not None and self.max is not None:
            return f"{self.min:g} to {self.max:g}{unit}"
        if self.min is not None:
            return f">= {self.min:g}{unit}"
        return f"<= {self.max:g}{unit}" if self.max is not None else "no limit"


class TestType(NamedTuple):
    """One definition of svt.yaml's ``test_types:``."""

    name: str
    description: str = ""
    measurements: Mapping[str, Mapping[str, Any]] = MappingProxyType({})
    requires_measurements: tuple[str, ...] = ()
    requires_files: tuple[str, ...] = ()
    analysis: str | None = None
    settings: Mapping[str, Any] = MappingProxyType({})
    placeholders: tuple[str, ...] = ()

    def limits(self, component_type: str | None = None) -> list[Limit]:
        """Each measurement's limits, those of ``component_type`` (``by_type``) overriding."""
        out = []
        for name, spec in self.measurements.items():
            own = dict((spec.get("by_type") or {}).get(component_type or "", {}))
            paths = {b: f"measurements.{name}.by_type.{component_type}.{b}" if b in own
                     else f"measurements.{name}.{b}" for b in ("min", "max")}
            out.append(Limit(name, spec.get("unit"), own.get("min", spec.get("min")),
                             own.get("max", spec.get("max")), paths["min"], paths["max"]))
        return out

    def is_placeholder(self, path: str) -> bool:
        """Whether the figure at ``path`` (``measurements.NAME.max``) is a placeholder: it,
        or a path above it (``measurements.NAME``), is listed under ``placeholders:``."""
        return any(path == p or path.startswith(p + ".") for p in self.placeholders)

    def setting(self, name: str) -> Any:
        """An analysis setting: the definition's, else svt's default."""
        if name in self.settings:
            return self.settings[name]
        return ANALYSIS_SETTINGS.get(self.analysis or "", {}).get(name)


def definitions(config: Mapping[str, Any]) -> dict[str, TestType]:
    """The test types svt.yaml defines (its schema has checked their form)."""
    out = {}
    for name, spec in (config.get("test_types") or {}).items():
        analysis = dict(spec.get("analysis") or {})
        requires = spec.get("requires") or {}
        out[name] = TestType(
            name=name, description=spec.get("description", ""),
            measurements=spec.get("measurements") or {},
            requires_measurements=tuple(requires.get("measurements") or ()),
            requires_files=tuple(requires.get("files") or ()),
            analysis=analysis.pop("name", None), settings=analysis,
            placeholders=tuple(spec.get("placeholders") or ()))
    return out


def holds_iv(defined: Mapping[str, TestType], test_type: str) -> bool:
    """Whether the data files of ``test_type``'s results are IV curves: its definition's
    analysis is ``iv``. In a store that defines no test types (``defined`` empty), a name
    such as iv, iv_curve or leakage_scan says so."""
    if defined:
        definition = defined.get(test_type)
        return definition is not None and definition.analysis == "iv"
    return IV_NAME.search(test_type) is not None


def lookup(config: Mapping[str, Any], test_type: str) -> tuple[TestType | None, str | None]:
    """(the definition of ``test_type``, or None; a warning when svt.yaml defines test types
    but not this one). With ``strict: true`` in svt.yaml the warning is an error."""
    defined = definitions(config)
    if test_type in defined or not defined:
        return defined.get(test_type), None
    message = (f"test type {test_type!r} is not defined in svt.yaml (defined:"
               f" {', '.join(sorted(defined))}); `svt test-types` lists them")
    if config.get("strict"):
        raise InvalidInput(message + "; add it under test_types: or use a defined one")
    return None, message


# ---- verdicts --------------------------------------------------------------------------

class Verdict(NamedTuple):
    """What the limits say of a result. ``verdict`` ("pass", "fail", or None when no limit
    the collaboration has set applied) and ``failed`` (each failed limit, "noise_mean 2100 e
    > max 2000 e") come from the limits that are set: only they decide. ``advisory`` and
    ``advisory_failed`` are what the placeholder limits would say. ``unsettled`` names the
    deciding limits whose value the analysis derived with placeholder settings."""

    verdict: str | None
    failed: tuple[str, ...] = ()
    checked: tuple[str, ...] = ()
    advisory: str | None = None
    advisory_failed: tuple[str, ...] = ()
    unsettled: tuple[str, ...] = ()
    shown: Mapping[str, str] = MappingProxyType({})

    def show(self, failed: Iterable[str]) -> list[str]:
        """Failed limits for people: each value and its limit with SI prefixes, told apart
        (model.format_pair); ``failed`` and ``limits.failed`` keep the stored text."""
        return [self.shown.get(f, f) for f in failed]

    def notes(self) -> list[str]:
        """What a physicist needs beside the verdict: the placeholders' advisory outcome, and
        the deciding limits that rest on placeholder settings."""
        out = []
        if self.advisory:
            shown = self.show(self.advisory_failed)
            failed = f": {'; '.join(shown)}" if shown else ""
            out.append(f"placeholder limits would say {self.advisory.upper()}{failed}"
                       + ("" if self.checked else " (advisory: placeholder limits give no"
                          " verdict; `svt test-types` lists them)"))
        out += [f"{u}: judged on a value derived with placeholder settings"
                for u in self.unsettled]
        return out


def number_in(value: Any, target: str | None) -> float | None:
    """A measurement's number in the unit ``target`` (a number without a unit is taken to be
    in it); None when it is no number or its unit does not convert (a list counts its
    items: noisy_channels=[3, 7] is 2)."""
    unit = None
    if isinstance(value, dict):
        value, unit = value.get("value"), value.get("unit")
    if isinstance(value, list):
        value, unit = len(value), None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    factor = model.unit_factor(unit, target)
    if factor is None:
        return None
    return float(value) * factor


def judge(definition: TestType, component_type: str | None,
          measurements: Mapping[str, Any], derived: Iterable[str] = ()) -> Verdict:
    """The verdict of ``measurements`` under the definition's limits for the type: the
    limits that are set decide, the placeholder limits advise. ``derived``: the names the
    analysis derived (for :attr:`Verdict.unsettled`)."""
    said: dict[bool, dict[str, list[str]]] = {False: {}, True: {}}  # placeholder? -> name -> failed
    shown: dict[str, str] = {}  # a failed limit's stored text -> its text for people
    for limit in definition.limits(component_type):
        if limit.name not in measurements:
            continue
        value = number_in(measurements[limit.name], limit.unit)
        unit = f" {limit.unit}" if limit.unit else ""
        for bound, edge, path in limit.bounds():
            failed = said[definition.is_placeholder(path)].setdefault(limit.name, [])
            if value is None:
                message = (f"{limit.name} is not a number in {limit.unit or 'its unit'}"
                           f" (limit {limit.describe()})")
                if message not in failed:
                    failed.append(message)
            elif (bound == "min" and value < edge) or (bound == "max" and value > edge):
                sign = "<" if bound == "min" else ">"
                stored = f"{limit.name} {value:.4g}{unit} {sign} {bound} {edge:g}{unit}"
                failed.append(stored)
                was, limit_text = model.format_pair(value, edge, limit.unit)
                shown[stored] = f"{limit.name} {was} {sign} {bound} {limit_text}"

    def outcome(group: dict[str, list[str]]) -> tuple[str | None, tuple[str, ...]]:
        failed = tuple(f for messages in group.values() for f in messages)
        return ("fail" if failed else "pass") if group else None, failed

    verdict, decisive_failed = outcome(said[False])
    advisory, advisory_failed = outcome(said[True])
    derived = set(derived)
    unsettled = []
    for name in said[False]:
        settings = placeholder_settings(definition, name)
        if name in derived and settings:
            unsettled.append(f"{name} ({', '.join(settings)})")
    return Verdict(verdict, decisive_failed, tuple(said[False]), advisory, advisory_failed,
                   tuple(unsettled), shown)


def rests_on_placeholders(definition: TestType, component_type: str | None,
                          event: Mapping[str, Any]) -> bool:
    """Whether a result rests on the definition's placeholders: a placeholder limit judges
    one of its measurements, or the analysis derived its values with placeholder settings."""
    derived = (event.get("analysis") or {}).get("values") or ()
    if judge(definition, component_type, event.get("measurements") or {}).advisory:
        return True
    return any(placeholder_settings(definition, name) for name in derived)


def placeholder_settings(definition: TestType, name: str) -> list[str]:
    """The analysis settings (``analysis.SETTING``) the derived measurement ``name`` rests
    on (:data:`DERIVED_FROM`) that the definition lists as placeholders."""
    uses = DERIVED_FROM.get(definition.analysis or "", {}).get(name, ())
    return [f"analysis.{s}" for s in uses if definition.is_placeholder(f"analysis.{s}")]


def placeholder_warnings(defined: Mapping[str, TestType],
                         resting: Mapping[str, int]) -> list[str]:
    """One line per test type of ``resting`` (name -> its number of results) that says which
    of its figures are placeholders (`svt validate` warns with them on the main branch)."""
    out = []
    for name, count in resting.items():
        definition = defined[name]
        limits = [p for p in definition.placeholders if p.startswith("measurements.")]
        settings = [p for p in definition.placeholders if p not in limits]
        said = [f"placeholder limits give no verdict ({', '.join(limits)})"] if limits else []
        said += [f"values rest on placeholder settings ({', '.join(settings)})"] if settings else []
        out.append(f"test type {name} ({count} result(s)): {'; '.join(said)}; set the"
                   " collaboration's figures and remove them from placeholders: in svt.yaml")
    return out


def missing_requirements(definition: TestType, measurements: Mapping[str, Any],
                         file_kinds: list[str]) -> list[str]:
    """What the definition requires that a result lacks ("a data file", "measurement x")."""
    out = [f"measurement {m}" for m in definition.requires_measurements if m not in measurements]
    out += [f"a {kind} file" for kind in definition.requires_files if kind not in file_kinds]
    return out
