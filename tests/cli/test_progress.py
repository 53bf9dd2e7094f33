"""Long work (validate, index rebuilds, exports) reports progress through the store's
progress hook, which the command line sets on a terminal; the library itself never prints."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from svt_records.store import base as store_module
from svt_records.exchange.exporting import export_data
from svt_records.rules.checks import validate_store
from svt_records.index.queries import Index


def three_modules(db, png) -> None:
    for n in range(3):
        db.save_component(f"M-{n}", {"type": "module", "status": "spare"})
    db.record_test("M-0", "iv_curve", passed=True)


@pytest.fixture
def recorded(prebuilt, monkeypatch):
    """Progress shown from the first item; every bar's label, total and steps recorded."""
    db = prebuilt(three_modules)
    monkeypatch.setattr(store_module, "PROGRESS_FROM", 1)
    bars: list[dict] = []

    @contextmanager
    def progress(label, total):
        bar = {"label": label, "total": total, "done": 0}
        bars.append(bar)

        def step(n):
            bar["done"] += n
        yield step
    db.progress = progress
    return db, bars


def test_validate_reports_every_file_checked(recorded):
    db, bars = recorded
    _, checked = validate_store(db)
    [bar] = [b for b in bars if b["label"] == "Checking"]
    assert bar["total"] == bar["done"] == 5  # svt.yaml, 3 components, 1 test result


def test_an_index_rebuild_reports_every_file_read(recorded):
    db, bars = recorded
    (db.repo.svt_dir() / "index.sqlite").unlink(missing_ok=True)
    assert len(Index(db).components()) == 3
    [bar] = [b for b in bars if b["label"] == "Indexing"]
    assert bar["total"] == bar["done"] == 4


def test_export_reports_every_component(recorded):
    db, bars = recorded
    assert len(export_data(db)) == 3
    [bar] = [b for b in bars if b["label"] == "Exporting"]
    assert bar["total"] == bar["done"] == 3


def test_small_work_shows_no_bar(db):
    shown = []
    db.progress = lambda label, total: shown.append(label)
    db.save_component("M-1", {"type": "module"})
    validate_store(db)
    export_data(db)
    assert shown == []


def test_the_command_line_shows_bars_only_on_a_terminal(store_path, svt, monkeypatch):
    monkeypatch.setattr(store_module, "PROGRESS_FROM", 1)
    svt("add", "--id", "M-1", "--type", "module")
    assert "Checking" not in svt("validate").stderr
    monkeypatch.setattr("svt_records.cli.stderr_is_terminal", lambda: True)
    assert "Checking" in svt("validate").stderr
