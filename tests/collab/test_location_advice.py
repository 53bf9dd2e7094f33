"""A location that disagrees with the latest move (a merge, a hand edit): each fix that
`svt validate` suggests works when pasted, and leaves the store valid."""
from __future__ import annotations

import pytest
import yaml

from tests.collab.suggested import run_command, suggested
from tests.conftest import git


@pytest.mark.parametrize("where", ["Clean Room B", "SLAC storage"])
def test_each_suggested_location_fix_settles_the_disagreement(store_path, svt_proc, where):
    svt_proc("add", "--id", "S1", "--type", "sensor", "--location", "Clean Room B")
    svt_proc("location", "S1", "SLAC storage")
    record = store_path / "records" / "sensor" / "S1" / "component.yaml"
    data = yaml.safe_load(record.read_text())
    data["location"] = "Clean Room B"  # as a merge that kept the other side's value leaves it
    record.write_text(yaml.safe_dump(data, sort_keys=False))
    git(store_path, "commit", "-qam", "hand edit: location")

    report = svt_proc("validate", check=False)
    assert report.returncode == 1
    fixes = [c for c in suggested(report.stdout, report.stderr) if c.startswith("svt location")]
    assert len(fixes) == 2, report.stdout  # one for each place it may really be
    chosen = next(c for c in fixes if c.endswith(f"'{where}'"))
    run_command(store_path, chosen)

    assert svt_proc("validate").returncode == 0
    assert yaml.safe_load(record.read_text())["location"] == where
    assert git(store_path, "status", "--porcelain") == ""


def test_a_location_that_nothing_disputes_is_still_refused(store_path, svt_proc):
    svt_proc("add", "--id", "S1", "--type", "sensor", "--location", "Clean Room B")
    svt_proc("location", "S1", "SLAC storage")
    again = svt_proc("location", "S1", "SLAC storage", check=False)
    assert again.returncode == 1 and "already at SLAC storage" in again.stderr
