"""Test definitions (svt.yaml's ``test_types:``) and the verdict their limits give.

A definition names a test type's measurements with their units and limits (min and max,
overridable per component type), what a result requires, and the analysis (``iv``,
``noise``) that derives measurements from its data file. svt.yaml's schema checks the
form; this module reads it and judges measurements. No I/O, no numpy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .. import model
from ..model.errors import InvalidInput

# The settings each analysis takes, with svt's defaults (units in docs/analysis.md).
ANALYSIS_SETTINGS: dict[str, dict[str, float | None]] = {
    "iv": {"operating_voltage": 180.0, "breakdown_factor": 2.0, "breakdown_step": 10.0,
           "compliance": None},
    "noise": {"noisy_k": 5.0, "noisy_threshold": None, "dead_below": 200.0},
}
ANALYSIS_VERSIONS = {"iv": 1, "noise": 1}
REFERENCE_TEMPERATURE = 20.0  # °C, what leakage_20C is normalised to
# a store whose svt.yaml defines no test types (made before test_types:) names its IV tests
IV_NAME = re.compile(r"(^|_)iv($|_)|iv_?curve|leakage", re.IGNORECASE)

# What `svt init` writes. Every figure without a published HPS SVT source is listed under
# placeholders; docs/analysis.md says where each default comes from.
DEFAULT_TEST_TYPES: dict[str, Any] = {
    "iv_curve": {
        "description": "Leakage current against reverse bias voltage (sensor or module)",
        "analysis": {"name": "iv", "operating_voltage": 180.0, "breakdown_factor": 2.0,
                     "breakdown_step": 10.0, "compliance": 1.0e-5},
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
        "analysis": {"name": "noise", "noisy_k": 5.0, "dead_below": 200.0},
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


@dataclass(frozen=True)
class Limit:
    """The allowed range of one measurement for one component type (None: no bound)."""

    name: str
    unit: str | None
    min: float | None = None
    max: float | None = None

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.min is not None and self.max is not None:
            return f"{self.min:g} to {self.max:g}{unit}"
        if self.min is not None:
            return f">= {self.min:g}{unit}"
        return f"<= {self.max:g}{unit}" if self.max is not None else "no limit"


@dataclass(frozen=True)
class TestType:
    """One definition of svt.yaml's ``test_types:``."""

    name: str
    description: str = ""
    measurements: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    requires_measurements: tuple[str, ...] = ()
    requires_files: tuple[str, ...] = ()
    analysis: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    placeholders: tuple[str, ...] = ()

    def limits(self, component_type: str | None = None) -> list[Limit]:
        """Each measurement's limits, those of ``component_type`` (``by_type``) overriding."""
        out = []
        for name, spec in self.measurements.items():
            own = dict((spec.get("by_type") or {}).get(component_type or "", {}))
            low = own.get("min", spec.get("min"))
            high = own.get("max", spec.get("max"))
            out.append(Limit(name, spec.get("unit"), low, high))
        return out

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

@dataclass(frozen=True)
class Verdict:
    """What the limits say of a result: ``verdict`` "pass", "fail", or None when no limit
    applied; ``failed`` says each failed limit ("noise_mean 2100 e > max 2000 e")."""

    verdict: str | None
    failed: tuple[str, ...] = ()
    checked: tuple[str, ...] = ()


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
          measurements: Mapping[str, Any]) -> Verdict:
    """The verdict of ``measurements`` under the definition's limits for the type."""
    failed, checked = [], []
    for limit in definition.limits(component_type):
        if limit.name not in measurements or (limit.min is None and limit.max is None):
            continue
        checked.append(limit.name)
        value = number_in(measurements[limit.name], limit.unit)
        unit = f" {limit.unit}" if limit.unit else ""
        if value is None:
            failed.append(f"{limit.name} is not a number in {limit.unit or 'its unit'}"
                          f" (limit {limit.describe()})")
        elif limit.min is not None and value < limit.min:
            failed.append(f"{limit.name} {value:.4g}{unit} < min {limit.min:g}{unit}")
        elif limit.max is not None and value > limit.max:
            failed.append(f"{limit.name} {value:.4g}{unit} > max {limit.max:g}{unit}")
    if not checked:
        return Verdict(None)
    return Verdict("fail" if failed else "pass", tuple(failed), tuple(checked))


def missing_requirements(definition: TestType, measurements: Mapping[str, Any],
                         file_kinds: list[str]) -> list[str]:
    """What the definition requires that a result lacks ("a data file", "measurement x")."""
    out = [f"measurement {m}" for m in definition.requires_measurements if m not in measurements]
    out += [f"a {kind} file" for kind in definition.requires_files if kind not in file_kinds]
    return out
