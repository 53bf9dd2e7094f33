"""The analyses of test data: IV curves and per-channel noise (numpy, the ``analysis`` extra).

Each analysis is a function of the data and the test definition's settings that returns an
:class:`AnalysisResult`: measurements as svt stores them (``{value, unit}``), in a fixed
order, plus what the plot marks. Imported only when a test is analysed.

IV (``iv_analysis``), on |V| and |I| (negative bias reads like positive), points sorted by
voltage:

- ``leakage_at_operating_voltage`` [A]: |I| interpolated linearly at the operating voltage
  (absent when the curve does not reach it);
- ``max_voltage`` [V] and ``current_at_max_voltage`` [A]: the last point of the sweep;
- ``breakdown_voltage`` [V]: the ATLAS ITk sensor QC criterion (a rise of the current by more
  than ``breakdown_factor`` within ``breakdown_step``, confirmed at the next point), measured
  against the bulk current fitted to the points below (the sqrt(V) rise to full depletion,
  then the plateau), so that neither the rise below depletion nor noise fires it; or where
  |I| reaches the compliance; absent when neither happens (:func:`find_breakdown`);
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
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..model.errors import MissingExtra
from .ivfile import IVData, NoiseData
from .testtypes import ANALYSIS_SETTINGS, ANALYSIS_VERSIONS, REFERENCE_TEMPERATURE

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
        raise MissingExtra("the analysis needs numpy", "analysis") from None  # CLI: how
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


# ---- breakdown ---------------------------------------------------------------------------
# A knee (the end of the sqrt(V) rise) is believed when it lowers the fit's sum of squared
# relative residuals by KNEE_SIGNIFICANCE times their variance, with KNEE_AFTER points past
# it; until KNEE_SETTLED points follow it, the curve is expected no lower than the sqrt(V)
# rise would go (a few noisy points must not look like a plateau the rise then "breaks").
KNEE_SIGNIFICANCE = 20.0
KNEE_AFTER = 3
KNEE_SETTLED = 5
MAX_KNEES = 250  # candidate knees at most, whatever the number of points
# Below a few volts the junction's built-in voltage (0.6 V) and surface currents shape the
# curve, not sqrt(V): from 5 V on they change the depleted depth by less than 6 %.
FIT_FROM = 5.0
# An avalanche grows faster than any current of a sound sensor: its relative slope
# K = (dI/I)/(dV/V) over the rise must exceed 2 (bulk generation below depletion gives 0.5,
# an ohmic current 1).
AVALANCHE_SLOPE = 2.0


@dataclass(frozen=True)
class Breakdown:
    """Where a curve breaks down (``voltage``, None: nowhere in the sweep) and why
    (``"rise"`` or ``"compliance"``), and where its sqrt(V) rise ends as the fit saw it
    (``depletion``, None while the rise has not ended)."""

    voltage: float | None
    reason: str | None
    depletion: float | None


class _BulkFit:
    """The bulk current of the points given so far (in increasing voltage): I = a sqrt(V) up
    to a knee V_d (full depletion), then a plateau a sqrt(V_d) + b (V - V_d) with b >= 0,
    fitted by least squares on relative residuals, the knee at one of the points (at most
    MAX_KNEES of them, ``spacing`` volts apart at least). The sums of each candidate knee
    are kept, so a point costs one pass over the knees."""

    def __init__(self, spacing: float) -> None:
        np = numpy()
        self.spacing = spacing
        self.knees = np.zeros(MAX_KNEES + 1)
        self.at = np.zeros(MAX_KNEES + 1, dtype=int)  # the number of points before each knee
        # per knee: sum f1^2/I^2, f1 f2/I^2, f2^2/I^2, f1/I, f2/I (f1 = sqrt(min(V, V_d)),
        # f2 = max(V - V_d, 0))
        self.sums = np.zeros((MAX_KNEES + 1, 5))
        self.candidates = 0
        self.count = 0
        self.rise = [0.0, 0.0]  # the same without a knee: sum V/I^2, sqrt(V)/I
        self.model: tuple[float | None, float, float, float] = (None, 0.0, 0.0, 0.0)

    def add(self, volts: float, amps: float) -> None:
        np, m = numpy(), self.candidates
        if m:
            f1, f2 = np.sqrt(self.knees[:m]), volts - self.knees[:m]
            self.sums[:m] += np.column_stack((f1 * f1, f1 * f2, f2 * f2, f1 * amps,
                                              f2 * amps)) / (amps * amps)
        self.rise[0] += volts / amps ** 2
        self.rise[1] += math.sqrt(volts) / amps
        if m <= MAX_KNEES and (not m or volts >= self.knees[m - 1] + self.spacing):
            self.knees[m], self.at[m] = volts, self.count
            self.sums[m] = (self.rise[0], 0.0, 0.0, self.rise[1], 0.0)
            self.candidates = m + 1
        self.count += 1
        self.model = self._fit()

    def _fit(self) -> tuple[float | None, float, float, float]:
        """(knee or None, a, b, the sqrt(V) rise's own a while the knee is not settled)."""
        np, n, m = numpy(), self.count, self.candidates
        a_rise = self.rise[1] / self.rise[0]
        residual_rise = n - a_rise * self.rise[1]
        if n < KNEE_AFTER + 2:
            return None, a_rise, 0.0, a_rise
        s11, s12, s22, s1, s2 = self.sums[:m].T
        det = s11 * s22 - s12 * s12
        with np.errstate(divide="ignore", invalid="ignore"):
            a = (s1 * s22 - s2 * s12) / det
            b = (s2 * s11 - s1 * s12) / det
        flat = ~(b > 0)  # a falling plateau (or no point after the knee) is fitted flat
        a, b = np.where(flat, s1 / s11, a), np.where(flat, 0.0, b)
        residual = n - 2 * (a * s1 + b * s2) + a * a * s11 + 2 * a * b * s12 + b * b * s22
        after = n - 1 - self.at[:m]  # a point before the knee, KNEE_AFTER after it
        residual[(self.at[:m] < 1) | (after < KNEE_AFTER)] = np.inf
        best = int(np.argmin(residual))
        variance = residual[best] / (n - 3)
        if not residual_rise - residual[best] > KNEE_SIGNIFICANCE * variance:
            return None, a_rise, 0.0, a_rise
        settled = after[best] >= KNEE_SETTLED
        return float(self.knees[best]), float(a[best]), float(b[best]), \
            0.0 if settled else a_rise

    def expect(self, volts: float) -> float:
        """The bulk current the fit expects at ``volts``."""
        knee, a, b, a_rise = self.model
        if knee is None:
            return a * math.sqrt(volts)
        return max(a * math.sqrt(min(volts, knee)) + b * max(volts - knee, 0.0),
                   a_rise * math.sqrt(volts))


def find_breakdown(volts: Any, amps: Any, *, factor: float, step: float,
                   compliance: float | None = None) -> Breakdown:
    """Where the curve (|V| ascending, |I|) breaks down: the first voltage V above which
    the current exceeds ``factor`` times the bulk current that the points at or below
    V - ``step`` give (fitted: the sqrt(V) rise, then the plateau), at V and at the next
    point too (a lone last point: by ``factor`` squared), with a relative slope over the
    rise above AVALANCHE_SLOPE; or the first point at ``compliance``. Points below
    FIT_FROM volts or at 0 A are not fitted."""
    at_compliance = None
    if compliance is not None:
        hits = [k for k, i in enumerate(amps) if i >= compliance * (1 - 1e-9)]  # as read
        at_compliance = hits[0] if hits else None
    last = len(volts) - 1 if at_compliance is None else at_compliance
    usable = [k for k in range(last + 1) if volts[k] >= FIT_FROM and amps[k] > 0]
    spacing = (float(volts[usable[-1]]) - float(volts[usable[0]])) / MAX_KNEES if usable else 0
    fit, waiting, below = _BulkFit(spacing), deque[tuple[float, float]](), None
    for n, k in enumerate(usable):
        v, i = float(volts[k]), float(amps[k])
        while waiting and waiting[0][0] <= v - step + 1e-9:  # the fit takes what is step below
            fit.add(*waiting.popleft())
        if k == at_compliance:
            break
        expected = fit.expect(v) if fit.count >= 3 else None
        if expected is None or i <= factor * expected:
            waiting.append((v, i))
            below = (v, i)
            continue
        then = usable[n + 1] if n + 1 < len(usable) else None
        if then is None:
            to, rise = (v, i), i > factor * factor * expected
        else:
            to = (float(volts[then]), float(amps[then]))
            rise = to[1] > factor * fit.expect(to[0])
        if not rise:
            continue  # a lone high point (a spike) is left out of the fit
        if below is not None and \
                math.log(to[1] / below[1]) > AVALANCHE_SLOPE * math.log(to[0] / below[0]):
            return Breakdown(v, "rise", fit.model[0])
        waiting.append((v, i))  # a rise slower than an avalanche: the bulk's own shape
        below = (v, i)
    if at_compliance is not None:
        return Breakdown(float(volts[at_compliance]), "compliance", fit.model[0])
    for point in waiting:
        fit.add(*point)
    return Breakdown(None, None, fit.model[0])


def iv_analysis(data: IVData, *, operating_voltage: float,
                breakdown_factor: float = _IV["breakdown_factor"],
                breakdown_step: float = _IV["breakdown_step"],
                compliance: float | None = _IV["compliance"],
                temperature: float | None = None,
                version: int = ANALYSIS_VERSIONS["iv"]) -> AnalysisResult:
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
    bd = find_breakdown(volts, amps, factor=breakdown_factor, step=breakdown_step,
                        compliance=compliance).voltage
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
                   version: int = ANALYSIS_VERSIONS["noise"]) -> AnalysisResult:
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
