"""The analyses of test data: IV curves and per-channel noise (numpy, the ``analysis`` extra).

Each analysis is a function of the data and the test definition's settings that returns an
:class:`AnalysisResult`: measurements as svt stores them (``{value, unit}``), in a fixed
order, plus what the plot marks. Imported only when a test is analysed.

IV (``iv_analysis``), on |V| and |I| (negative bias reads like positive), points sorted by
voltage:

- ``leakage_at_operating_voltage`` [A]: |I| interpolated linearly at the operating voltage
  (absent when the curve does not reach it);
- ``max_voltage`` [V] and ``current_at_max_voltage`` [A]: the last point of the sweep;
- ``breakdown_voltage`` [V]: the first voltage V where |I(V)| > factor x |I(V - step)| (the
  earlier current interpolated), or where |I| reaches the compliance; absent when neither
  happens up to the maximum voltage;
- ``mean_temperature`` [C] when the file has a temperature column, and ``leakage_20C`` [A],
  the leakage at the operating voltage normalised to 20 °C by
  I(T_ref) = I(T) (T_ref/T)^2 exp(-E_g/(2k) (1/T_ref - 1/T)), E_g = 1.21 eV, T in kelvin,
  with the file's mean temperature or else the result's ``temperature`` measurement.

Noise (``noise_analysis``), noise in electrons (ENC) per channel: ``noise_mean``,
``noise_max``, ``noise_rms`` (the standard deviation across channels) [e];
``noisy_channels`` (count) and ``noisy_channel_list``: channels above the absolute
threshold when set, else above mean + k x RMS (k = 5); ``dead_channels`` and
``dead_channel_list``: channels below the minimum.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..model.errors import InvalidInput
from .ivfile import INSTALL_ANALYSIS, IVData, NoiseData
from .testtypes import ANALYSIS_SETTINGS, REFERENCE_TEMPERATURE

# the defaults of the settings are those a test definition starts from
_IV: Mapping[str, Any] = ANALYSIS_SETTINGS["iv"]
_NOISE: Mapping[str, Any] = ANALYSIS_SETTINGS["noise"]

BOLTZMANN_EV = 8.617333262e-5  # eV/K
SILICON_GAP_EV = 1.21  # effective band gap for leakage scaling
KELVIN = 273.15


@dataclass
class AnalysisResult:
    """What an analysis derived: ``measurements`` (name -> {value, unit}, or a count or a
    list), and for the plot the operating voltage and breakdown (V) it used."""

    name: str
    version: int
    measurements: dict[str, Any] = field(default_factory=dict)
    operating_voltage: float | None = None
    breakdown: float | None = None


def numpy() -> Any:
    try:
        import numpy as np
    except ImportError:
        raise InvalidInput(f"the analysis needs numpy: {INSTALL_ANALYSIS}") from None
    return np


def available() -> bool:
    """Whether numpy (the analysis extra) is installed."""
    import importlib.util
    return importlib.util.find_spec("numpy") is not None


def temperature_factor(from_celsius: float,
                       to_celsius: float = REFERENCE_TEMPERATURE) -> float:
    """The factor that scales a silicon leakage current measured at ``from_celsius`` to
    ``to_celsius``: (T2/T1)^2 exp(-E_g/(2k) (1/T2 - 1/T1))."""
    t1, t2 = from_celsius + KELVIN, to_celsius + KELVIN
    return (t2 / t1) ** 2 * math.exp(-SILICON_GAP_EV / (2 * BOLTZMANN_EV) * (1 / t2 - 1 / t1))


def _sorted_curve(data: IVData) -> tuple[Any, Any]:
    """|V| ascending and |I| (a point repeated at the same voltage: the last one counts)."""
    np = numpy()
    volts = np.abs(np.asarray(data.voltage, dtype=float))
    amps = np.abs(np.asarray(data.current, dtype=float))
    order = np.argsort(volts, kind="stable")
    volts, amps = volts[order], amps[order]
    keep = np.append(volts[1:] != volts[:-1], True)
    return volts[keep], amps[keep]


def breakdown_voltage(volts: Any, amps: Any, *, factor: float, step: float,
                      compliance: float | None = None) -> float | None:
    """The first voltage where the current rises more than ``factor`` times within
    ``step`` volts, or reaches ``compliance``; None when neither happens."""
    np = numpy()
    for v, i in zip(volts, amps):
        if compliance is not None and i >= compliance * (1 - 1e-9):  # as the supply reads it
            return float(v)
        earlier = v - step
        if earlier < volts[0]:
            continue
        before = float(np.interp(earlier, volts, amps))
        if before > 0 and i > factor * before:
            return float(v)
    return None


def iv_analysis(data: IVData, *, operating_voltage: float,
                breakdown_factor: float = _IV["breakdown_factor"],
                breakdown_step: float = _IV["breakdown_step"],
                compliance: float | None = _IV["compliance"],
                temperature: float | None = None, version: int = 1) -> AnalysisResult:
    """The IV analysis of ``data`` (see the module's docstring); ``temperature`` [°C] is the
    measurement's own when the file has none."""
    np = numpy()
    volts, amps = _sorted_curve(data)
    op = abs(operating_voltage)
    out: dict[str, Any] = {}
    leakage = None
    if volts[0] <= op <= volts[-1]:
        leakage = float(np.interp(op, volts, amps))
        out["leakage_at_operating_voltage"] = {"value": _round(leakage), "unit": "A"}
    last = int(np.argmax(np.abs(np.asarray(data.voltage, dtype=float))))
    out["max_voltage"] = {"value": _round(abs(data.voltage[last])), "unit": "V"}
    out["current_at_max_voltage"] = {"value": _round(abs(data.current[last])), "unit": "A"}
    bd = breakdown_voltage(volts, amps, factor=breakdown_factor, step=breakdown_step,
                           compliance=compliance)
    if bd is not None:
        out["breakdown_voltage"] = {"value": _round(bd), "unit": "V"}
    measured_at = data.mean_temperature
    if measured_at is not None:
        out["mean_temperature"] = {"value": _round(measured_at, 4), "unit": "C"}
    else:
        measured_at = temperature
    if leakage is not None and measured_at is not None:
        out["leakage_20C"] = {"value": _round(leakage * temperature_factor(measured_at)),
                              "unit": "A"}
    return AnalysisResult("iv", version, out, operating_voltage=op, breakdown=bd)


def noise_analysis(data: NoiseData, *, noisy_k: float = _NOISE["noisy_k"],
                   noisy_threshold: float | None = _NOISE["noisy_threshold"],
                   dead_below: float | None = _NOISE["dead_below"],
                   version: int = 1) -> AnalysisResult:
    """The noise analysis of ``data`` (see the module's docstring), with a test
    definition's defaults; ``dead_below=None`` finds no dead channels."""
    np = numpy()
    noise = np.asarray(data.noise, dtype=float)
    mean, rms = float(noise.mean()), float(noise.std())
    threshold = noisy_threshold if noisy_threshold is not None else mean + noisy_k * rms
    noisy = [c for c, n in zip(data.channel, data.noise) if n > threshold]
    dead = [c for c, n in zip(data.channel, data.noise)
            if dead_below is not None and n < dead_below]
    out: dict[str, Any] = {
        "noise_mean": {"value": _round(mean), "unit": "e"},
        "noise_max": {"value": _round(float(noise.max())), "unit": "e"},
        "noise_rms": {"value": _round(rms), "unit": "e"},
        "noisy_channels": len(noisy),
        "dead_channels": len(dead),
    }
    if noisy:
        out["noisy_channel_list"] = noisy
    if dead:
        out["dead_channel_list"] = dead
    return AnalysisResult("noise", version, out)


def _round(value: float, digits: int = 6) -> float:
    """``digits`` significant digits: what the file's precision supports, and a value that
    reads the same after a re-analysis on another machine."""
    return float(f"{value:.{digits}g}")
