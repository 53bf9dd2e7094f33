"""The derived index always agrees with the files, however they changed: svt itself, hand
edits (committed or not, in place or by rename), new untracked files, deletions, staging,
checkouts of other branches, a deleted or corrupt index file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.index.queries import Index


def statuses(db: Database) -> dict[str, str]:
    return {r["id"]: r["status"] for r in Index(db).components()}


def count_tests(db: Database) -> int:
    return sum(t["count"] for t in Index(db).summary()["tests"].values())


def edit_in_place(path, old: str, new: str) -> None:
    """Rewrite a file in place (same inode, as VS Code does), bumping its mtime."""
    text = path.read_text()
    assert old in text
    st = path.stat()
    with open(path, "r+") as fh:
        fh.write(text.replace(old, new))
        fh.truncate()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def populate(db: Database, png) -> None:
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.save_component("M-2", {"type": "module", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=True, images=[png], date="2025-01-01T10:00:00")


@pytest.fixture
def populated(prebuilt) -> Database:
    """A copy of the store populate makes, built once per session."""
    return prebuilt(populate)


def comp(db, cid):
    return db.root / "records" / "module" / cid / "component.yaml"


def test_sees_svt_changes(populated):
    db = populated
    assert statuses(db) == {"M-1": "spare", "M-2": "spare"}
    assert count_tests(db) == 1
    db.save_component("M-3", {"type": "module"})
    db.record_test("M-2", "noise_test", passed=False)
    assert statuses(db)["M-3"] == "incoming"
    assert count_tests(db) == 2


def test_sees_uncommitted_in_place_edits_of_components_and_events(populated):
    db = populated
    assert count_tests(db) == 1
    edit_in_place(comp(db, "M-2"), "status: spare", "status: failed")
    assert statuses(db)["M-2"] == "failed"
    event = next((db.root / "records" / "module" / "M-1").glob("*/*_iv_curve_*.yaml"))
    edit_in_place(event, "result: pass", "result: fail")
    summary = Index(db).summary()
    assert summary["tests"]["iv_curve"] == {**summary["tests"]["iv_curve"], "pass": 0, "fail": 1}


def test_sees_staged_edit_made_between_two_queries(populated, gitcmd):
    db = populated
    assert statuses(db)["M-1"] == "spare"
    edit_in_place(comp(db, "M-1"), "status: spare", "status: repair")
    gitcmd(db.root, "add", "records/module/M-1/component.yaml")
    assert statuses(db)["M-1"] == "repair"


def test_sees_staged_event_edits_whichever_query_ran_before(populated, gitcmd):
    """svt skips asking git for staged files while git's index file is unchanged; a list
    (which asks only about component records) must not stand in for the events' question."""
    db = populated
    event = next((db.root / "records" / "module" / "M-1").glob("*/*_iv_curve_*.yaml"))
    rel = str(event.relative_to(db.root))
    assert count_tests(db) == 1
    edit_in_place(event, "result: pass", "result: fail")
    gitcmd(db.root, "add", rel)
    assert statuses(db)["M-1"] == "spare"  # a components-only refresh sees git's new index
    assert Index(db).summary()["tests"]["iv_curve"]["fail"] == 1
    edit_in_place(event, "result: fail", "result: pass")
    gitcmd(db.root, "add", rel)
    assert Index(db).summary()["tests"]["iv_curve"]["fail"] == 0
    assert Index(db).summary()["tests"]["iv_curve"]["pass"] == 1


def test_sees_an_in_place_edit_undone_before_the_next_query(populated):
    db = populated
    path = comp(db, "M-2")
    assert statuses(db)["M-2"] == "spare"
    edit_in_place(path, "status: spare", "status: failed")
    assert statuses(db)["M-2"] == "failed"
    edit_in_place(path, "status: failed", "status: spare")  # the editor's undo, saved
    assert statuses(db)["M-2"] == "spare"


def test_a_rebuild_watches_files_that_differ_from_head(populated, gitcmd):
    db = populated
    path = comp(db, "M-2")
    assert statuses(db)["M-2"] == "spare"
    edit_in_place(path, "status: spare", "status: failed")
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (db.repo.svt_dir() / name).unlink(missing_ok=True)
    assert statuses(db)["M-2"] == "failed"  # read by a rebuild
    edit_in_place(path, "status: failed", "status: spare")
    gitcmd(db.root, "add", "records/module/M-2/component.yaml")  # equal to HEAD again
    assert statuses(db)["M-2"] == "spare"


def test_sees_new_untracked_event_and_its_later_in_place_edit(populated):
    db = populated
    assert count_tests(db) == 1
    year = db.root / "records" / "module" / "M-2" / "2025"
    year.mkdir()
    event = year / "20250102_090000_noise_test.yaml"
    event.write_text("kind: test\ndate: \"2025-01-02T09:00:00+00:00\"\ncomponent: M-2\n"
                     "test_type: noise_test\nresult: pass\n")
    assert Index(db).summary()["tests"]["noise_test"]["pass"] == 1
    edit_in_place(event, "result: pass", "result: fail")
    assert Index(db).summary()["tests"]["noise_test"]["fail"] == 1
    event.unlink()
    assert "noise_test" not in Index(db).summary()["tests"]


def test_sees_hand_added_and_deleted_components(populated):
    db = populated
    assert set(statuses(db)) == {"M-1", "M-2"}
    folder = db.root / "records" / "feb" / "FEB-9"
    folder.mkdir(parents=True)
    (folder / "component.yaml").write_text("id: FEB-9\ntype: feb\nstatus: spare\n")
    assert statuses(db)["FEB-9"] == "spare"
    (folder / "component.yaml").unlink()
    folder.rmdir()
    assert "FEB-9" not in statuses(db)


def test_follows_branch_switches_and_pulls(populated, gitcmd):
    db = populated
    gitcmd(db.root, "checkout", "-q", "-b", "other")
    db.save_component("M-1", {"status": "failed"})
    db.record_test("M-1", "noise_test", passed=False)
    assert statuses(db)["M-1"] == "failed" and count_tests(db) == 2
    gitcmd(db.root, "checkout", "-q", "main")
    assert statuses(db)["M-1"] == "spare" and count_tests(db) == 1
    gitcmd(db.root, "merge", "-q", "--ff-only", "other")
    assert statuses(db)["M-1"] == "failed" and count_tests(db) == 2


def test_rebuilds_after_the_index_is_deleted_or_corrupt(populated):
    db = populated
    before = statuses(db)
    path = db.repo.svt_dir() / "index.sqlite"
    path.unlink()
    assert statuses(db) == before
    path.write_bytes(b"this is not a database" * 100)
    assert statuses(db) == before
    assert count_tests(db) == 1


def test_invalid_hand_edit_is_reported_and_the_rest_still_listed(populated):
    db = populated
    comp(db, "M-2").write_text("id: M-2\ntype: module\nstatus: broken\n")
    index = Index(db)
    assert set(r["id"] for r in index.components()) == {"M-1"}
    assert index.skipped and "records/module/M-2/component.yaml:3:9" in index.skipped[0].problem


def test_parallel_rebuild_gives_the_same_rows_as_a_serial_one(populated, monkeypatch):
    import svt_records.index.queries as index_module
    db = populated
    for n in range(30):
        db.root.joinpath("records", "sensor", f"S-{n}").mkdir(parents=True)
        db.root.joinpath("records", "sensor", f"S-{n}", "component.yaml").write_text(
            f"id: S-{n}\ntype: sensor\nstatus: spare\n")
    serial = Index(db).summary()
    (db.repo.svt_dir() / "index.sqlite").unlink()
    monkeypatch.setattr(index_module, "PARALLEL_FROM", 1)
    assert Index(db).summary() == serial


def test_an_untracked_file_stays_watched_after_several_in_place_edits(populated):
    db = populated
    count_tests(db)
    folder = db.root / "records" / "module" / "M-2" / "2025"
    folder.mkdir()
    event = folder / "20250102_090000_noise_test.yaml"
    event.write_text("kind: test\ndate: \"2025-01-02T09:00:00+00:00\"\ncomponent: M-2\n"
                     "test_type: noise_test\nresult: pass\n")
    for old, new in (("pass", "fail"), ("fail", "pass"), ("pass", "fail")):
        edit_in_place(event, f"result: {old}", f"result: {new}")
        assert Index(db).summary()["tests"]["noise_test"][new] == 1


def test_an_index_left_by_another_svt_version_is_rebuilt(populated):
    import sqlite3
    db = populated
    path = db.repo.svt_dir() / "index.sqlite"
    path.unlink(missing_ok=True)
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                      "INSERT INTO meta VALUES ('version', '0');"
                      "CREATE TABLE components (id TEXT, type TEXT);")
    old.commit()
    old.close()
    assert set(statuses(db)) == {"M-1", "M-2"}



def test_two_processes_refreshing_at_once_both_answer(populated):
    import subprocess
    import sys
    db = populated
    (db.repo.svt_dir() / "index.sqlite").unlink(missing_ok=True)
    procs = [subprocess.Popen([sys.executable, "-m", "svt_records", "--repo", str(db.root),
                               "summary", "--format", "json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert len({out for out, _ in outputs}) == 1


def _drop_index(db) -> None:
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (db.repo.svt_dir() / name).unlink(missing_ok=True)


def test_a_rebuild_refreshes_gits_stat_cache(populated, gitcmd):
    """After a clone git re-reads "racily clean" files at every diff until its stat cache is
    refreshed; the rebuild (the first query after a clone) does that, as git status would."""
    db = populated
    path = comp(db, "M-2")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # same content
    assert gitcmd(db.root, "diff-files", "--name-only").split() == [
        "records/module/M-2/component.yaml"]
    _drop_index(db)
    assert statuses(db)["M-2"] == "spare"
    assert gitcmd(db.root, "diff-files", "--name-only") == ""


def test_a_rebuild_leaves_gits_index_alone_while_a_change_holds_the_lock(populated, gitcmd):
    from svt_records.store.txn import StoreLock
    db = populated
    path = comp(db, "M-2")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    _drop_index(db)
    with StoreLock(db.repo.svt_dir() / "lock", timeout=0):  # as another svt process would
        assert statuses(db)["M-2"] == "spare"
    assert gitcmd(db.root, "diff-files", "--name-only").split() == [
        "records/module/M-2/component.yaml"]


def test_sees_a_restore_after_head_moved_without_git_index_changing(populated, gitcmd):
    db = populated
    db.save_component("M-1", {"status": "failed"})
    assert statuses(db)["M-1"] == "failed"
    assert statuses(db)["M-1"] == "failed"
    gitcmd(db.root, "reset", "-q", "--soft", "HEAD~1")  # HEAD moves; .git/index does not
    assert statuses(db)["M-1"] == "failed"
    edit_in_place(comp(db, "M-1"), "status: failed", "status: spare")
    gitcmd(db.root, "add", "records/module/M-1/component.yaml")  # equal to HEAD again
    assert statuses(db)["M-1"] == "spare"


def test_a_list_racing_another_process_refresh_does_not_answer_stale(populated, monkeypatch):
    """Another svt process may read a hand edit into the index while this one waits for
    git; this one's early answer then predates the edit and must not be kept."""
    db = populated
    index = Index(db)
    assert {r["id"]: r["status"] for r in index.components()}["M-1"] == "spare"
    edit_in_place(comp(db, "M-1"), "status: spare", "status: failed")
    finish = index._finish_refresh

    def other_process_first(check):
        assert statuses(Database(db.root))["M-1"] == "failed"  # a second connection
        return finish(check)
    monkeypatch.setattr(index, "_finish_refresh", other_process_first)
    assert {r["id"]: r["status"] for r in index.components()}["M-1"] == "failed"


def test_watches_staged_edits_on_a_branch_with_no_commit_yet(populated, gitcmd):
    db = populated
    gitcmd(db.root, "checkout", "-q", "--orphan", "fresh")  # every file staged, HEAD unborn
    _drop_index(db)
    assert statuses(db)["M-1"] == "spare" and statuses(db)["M-1"] == "spare"
    edit_in_place(comp(db, "M-1"), "status: spare", "status: failed")
    gitcmd(db.root, "add", "records/module/M-1/component.yaml")
    assert statuses(db)["M-1"] == "failed"


def test_a_staged_new_file_stays_watched_after_it_is_unstaged(populated, gitcmd):
    db = populated
    path = comp(db, "M-3")
    path.parent.mkdir()
    path.write_text(comp(db, "M-2").read_text().replace("M-2", "M-3"))
    gitcmd(db.root, "add", "records/module/M-3/component.yaml")
    _drop_index(db)
    assert statuses(db)["M-3"] == "spare"
    assert Index(db).uncommitted() == ["records/module/M-3/component.yaml"]
    gitcmd(db.root, "rm", "-q", "--cached", "records/module/M-3/component.yaml")
    assert statuses(db)["M-3"] == "spare" and statuses(db)["M-3"] == "spare"
    edit_in_place(path, "status: spare", "status: failed")
    assert statuses(db)["M-3"] == "failed"


def test_a_file_removed_from_head_but_kept_on_disk_stays_watched(populated, gitcmd):
    db = populated
    rel = "records/module/M-2/component.yaml"
    assert statuses(db)["M-2"] == "spare"
    gitcmd(db.root, "rm", "-q", "--cached", rel)
    gitcmd(db.root, "commit", "-qm", "untrack M-2")  # still on disk, now untracked
    assert statuses(db)["M-2"] == "spare" and statuses(db)["M-2"] == "spare"
    edit_in_place(comp(db, "M-2"), "status: spare", "status: failed")
    assert statuses(db)["M-2"] == "failed"


def test_a_summary_computed_while_another_process_refreshed_is_not_cached(populated,
                                                                          monkeypatch):
    db = populated
    index = Index(db)
    assert count_tests(db) == 1
    event = next((db.root / "records" / "module" / "M-1").glob("*/*_iv_curve_*.yaml"))
    summarize = index._summarize

    def then_another_process_refreshes(recent):
        result = summarize(recent)
        edit_in_place(event, "result: pass", "result: fail")
        assert Index(Database(db.root)).summary()["tests"]["iv_curve"]["fail"] == 1
        return result
    monkeypatch.setattr(index, "_summarize", then_another_process_refreshes)
    index.db.execute("DELETE FROM meta WHERE key LIKE 'summary:%'")
    index.summary()
    assert Index(Database(db.root)).summary()["tests"]["iv_curve"]["fail"] == 1


def test_a_file_read_as_it_changes_is_read_again(populated):
    """A second in-place write within the file system's time stamp granularity (same size,
    same time stamp) leaves the stat signature as it was; svt distrusts such recent files."""
    import time
    db = populated
    path = comp(db, "M-2")
    assert statuses(db)["M-2"] == "spare"
    edit_in_place(path, "status: spare", "status: failed")
    now = time.time_ns()
    os.utime(path, ns=(now, now))
    assert statuses(db)["M-2"] == "failed"
    edit_in_place(path, "status: failed", "status: repair")  # same length
    os.utime(path, ns=(now, now))
    assert statuses(db)["M-2"] == "repair"


def test_a_refresh_by_another_process_right_after_lists_early_query_is_seen(populated,
                                                                          monkeypatch):
    db = populated
    old = comp(db, "M-1").stat().st_mtime_ns - 10_000_000_000  # not "racy": trusted by stat
    for path in (db.root / "records").rglob("*"):
        os.utime(path, ns=(old, old))
    index = Index(db)
    assert {r["id"]: r["status"] for r in index.components()}["M-1"] == "spare"
    edit_in_place(comp(db, "M-1"), "status: spare", "status: failed")
    os.utime(comp(db, "M-1"), ns=(old + 1000, old + 1000))
    select = index._select

    def then_another_process_refreshes(*args):
        rows = select(*args)
        assert statuses(Database(db.root))["M-1"] == "failed"  # a second connection
        return rows
    monkeypatch.setattr(index, "_select", then_another_process_refreshes)
    assert {r["id"]: r["status"] for r in index.components()}["M-1"] == "failed"


@pytest.mark.parametrize("between", ["list", "summary", "rebuild"])
def test_a_component_removed_by_hand_then_restored_by_git_is_listed_again(store_path, svt,
                                                                          gitcmd, between):
    """A query between the removal and the restore must not forget the file: git's diffs no
    longer name the restored file and a list does not look inside component folders."""
    svt("add", "--id", "M-1", "--type", "module", "--status", "spare")
    svt("add", "--id", "M-2", "--type", "module", "--status", "spare")
    svt("install", "M-1", "Layer1_top_axial")
    svt("list")
    rel = "records/module/M-1/component.yaml"
    (store_path / rel).unlink()
    if between == "rebuild":
        _drop_index(Database(store_path))
    if between == "summary":
        assert svt("summary", "--format", "json").stdout.count('"M-1"') == 0
    assert "M-1" not in svt("list").stdout
    gitcmd(store_path, "checkout", "--", rel)
    assert gitcmd(store_path, "status", "--porcelain") == ""
    assert "M-1" in svt("list").stdout
    assert "M-1" in svt("list", "--position", "Layer1_top_axial").stdout
    refused = svt("install", "M-2", "Layer1_top_axial", ok=False)
    assert refused.exit_code != 0 and "already holds M-1" in refused.stderr


def test_a_folder_changed_twice_within_its_time_stamp_is_looked_at_again(populated):
    """A folder's mtime has the file system's granularity: a component added in the same
    tick as the one a refresh just saw leaves it unchanged, so a recent folder is distrusted
    the way a recent file is."""
    import time
    db = populated
    feb = db.root / "records" / "feb"
    feb.mkdir(exist_ok=True)
    assert statuses(db)
    tick = time.time_ns()  # the refresh below looks at the folder within this tick
    for cid in ("FEB-8", "FEB-9"):
        (feb / cid).mkdir()
        (feb / cid / "component.yaml").write_text(f"id: {cid}\ntype: feb\nstatus: spare\n")
        os.utime(feb, ns=(tick, tick))
        assert cid in statuses(db)


def test_an_event_a_list_saw_head_move_under_stays_watched(populated, gitcmd):
    """A list asks git only about component records; when HEAD moves under it, whether an
    event file now differs from HEAD is unknown, so it must stay watched until a query
    that asks git about events."""
    db = populated
    event = next((db.root / "records" / "module" / "M-1").glob("*/*_iv_curve*.yaml"))
    old = event.stat().st_mtime_ns - 10_000_000_000  # not "racy": trusted by stat

    def edit(before: str, after: str, second: int) -> None:  # each in its own second
        edit_in_place(event, before, after)
        os.utime(event, ns=(old + second * 1_000_000_000,) * 2)
    edit("result: pass", "result: pass", 0)
    assert count_tests(db) == 1
    edit("result: pass", "result: fail", 1)
    gitcmd(db.root, "commit", "-qam", "fail it")
    assert Index(db).summary()["tests"]["iv_curve"]["fail"] == 1
    gitcmd(db.root, "reset", "-q", "--soft", "HEAD~1")  # the event now differs from HEAD
    assert statuses(db)["M-1"] == "spare" and statuses(db)["M-1"] == "spare"
    edit("result: fail", "result: pass", 2)  # equal to HEAD again, staged
    gitcmd(db.root, "add", str(event.relative_to(db.root)))
    assert Index(db).summary()["tests"]["iv_curve"] == {
        **Index(db).summary()["tests"]["iv_curve"], "pass": 1, "fail": 0}


def test_a_component_folder_removed_then_restored_by_git_is_listed_again(populated, gitcmd):
    import shutil
    db = populated
    assert statuses(db)["M-1"] == "spare"
    shutil.rmtree(db.root / "records" / "module" / "M-1")
    assert "M-1" not in statuses(db)
    gitcmd(db.root, "checkout", "--", "records/module/M-1")
    assert statuses(db)["M-1"] == "spare"
    assert count_tests(db) == 1


def test_the_records_folder_gone_for_one_query_then_back_is_read_again(populated, gitcmd):
    """With records/ gone, a refresh forgets every folder; when it comes back with the same
    HEAD and a clean git index, no diff names its files: the folder itself must."""
    db = populated
    assert statuses(db) == {"M-1": "spare", "M-2": "spare"}
    gitcmd(db.root, "rm", "-rq", "records")
    assert statuses(db) == {} and count_tests(db) == 0
    gitcmd(db.root, "reset", "-q", "--hard")
    assert statuses(db) == {"M-1": "spare", "M-2": "spare"}
    assert count_tests(db) == 1
    test_id = Database(db.root).tests("M-1")[0]["id"]
    db.record_test("M-2", "iv_curve", passed=True, date="2025-01-02T10:00:00")
    new_id = Database(db.root).tests("M-2")[0]["id"]
    assert [len(Index(db).tests_with_id(i)) for i in (test_id, new_id)] == [1, 1]


def test_a_coarse_clock_does_not_hide_a_file_added_in_the_same_second(populated):
    """On a file system that counts whole seconds (ext3, HFS+, FAT), a file added in the
    second a refresh looked at its folder leaves the folder's time stamp as it was: a
    whole-second time stamp that close to a refresh is not trusted."""
    import time
    db = populated
    year = next((db.root / "records" / "module" / "M-1").glob("2025"))
    event = next(year.glob("*_iv_curve_*.yaml"))
    second = (time.time_ns() // 1_000_000_000 - 1) * 1_000_000_000  # 1-2 s ago, > 50 ms
    copy = year / "20250101_110000_iv_curve.yaml"
    copy.write_text(event.read_text().replace("result: pass", "result: fail"))
    os.utime(year, ns=(second, second))  # what a coarse clock shows after the first file
    assert count_tests(db) == 2  # the refresh reads the folder...
    late = year / "20250101_120000_iv_curve.yaml"
    late.write_text(event.read_text())  # ...and a file comes in the same second
    os.utime(year, ns=(second, second))
    assert count_tests(db) == 3
    from svt_records.store.layout import event_id
    assert Index(db).tests_with_id(event_id(late.relative_to(db.root).as_posix())) == [
        late.relative_to(db.root).as_posix()]


def _proven_long_ago_then_touched(db, index_file: Path) -> str:
    """git's index dated long ago (to the nanosecond) and proven by a refresh, then dated
    a whole second just past and refreshed again: what the first refresh recorded."""
    import time
    from svt_records.index.rows import meta
    old = time.time_ns() - 10_000_000_123
    os.utime(index_file, ns=(old, old))
    Index(db).refresh()
    trusted = meta(Index(db).db, "git-index:records")
    assert trusted is not None and trusted.startswith(f"{old}:")
    second = (time.time_ns() // 1_000_000_000 - 1) * 1_000_000_000
    os.utime(index_file, ns=(second, second))
    Index(db).refresh()
    return trusted


def test_gits_index_rewritten_within_a_coarse_second_is_not_trusted(populated, gitcmd):
    """Whether git's index changed is judged by its stat signature and its trailer (the
    hash of its content git writes at its end). With index.skipHash git writes no trailer:
    one written in a whole second that close to a refresh may be written again with the
    same signature (a coarse clock, the same size, a reused inode), so its staged files are
    asked again."""
    import time
    from svt_records.index.rows import meta
    db = populated
    index_file = db.root / ".git" / "index"
    Index(db).refresh()  # (a first refresh builds the index)
    data = index_file.read_bytes()
    index_file.write_bytes(data[:-20] + bytes(20))  # as index.skipHash writes it
    trusted = _proven_long_ago_then_touched(db, index_file)
    assert meta(Index(db).db, "git-index:records") == trusted  # the recent one is not kept


def test_gits_index_rewritten_with_the_same_content_stays_proven(populated, gitcmd):
    """git's index written again with the same bytes (its trailer names its content), even
    within a whole second of a refresh, keeps the staged files the last refresh found:
    they are not asked again, and a change of content is."""
    import time
    from svt_records.index.rows import meta
    db = populated
    index_file = db.root / ".git" / "index"
    Index(db).refresh()
    trusted = _proven_long_ago_then_touched(db, index_file)
    kept = meta(Index(db).db, "git-index:records")
    assert kept is not None and kept.split(":")[0] == str(int(index_file.stat().st_mtime_ns))
    assert kept.split(" ")[0].rsplit(":", 1)[-1] == trusted.split(" ")[0].rsplit(":", 1)[-1]
    component = db.root / "records" / "module" / "M-1" / "component.yaml"
    component.write_text(component.read_text().replace("status:", "notes: staged\nstatus:", 1))
    gitcmd(db.root, "add", str(component))
    Index(db).refresh()  # git is asked: the staged file differs from HEAD
    from svt_records.index.rows import WATCHED
    rel = component.relative_to(db.root).as_posix()
    assert Index(db).db.execute("SELECT volatile FROM files WHERE path=?",
                                (rel,)).fetchone() == (WATCHED,)


def test_a_folder_replaced_by_a_file_is_no_folder_and_no_crash(populated):
    import shutil
    db = populated
    folder = db.root / "records" / "module" / "M-1"
    test_id = Database(db.root).tests("M-1")[0]["id"]
    assert count_tests(db) == 1
    shutil.rmtree(folder)
    folder.write_text("not a folder\n")
    assert Index(db).tests_with_id(test_id) == []
    assert "M-1" not in statuses(db) and count_tests(db) == 0


def test_list_warns_of_an_id_two_records_share(store_path, svt):
    svt("add", "--id", "M-1", "--type", "module")
    svt("add", "--id", "F-1", "--type", "feb")
    text = (store_path / "records/module/M-1/component.yaml").read_text()
    other = store_path / "records/feb/M-1/component.yaml"
    other.parent.mkdir()
    other.write_text(text.replace("type: module", "type: feb"))
    out = svt("list")
    assert ("warning: M-1 has 2 records (records/feb/M-1/component.yaml,"
            " records/module/M-1/component.yaml)") in out.stderr
    assert "F-1 has" not in out.stderr


def test_sees_two_folders_swapped_by_hand_though_their_mtimes_agree(db):
    """Folders made in one clock tick have one mtime: swapped by hand (mv A tmp; mv B A;
    mv tmp B), each name still shows the mtime the index saw, never the inode."""
    import time
    for cid, status in (("M-1", "spare"), ("M-2", "failed")):
        db.save_component(cid, {"type": "module", "status": status})
        db.record_test(cid, "iv_curve", passed=cid == "M-1", date="2025-01-01T10:00:00")
    then = (int(time.time()) - 100) * 1_000_000_000
    module = db.root / "records" / "module"
    for folder in (module / "M-1", module / "M-1" / "2025", module / "M-2",
                   module / "M-2" / "2025"):
        os.utime(folder, ns=(then, then))
    assert count_tests(db) == 2
    time.sleep(0.1)  # out of the racy window: the next refresh keeps their times
    assert count_tests(db) == 2
    (module / "M-1").rename(db.root / "aside")
    (module / "M-2").rename(module / "M-1")
    (db.root / "aside").rename(module / "M-2")
    assert count_tests(db) == 2
    events = sorted(r[0] for r in Index(db).db.execute("SELECT path FROM events"))
    assert events == sorted(p.relative_to(db.root).as_posix()
                            for p in module.glob("*/2025/*.yaml"))


def test_sees_a_folder_whose_files_were_replaced_and_its_mtime_set_back(db):
    """rsync -a --delete, tar x and cp -a set a folder's mtime to what they copy: the same
    folder (inode) with other files and its old mtime. Its ctime tells."""
    import time
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=True, date="2025-01-01T10:00:00")
    year = db.root / "records" / "module" / "M-1" / "2025"
    then = (int(time.time()) - 100) * 1_000_000_000
    os.utime(year, ns=(then, then))
    assert count_tests(db) == 1
    time.sleep(0.1)  # out of the racy window: the next refresh keeps its times
    assert count_tests(db) == 1
    (year / "20250102_100000_iv_curve_abc123.yaml").write_text(
        'kind: test\ndate: "2025-01-02T10:00:00+00:00"\ncomponent: M-1\n'
        "test_type: iv_curve\nresult: fail\n")
    os.utime(year, ns=(then, then))
    assert count_tests(db) == 2


def test_a_refresh_the_watcher_did_not_answer_keeps_no_newer_token(db):
    """Such a refresh read the files before another query, under the watcher, kept a
    token: what it writes may be older than that token says, so none is kept."""
    from svt_records.index.freshness import WATCH_TOKEN, keep_token
    db.save_component("M-1", {"type": "module", "status": "spare"})
    Index(db).refresh()
    edit_in_place(db.root / "records" / "module" / "M-1" / "component.yaml",
                  "status: spare", "status: failed")
    slow = Index(db)
    check = slow._start_refresh(events=True)  # no watcher answers it
    other = Index(db)
    keep_token(other.db, None, "e:5")  # meanwhile, a query under a watcher
    assert slow._finish_refresh(check)
    assert other.db.execute("SELECT 1 FROM meta WHERE key=?", (WATCH_TOKEN,)).fetchone() is None


def test_a_rebuild_the_watcher_did_not_answer_keeps_no_newer_token(db, monkeypatch):
    """The rebuild walks the folders before it takes the write lock: a token another query
    kept meanwhile may be newer than what it read, so none is kept."""
    from svt_records.index import freshness
    db.save_component("M-1", {"type": "module", "status": "spare"})
    Index(db).refresh()
    other = Index(db)
    other.db.execute("DELETE FROM meta WHERE key='tree'")  # the next refresh rebuilds
    walk = freshness.Freshness._walk

    def walk_then_keep(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        freshness.keep_token(other.db, None, "e:5")  # meanwhile, a query under a watcher
        monkeypatch.setattr(freshness.Freshness, "_walk", walk)
        return walk(self, *args, **kwargs)
    monkeypatch.setattr(freshness.Freshness, "_walk", walk_then_keep)
    assert statuses(db) == {"M-1": "spare"}
    assert other.db.execute("SELECT 1 FROM meta WHERE key=?",
                            (freshness.WATCH_TOKEN,)).fetchone() is None
