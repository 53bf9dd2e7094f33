"""Limit.bounds(): a limit's min and max written out once, each with the svt.yaml path it
comes from (the judge, the site's limit marks and the test's page all read them from it)."""
from __future__ import annotations

from svt_records.analysis import testtypes
from svt_records.analysis.testtypes import Limit, judge


def test_bounds_yield_each_bound_set_min_first_with_its_path():
    both = Limit("leakage", "A", 1e-9, 4e-6, "measurements.leakage.min",
                 "measurements.leakage.max")
    assert list(both.bounds()) == [("min", 1e-9, "measurements.leakage.min"),
                                   ("max", 4e-6, "measurements.leakage.max")]
    only_min = Limit("breakdown_voltage", "V", min=0.0, min_path="measurements.b.min",
                     max_path="measurements.b.max")
    assert list(only_min.bounds()) == [("min", 0.0, "measurements.b.min")]  # 0 is a bound
    assert list(Limit("noise", "e").bounds()) == []


def test_bounds_of_a_type_overriding_the_default_name_the_override():
    definition = testtypes.TestType("noise_test", measurements={
        "noise_mean": {"unit": "e", "min": 100, "max": 2000,
                       "by_type": {"hybrid": {"max": 1500}}}},
        placeholders=("measurements.noise_mean.max",))
    (hybrid,) = definition.limits("hybrid")
    assert list(hybrid.bounds()) == [
        ("min", 100, "measurements.noise_mean.min"),
        ("max", 1500, "measurements.noise_mean.by_type.hybrid.max")]
    # the hybrid's own max is set (not the placeholder): it decides; a module's only advises
    assert judge(definition, "hybrid", {"noise_mean": 1600}).verdict == "fail"
    module = judge(definition, "module", {"noise_mean": 2100})
    assert module.verdict == "pass" and module.advisory == "fail"
