"""A rebuild of the index reads each record file once (issue 28): an event file's signature
is the stat of the file read (no lstat of its own), the store's schemas are looked up once,
not once per component; files that cannot be read keep the rows and messages they had."""
from __future__ import annotations

import os
import sqlite3

import pytest

from svt_records.index import rows as index_rows
from svt_records.index.queries import Index
from svt_records.store.base import StoreBase

EVENT = ('kind: test\ndate: "2025-01-0{n}T09:00:00+00:00"\ncomponent: M{n}\n'
         "test_type: noise_test\nresult: pass\n")


def _store(db, svt, count: int) -> None:
    for n in range(1, count + 1):
        svt("add", "--id", f"M{n}", "--type", "module")
        folder = db.root / "records" / "module" / f"M{n}" / "2025"
        folder.mkdir(exist_ok=True)
        (folder / f"2025010{n}_090000_noise_test.yaml").write_text(EVENT.format(n=n))


def _rebuild(db) -> sqlite3.Connection:
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (db.repo.svt_dir() / name).unlink(missing_ok=True)
    Index(db).components()
    return sqlite3.connect(db.repo.svt_dir() / "index.sqlite")


def test_a_rebuild_stats_an_event_file_only_by_reading_it(db, svt, monkeypatch):
    _store(db, svt, 3)
    stated: list[str] = []
    real = os.lstat

    def spy(path, *args, **kwargs):
        stated.append(str(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(index_rows.os, "lstat", spy)
    index = _rebuild(db)
    monkeypatch.undo()
    assert not [p for p in stated if "/2025/" in p], stated
    events = index.execute("SELECT f.path, f.sig FROM files f JOIN events e USING (path)"
                           " WHERE e.error IS NULL").fetchall()
    assert len(events) == 3
    for path, signature in events:  # the signature is the file's, as an lstat gives it
        assert signature.removeprefix("racy:") == index_rows.sig(os.lstat(db.root / path))


def test_a_rebuild_looks_up_the_schemas_once_however_many_components(db, svt, monkeypatch):
    looked: list[int] = []
    real = StoreBase.schema_dir

    def counting(self):
        looked.append(1)
        return real.fget(self)
    monkeypatch.setattr(StoreBase, "schema_dir", property(counting))
    _store(db, svt, 2)
    looked.clear()
    _rebuild(db)
    two = len(looked)
    for n in range(6):
        svt("add", "--id", f"X{n}", "--type", "module")
    looked.clear()
    _rebuild(db)
    assert len(looked) == two


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_event_files_that_cannot_be_read_keep_their_rows(db, svt):
    _store(db, svt, 1)
    folder = db.root / "records" / "module" / "M1" / "2025"
    good = folder / "20250101_090000_noise_test.yaml"
    (folder / "20250102_090000_iv_curve.yaml").symlink_to(good)
    (folder / "20250103_090000_iv_curve.yaml").write_bytes(b"kind: test\ndate: \xff\n")
    os.mkfifo(folder / "20250104_090000_iv_curve.yaml")
    (folder / "20250105_090000_iv_curve.yaml").write_bytes(b"a" * 1_000_001)
    index = _rebuild(db)
    errors = dict(index.execute("SELECT path, error FROM events WHERE error IS NOT NULL"))
    rel = "records/module/M1/2025/2025010{}_090000_iv_curve.yaml"
    assert errors == {
        rel.format(2): f"{rel.format(2)}: 1:1: is a symbolic link; records must be regular files",
        rel.format(3): f"{rel.format(3)}: 1:1: not UTF-8 text (invalid start byte at byte 17);"
                       " save the file as UTF-8",
        rel.format(4): f"{rel.format(4)}: 1:1: is not a regular file",
        rel.format(5): f"{rel.format(5)}: 1:1: file is 1000001 bytes; records are limited to"
                       " 1000000 bytes"}
    sigs = dict(index.execute("SELECT path, sig FROM files"))
    for n in (2, 3, 4, 5):  # each with its own signature (a link's is the link's)
        assert sigs[rel.format(n)].removeprefix("racy:") == index_rows.sig(
            os.lstat(db.root / rel.format(n)))


def test_an_event_with_an_empty_value_after_a_space_is_indexed(db, svt):
    _store(db, svt, 1)  # a stranger's file with "result: " (a trailing space) crashed the rebuild
    folder = db.root / "records" / "module" / "M1" / "2025"
    (folder / "20250102_090000_iv_curve.yaml").write_text(
        'kind: test\ndate: "2025-01-02T09:00:00+00:00"\ncomponent: M1\ntest_type: iv_curve\n'
        "result: \n")
    index = _rebuild(db)
    assert index.execute("SELECT name, result, error FROM events WHERE path LIKE '%iv_curve%'"
                         ).fetchall() == [("iv_curve", None, None)]
    assert "M1" in svt("list").stdout
