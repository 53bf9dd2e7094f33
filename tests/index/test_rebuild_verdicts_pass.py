"""Issue 28: a rebuild works out every component's verdicts from the event rows as it writes
them (chunk by chunk, in whatever order the reader processes finish), so that the first `svt
list` after it only reads them. They must be exactly what the one pass over the table works
out: ties of one date (model.event_order reads those files), a test that names another
component than its folder's (read in another chunk), unreadable files left out."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.index import queries, tallies
from test_verdicts_rebuild import delete_index, expected, kept, listed, svt

DATES = ("2025-01-01T10:00:00", "2025-01-02T10:00:00", "2025-01-03T10:00:00")


def populate(db: Database, png) -> None:
    for cid in ("M-1", "M-2", "M-3", "M-4"):
        db.save_component(cid, {"type": "module", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=False, date=DATES[0])
    db.record_test("M-1", "iv_curve", passed=True, date=DATES[0])  # a tie: the later recorded
    db.record_test("M-1", "noise_test", passed=True, date=DATES[1])
    db.record_test("M-2", "iv_curve", passed=True, date=DATES[0])
    db.record_test("M-2", "iv_curve", passed=False, date=DATES[1])
    db.record_test("M-3", "noise_test", passed=True, date=DATES[0])


def stray_test(root: Path, folder: str, text: str, name: str = "iv_curve") -> None:
    """A test file written by hand into ``folder``'s year folder (not committed)."""
    year = root / "records" / "module" / folder / "2025"
    year.mkdir(exist_ok=True)
    (year / f"20250103_100000_{name}.yaml").write_text(text)


def triggers_and_stale(root: Path) -> tuple[set[str], int]:
    with sqlite3.connect(root / ".git" / "svt" / "index.sqlite") as db:
        stale = db.execute("SELECT count(*) FROM verdicts_stale").fetchone()[0]
    return kept(root)[0], stale


def drop_verdict_triggers(root: Path) -> None:
    """As an index rebuilt by the svt before this one: the next list works every verdict out
    in one pass over the table."""
    with sqlite3.connect(root / ".git" / "svt" / "index.sqlite") as db:
        for name in tallies.VERDICT_TRIGGERS:
            db.execute(f"DROP TRIGGER {name}")


@pytest.mark.parametrize("parallel", [False, True])
def test_a_rebuild_works_out_the_verdicts_the_pass_over_the_table_does(prebuilt, monkeypatch,
                                                                       parallel):
    root = prebuilt(populate).root
    # in M-4's folder, a later noise_test of M-1 (it decides M-1's), and a file that fails
    stray_test(root, "M-4", 'kind: test\ndate: "2025-01-03T10:00:00+00:00"\ncomponent: M-1\n'
                            "test_type: noise_test\nresult: fail\n", "noise_test")
    (root / "records" / "module" / "M-3" / "2025" / "20250104_100000_iv_curve.yaml"
     ).write_text("kind: [oops\n")
    # a tie by hand (no "recorded"): the later file name is the latest, though written after
    for tag, result in (("aaaaaa", "fail"), ("bbbbbb", "pass")):
        (root / "records" / "module" / "M-2" / "2025" / f"20250105_100000_noise_test_{tag}.yaml"
         ).write_text('kind: test\ndate: "2025-01-05T10:00:00+00:00"\ncomponent: M-2\n'
                      f"test_type: noise_test\nresult: {result}\n")
    if parallel:  # reader processes, chunks of two files: a component's tests in several
        monkeypatch.setattr(queries, "PARALLEL_FROM", 1)
        monkeypatch.setattr(queries, "CHUNK", 2)
    delete_index(root)
    svt(root, "summary")  # the rebuild, with no list
    assert triggers_and_stale(root) == (set(tallies.VERDICT_TRIGGERS), 0)
    rebuilt = kept(root)[1]
    assert [row[0] for row in rebuilt] == ["M-1", "M-2", "M-3"]
    assert listed(root) == expected(root) == {
        "M-1": ("fail", {"iv_curve": "pass", "noise_test": "fail"}),
        "M-2": ("fail", {"iv_curve": "fail", "noise_test": "pass"}), "M-3": ("pass", {"noise_test": "pass"}),
        "M-4": ("untested", {})}
    drop_verdict_triggers(root)
    assert listed(root) == expected(root)
    assert sorted(kept(root)[1]) == sorted(rebuilt)  # byte for byte what the pass made


def test_a_field_sqlite_stores_as_other_text_leaves_the_verdicts_to_the_first_list(prebuilt):
    """``result: 1`` is the text "1" in the table (a TEXT column), 1 in the row written: the
    rebuild then leaves the verdicts to the pass over the table, which reads what a later
    refresh would."""
    root = prebuilt(populate).root
    stray_test(root, "M-4", 'kind: test\ndate: "2025-01-03T10:00:00+00:00"\ncomponent: M-4\n'
                            "test_type: iv_curve\nresult: 1\n")
    delete_index(root)
    svt(root, "summary")
    assert triggers_and_stale(root) == (set(), 0)
    assert listed(root)["M-4"] == ("no verdict", {"iv_curve": "1"})
    assert triggers_and_stale(root) == (set(tallies.VERDICT_TRIGGERS), 0)


@pytest.mark.parametrize("files", [1, 3, 4000, 9999, 10001, 71764])
@pytest.mark.parametrize("workers", [2, 3, 4])
def test_each_reader_gets_as_many_chunks_of_about_one_size(files, workers):
    paths = [f"records/module/M-{n}/component.yaml" for n in range(files)]
    chunks = queries.chunked(paths, workers)
    assert [p for chunk in chunks for p in chunk] == paths
    sizes = [len(chunk) for chunk in chunks]
    assert max(sizes) <= queries.CHUNK and max(sizes) - min(sizes) <= 1
    assert len(chunks) % workers == 0 or files < workers
