"""Each test type's latest verdict and a component's overall health, written once.

``svt positions``, ``list``, ``show`` and the site all answer "is this part good?" from these
two rules: the latest test of each type decides that type's verdict, and a component whose
latest verdict of any type failed is failing, whatever its other types say.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

# A recorded test's result: "pass", "fail", or None (no verdict: by hand none was given and
# no limit that the collaboration has set decided one).
RESULTS = ("pass", "fail")
VERDICT_SYMBOLS = {"pass": "\u2713", "fail": "\u2717", None: "\u2013"}

# The one wording of a latest test that gave no verdict, in a health and in a table's cell.
NO_VERDICT = "no verdict"

# A component's health, worst first. "no verdict": tested, but no latest test gave one;
# "untested": no test at all.
HEALTH = ("fail", "pass", NO_VERDICT, "untested")


def latest_by_type(tests: Iterable[tuple[str, object, str | None]]) -> dict[str, str | None]:
    """``(test_type, order, result)`` triples -> {test type: result of its latest test}.

    ``order`` is any value that sorts in time (e.g. ``model.event_order``'s key); of two
    tests of one type, the one with the larger order is the latest. The dict is sorted by
    test type, so that every caller lists the types in one order.
    """
    best: dict[str, tuple[object, str | None]] = {}
    for test_type, order, result in tests:
        held = best.get(test_type)
        if held is None or order > held[0]:  # type: ignore[operator]
            best[test_type] = (order, result)
    return {name: best[name][1] for name in sorted(best)}


def overall_health(verdicts: Mapping[str, str | None]) -> str:
    """One of ``HEALTH``: "fail" when any type's latest verdict failed, "pass" when at least
    one passed and none failed, "no verdict" when tested without a verdict, else "untested"."""
    values = set(verdicts.values())
    if "fail" in values:
        return "fail"
    if "pass" in values:
        return "pass"
    return NO_VERDICT if verdicts else "untested"


def verdict_line(verdicts: Mapping[str, str | None]) -> str:
    """``iv_curve ✗ · noise_test ✓`` (``–`` for a latest test without a verdict); "" if none."""
    return " \u00b7 ".join(f"{name} {VERDICT_SYMBOLS.get(result, VERDICT_SYMBOLS[None])}"
                           for name, result in verdicts.items())


def verdict_cells(verdicts: Mapping[str, str | None] | None, types: Sequence[str]) -> list[str]:
    """A component's latest verdict of each of ``types`` as a table's cells (`svt list` and
    `svt positions` as CSV, the site's components table): "pass", "fail", "no verdict" (its
    latest test of that type gave none), or "" (no test of that type)."""
    held = verdicts or {}
    return [(held[t] or NO_VERDICT) if t in held else "" for t in types]
