"""The watcher (`svt watch`, index/watcher.py): a real process following a real store with
inotify. What it names is checked against what was done to the files; the queries under it
against the files themselves, and against which git commands they ran; and the index state
machine runs again with a watcher, every answer checked against a full re-read."""
from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.index import watch
from svt_records.index.queries import Index

pytestmark = pytest.mark.skipif(not watch.supported(), reason="the watcher needs Linux inotify")


def _stop(db: Database) -> None:
    status = watch.status(db.repo.svt_dir())
    db.watch(on=False)
    if status.pid is not None:
        try:
            os.kill(status.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def watched(db):
    """A store with two records and a watcher following it."""
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=True, date="2025-01-01T10:00:00")
    status = db.watch()
    assert status.pid is not None and not status.unsupported
    yield db
    _stop(db)


def _answer(db: Database, token: str | None) -> watch.Answer:
    answer = watch.ask(db.repo.svt_dir(), token)
    assert answer is not None
    return answer


def _asked(trace: Path) -> list[str]:
    """The git commands a traced svt process ran (GIT_TRACE2_EVENT's start events)."""
    if not trace.exists():
        return []
    found = [json.loads(line).get("argv", [None, None])[1] for line in
             trace.read_text().splitlines() if json.loads(line).get("event") == "start"]
    trace.unlink()
    return found


def test_the_watcher_names_every_change_since_the_token(watched):
    root, svt_dir = watched.root, watched.repo.svt_dir()
    first = _answer(watched, None)
    assert first.reset  # no token yet: prove everything
    token = first.token
    folder = root / "records" / "module" / "M-1"
    comp = folder / "component.yaml"
    with open(comp, "a") as fh:  # in place
        fh.write("notes: x\n")
    new = root / "records" / "feb" / "F-9"
    (new / "2026").mkdir(parents=True)  # a folder and its files, written at once
    (new / "component.yaml").write_text("id: F-9\n")
    (new / "2026" / "a.yaml").write_text("kind: log\n")
    answer = _answer(watched, token)
    assert not answer.reset
    assert str(comp.relative_to(root)) in answer.files
    # feb came in records (what came in feb before its watch did, the query walks)
    assert "records" in answer.dirs
    # nothing since: an empty answer, and the same token
    again = _answer(watched, answer.token)
    assert (again.dirs, again.files, again.token) == ([], [], answer.token)
    # F-9's folders are watched now: a file renamed over another, a touch, a removal
    tmp = new / ".component.yaml.tmp"
    tmp.write_text("id: F-9\nstatus: spare\n")
    os.replace(tmp, new / "component.yaml")
    os.utime(new / "2026" / "a.yaml", ns=(10**18, 10**18))
    (folder / "2025").rename(folder / "old")  # a year folder renamed
    later = _answer(watched, again.token)
    assert {"records/feb/F-9/component.yaml", "records/feb/F-9/2026/a.yaml"} <= set(later.files)
    assert {"records/feb/F-9", "records/module/M-1"} <= set(later.dirs)
    assert watch.ask(svt_dir, "0000:1").reset  # a token of another epoch


def test_a_file_with_a_second_link_is_named_in_every_answer(watched, tmp_path):
    """A record written through another name of its file sends no event to the folder the
    watcher follows; a record with a second link when the watcher looks is named in every
    answer (its stat signature then tells). A link made later by hand (ln) is a limit
    docs/performance.md states: the kernel tells only watches of that very file."""
    comp = watched.root / "records" / "module" / "M-1" / "component.yaml"
    _stop(watched)
    outside = tmp_path / "elsewhere.yaml"
    os.link(comp, outside)
    assert watched.watch().pid is not None
    token = _answer(watched, None).token
    first = _answer(watched, token)
    assert "records/module/M-1/component.yaml" in first.files
    assert "records/module/M-1/component.yaml" in _answer(watched, first.token).files
    outside.unlink()
    os.utime(comp)  # an event through the folder: the watcher counts the links again
    settled = _answer(watched, first.token)
    assert "records/module/M-1/component.yaml" not in _answer(watched, settled.token).files


def test_records_replaced_is_a_reset(watched):
    token = _answer(watched, None).token
    records = watched.root / "records"
    records.rename(watched.root / "old-records")
    (watched.root / "old-records").rename(records)
    answer = _answer(watched, token)
    assert answer.reset and answer.token.split(":")[0] != token.split(":")[0]
    assert not _answer(watched, answer.token).reset  # the new epoch serves


def test_queries_under_a_watcher_ask_git_nothing_and_see_hand_edits(watched, svt_proc,
                                                                       tmp_path):
    trace = tmp_path / "trace.json"
    env = {"GIT_TRACE2_EVENT": str(trace)}
    svt_proc("summary", env=env)  # the first query after the start proves everything
    assert "diff-files" in _asked(trace)
    svt_proc("summary", env=env)  # (after a rebuild of the index, git is asked once more)
    _asked(trace)
    comp = watched.root / "records" / "module" / "M-1" / "component.yaml"
    comp.write_text(comp.read_text().replace("status: spare", "status: failed"))
    year = comp.parent / "2026"
    year.mkdir()
    (year / "20260101_090000_iv_curve.yaml").write_text(
        'kind: test\ndate: "2026-01-01T09:00:00+00:00"\ncomponent: M-1\n'
        "test_type: iv_curve\nresult: fail\n")
    summary = json.loads(svt_proc("summary", "--format", "json", env=env).stdout)
    assert _asked(trace) == []  # neither diff-files nor anything else
    assert summary["by_status"] == {"failed": 1}
    assert summary["tests"]["iv_curve"]["count"] == 2
    assert summary["tests"]["iv_curve"]["fail"] == 1
    rows = json.loads(svt_proc("list", "--format", "json", env=env).stdout)
    assert [r["status"] for r in rows] == ["failed"]
    assert _asked(trace) == []


def test_a_watcher_killed_leaves_queries_proving_everything(watched, svt_proc, tmp_path):
    trace = tmp_path / "trace.json"
    env = {"GIT_TRACE2_EVENT": str(trace)}
    svt_proc("list", env=env)
    pid = watch.status(watched.repo.svt_dir()).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # gone, its socket left behind
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    comp = watched.root / "records" / "module" / "M-1" / "component.yaml"
    with open(comp, "r+") as fh:  # an in-place edit while nobody watches
        text = fh.read().replace("status: spare", "status: repair")
        fh.seek(0)
        fh.write(text)
        fh.truncate()
    rows = json.loads(svt_proc("list", "--format", "json", env=env).stdout)
    assert "diff-files" in _asked(trace)
    assert [r["status"] for r in rows] == ["repair"]
    # the store wants a watcher: that query started a new one
    for _ in range(200):
        if watch.status(watched.repo.svt_dir()).pid not in (None, pid):
            break
        time.sleep(0.05)
    assert watch.status(watched.repo.svt_dir()).pid not in (None, pid)


def test_svt_watch_stop_and_status(db, svt_proc):
    db.save_component("M-1", {"type": "module", "status": "spare"})
    try:
        out = svt_proc("watch").stdout
        assert "A watcher runs for this store" in out
        assert "A watcher runs" in svt_proc("watch", "--status").stdout
        both = svt_proc("watch", "--stop", "--status", check=False)
        assert both.returncode == 2 and "--stop or --status, not both" in both.stderr
        assert "A watcher runs" in svt_proc("watch", "--status").stdout  # still
        out = svt_proc("watch", "--stop").stdout
        assert "No watcher runs" in out and "svt watch" in out
        assert watch.status(db.repo.svt_dir()) == watch.Status(False, None, "")
        Index(db).components()  # no query starts one now
        assert watch.status(db.repo.svt_dir()).pid is None
    finally:
        _stop(db)


def test_svt_watch_says_what_it_cannot_do_and_what_comes_next(db, svt, monkeypatch):
    """The messages no running watcher gives on its own: one wanted but not running, one
    running that cannot follow the store, and a system without inotify."""
    db.save_component("M-1", {"type": "module", "status": "spare"})
    monkeypatch.setattr(watch, "status", lambda svt_dir: watch.Status(True, None, ""))
    out = svt("watch", "--status").stdout
    assert "No watcher runs" in out and "The next query starts one" in out
    monkeypatch.setattr(watch, "status",
                        lambda svt_dir: watch.Status(True, 4321, "records is a symbolic link"))
    out = svt("watch", "--status").stdout
    assert "A watcher runs (pid 4321) but cannot follow this store: records is a symbolic" \
        " link" in out and "svt watch --stop" in out
    monkeypatch.setattr(watch, "supported", lambda: False)
    refused = svt("watch", ok=False)
    assert refused.exit_code == 1 and "svt watch needs Linux" in refused.stderr
    assert not watch.wanted(db.repo.svt_dir())


def test_a_socket_path_too_long_for_an_address_is_reached_through_proc(tmp_path, svt_proc):
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "store"
    db = Database(deep)
    db.initialize_schema()
    db.save_component("M-1", {"type": "module", "status": "spare"})
    assert len(str(deep / ".git" / "svt" / "watch" / "sock")) > 108
    try:
        assert db.watch().pid is not None
        token = _answer(db, None).token
        (deep / "records" / "module" / "M-1" / "component.yaml").write_text("id: M-1\n")
        assert _answer(db, token).files == ["records/module/M-1/component.yaml"]
    finally:
        _stop(db)


def test_the_watcher_imports_no_module_from_the_folder_svt_runs_in(db, tmp_path, monkeypatch):
    """``python -m`` looks in the current folder first: the watcher starts in ``/``."""
    db.save_component("M-1", {"type": "module", "status": "spare"})
    hostile = tmp_path / "checkout"
    (hostile / "svt_records" / "index").mkdir(parents=True)
    marker = tmp_path / "imported"
    (hostile / "svt_records" / "__init__.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n")
    (hostile / "svt_records" / "index" / "__init__.py").write_text("")
    (hostile / "svt_records" / "index" / "watcher.py").write_text("")
    monkeypatch.chdir(hostile)
    try:
        assert db.watch().pid is not None
    finally:
        _stop(db)
    assert not marker.exists()


@pytest.fixture
def in_process():
    """in_process(db): a watcher object in this process (no socket), event by event;
    its inotify queue closed after the test (a user may have only 128)."""
    from svt_records.index.watcher import Watcher
    made: list[Watcher] = []

    def make(db: Database) -> Watcher:
        watcher = Watcher(str(db.root), str(db.repo.svt_dir()))
        os.makedirs(watch.watch_dir(db.repo.svt_dir()), exist_ok=True)
        watcher.rebuild()
        made.append(watcher)
        return watcher
    yield make
    for watcher in made:
        watcher.close()


def _fields(reply: bytes) -> list[bytes]:
    return reply.split(b"\0")


def test_a_queue_overflow_is_a_reset_into_a_new_epoch(db, in_process):
    db.save_component("M-1", {"type": "module", "status": "spare"})
    watcher = in_process(db)
    token = _fields(watcher.answer(""))[1].decode()
    folder = db.root / "records" / "module" / "M-1"
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    for i in range(limit // 2 + 10):  # two files by turns: the kernel merges no two events
        for name in ("a.yaml", "b.yaml"):
            with open(folder / name, "a") as fh:
                fh.write("x")
    watcher.drain()
    reply = _fields(watcher.answer(token))
    assert reply[0] == b"reset" and reply[1].split(b":")[0] != token.split(":")[0].encode()
    assert _fields(watcher.answer(reply[1].decode()))[0] == b"ok"  # the new epoch serves


def test_what_the_watcher_cannot_follow_it_says_and_answers_with_a_reset(
        db, in_process, monkeypatch, tmp_path):
    """records/ a symbolic link, or a file system other machines may write (NFS): every
    answer is a reset giving the reason, so each query proves everything itself."""
    db.save_component("M-1", {"type": "module", "status": "spare"})
    watcher = in_process(db)
    token = _fields(watcher.answer(""))[1].decode()
    monkeypatch.setattr(watcher.libc, "fs_type", lambda path: 0x6969)  # NFS's magic
    watcher.rebuild()
    reply = _fields(watcher.answer(token))
    assert reply[0] == b"reset" and b"may be written by other machines" in reply[2]
    monkeypatch.undo()
    moved = tmp_path / "records-elsewhere"
    (db.root / "records").rename(moved)
    (db.root / "records").symlink_to(moved)
    watcher.rebuild()
    reply = _fields(watcher.answer(_fields(watcher.answer(""))[1].decode()))
    assert reply[0] == b"reset" and reply[2] == b"records is a symbolic link"


def test_a_question_the_cookie_cannot_vouch_for_is_a_reset(db, in_process, monkeypatch):
    """Every change before a question is in its answer only once the watcher has read its
    queue up to a cookie file it made: no cookie made, or none arriving in time, and the
    answer is a reset (everything proven), never a possibly short list."""
    from svt_records.index import watcher as module
    db.save_component("M-1", {"type": "module", "status": "spare"})
    watcher = in_process(db)
    token = _fields(watcher._synced_answer(""))[1].decode()
    assert _fields(watcher._synced_answer(token))[0] == b"ok"
    monkeypatch.setattr(module, "COOKIE_WAIT_S", 0.05)
    monkeypatch.setattr(watcher, "drain", lambda cookie=None: False)  # it never comes
    assert _fields(watcher._synced_answer(token))[0] == b"reset"
    monkeypatch.undo()
    token = _fields(watcher._synced_answer(""))[1].decode()
    monkeypatch.setattr(watcher, "wdir", str(db.root / "no-such-folder"))  # none made
    assert _fields(watcher._synced_answer(token))[0] == b"reset"


def test_notes_beyond_what_is_kept_or_sent_are_a_reset(db, in_process, monkeypatch):
    from svt_records.index import watcher as module
    db.save_component("M-1", {"type": "module", "status": "spare"})
    watcher = in_process(db)
    token = _fields(watcher.answer(""))[1].decode()
    folder = db.root / "records" / "module" / "M-1"
    monkeypatch.setattr(module, "ANSWER_MAX", 3)
    for i in range(5):
        (folder / f"{i}.yaml").write_text("x")
    watcher.drain()
    assert _fields(watcher.answer(token))[2] == watch.TOO_MANY.encode()
    monkeypatch.setattr(module, "KEPT", 4)
    (folder / "late.yaml").write_text("x")
    watcher.drain()  # 7 notes (M-1's folder, six files): the three oldest forgotten
    reply = _fields(watcher.answer(token))
    assert reply[:1] + reply[2:] == [b"reset", watch.FORGOTTEN.encode()]
    assert len(watcher.notes) == 4


def test_folders_removed_or_moved_leave_no_stale_watch(db, in_process):
    for cid in ("M-1", "M-2"):
        db.save_component(cid, {"type": "module", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=True, date="2025-01-01T10:00:00")
    watcher = in_process(db)
    records = db.root / "records"
    (records / "module" / "M-1").rename(records / "module" / "M-9")  # as svt retype moves
    shutil.rmtree(records / "module" / "M-2")
    watcher.drain()
    watched = set(watcher.wds)
    assert set(watcher.paths.values()) == watched
    assert {"records/module/M-9", "records/module/M-9/2025"} <= watched
    assert not {p for p in watched if p.startswith(("records/module/M-1",
                                                     "records/module/M-2"))}
    # the moved folder's files are followed under the new name
    token = _fields(watcher.answer(""))[1].decode()
    (records / "module" / "M-9" / "component.yaml").write_text("id: M-9\n")
    watcher.drain()
    assert b"frecords/module/M-9/component.yaml" in _fields(watcher.answer(token))


def test_two_folders_exchanged_in_one_step_stay_watched(db, in_process):
    """renameat2(RENAME_EXCHANGE) (mv --exchange): the kernel queues from M-1, to M-2, from
    M-2, to M-1, and the watcher reads them after; the "from M-2" must not drop the watch
    of the folder that is at M-2 now."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        pytest.skip("this C library has no renameat2")
    for cid in ("M-1", "M-2"):
        db.save_component(cid, {"type": "module", "status": "spare"})
    watcher = in_process(db)
    module = db.root / "records" / "module"
    token = _fields(watcher.answer(""))[1].decode()
    at_cwd = -100  # AT_FDCWD
    assert libc.renameat2(at_cwd, os.fsencode(module / "M-1"), at_cwd,
                          os.fsencode(module / "M-2"), 2) == 0  # RENAME_EXCHANGE
    watcher.drain()
    token = _fields(watcher.answer(token))[1].decode()
    for cid in ("M-1", "M-2"):
        with open(module / cid / "component.yaml", "a") as fh:
            fh.write("notes: x\n")
    watcher.drain()
    named = _fields(watcher.answer(token))
    assert {b"frecords/module/M-1/component.yaml", b"frecords/module/M-2/component.yaml"} \
        <= set(named)


def test_a_watcher_whose_socket_is_gone_leaves(db, in_process, monkeypatch):
    """A store removed or copied over in a flood of events may overflow the queue past the
    event that said so: the watcher also checks that queries can still reach it."""
    import socket
    import threading
    from svt_records.index import watcher as module
    monkeypatch.setattr(module, "REACHABLE_S", 0.05)
    db.save_component("M-1", {"type": "module", "status": "spare"})
    watcher = in_process(db)
    sock_path = os.path.join(watch.watch_dir(db.repo.svt_dir()), "test.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    failed: list = []
    monkeypatch.setattr(threading, "excepthook", failed.append)
    thread = threading.Thread(target=watcher.serve, args=(listener, sock_path), daemon=True)
    thread.start()
    time.sleep(0.2)
    assert thread.is_alive(), (failed, watcher.stop)
    os.unlink(sock_path)
    thread.join(2)
    listener.close()
    assert not thread.is_alive()


def test_a_folder_held_open_then_made_again_stays_watched(watched, gitcmd):
    """rm -r of a folder a shell is in, then git checkout of it: the kernel says the old
    folder is gone only when the shell leaves, after the new one took its name."""
    import subprocess
    folder = watched.root / "records" / "module" / "M-1"
    shell = subprocess.Popen(["sleep", "30"], cwd=folder)
    try:
        shutil.rmtree(folder)
        gitcmd(watched.root, "checkout", "--", "records/module/M-1")
        token = _answer(watched, None).token
    finally:
        shell.kill()
        shell.wait()
    token = _answer(watched, token).token  # the old folder's IN_IGNORED has come by now
    comp = folder / "component.yaml"
    with open(comp, "a") as fh:
        fh.write("notes: after\n")
    assert "records/module/M-1/component.yaml" in _answer(watched, token).files


def test_a_link_made_inside_records_is_a_reset_that_finds_both_names(watched):
    records = watched.root / "records" / "module"
    token = _answer(watched, None).token
    os.link(records / "M-1" / "component.yaml", records / "M-1" / "2025" / "twin.yaml")
    answer = _answer(watched, token)
    assert answer.reset
    both = _answer(watched, answer.token).files
    assert {"records/module/M-1/component.yaml", "records/module/M-1/2025/twin.yaml"} <= set(both)


def test_a_store_moved_away_stops_its_watcher(watched):
    pid = watch.status(watched.repo.svt_dir()).pid
    moved = watched.root.with_name("moved")
    watched.root.rename(moved)
    try:
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        moved.rename(watched.root)


def test_a_folder_it_cannot_watch_is_unsupported_and_tried_again(db, in_process, monkeypatch):
    import ctypes
    from svt_records.index import watcher as module
    db.save_component("M-1", {"type": "module", "status": "spare"})
    watcher = in_process(db)
    real = watcher.libc.add

    def refused(fd, path, mask):
        if path.endswith(b"/M-1"):
            ctypes.set_errno(13)  # EACCES
            return -1
        return real(fd, path, mask)
    watcher.libc.add = refused
    watcher.rebuild()
    reply = _fields(watcher.answer(""))
    assert reply[0] == b"reset" and b"cannot watch" in reply[2]
    watcher.libc.add = real  # the folder can be watched again: tried after a while
    monkeypatch.setattr(module, "RETRY_UNSUPPORTED_S", 0.0)
    token = _fields(watcher.answer(""))[1].decode()
    assert _fields(watcher.answer(token))[0] == b"ok"


def test_a_question_has_one_deadline(monkeypatch):
    import socket
    from svt_records.index import watcher as module
    monkeypatch.setattr(module, "QUESTION_S", 0.3)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"a")
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            module._read_line(ours)
        assert time.monotonic() - started < 1.0


def test_a_second_start_keeps_the_running_watchers_log(watched):
    log = Path(watch.watch_dir(watched.repo.svt_dir()), "log")
    with open(log, "a") as fh:
        fh.write("said before\n")
    watch.start(watched.root, watched.repo.svt_dir())  # leaves at once: one runs
    time.sleep(0.5)
    assert "said before" in log.read_text()


def test_non_utf8_file_names_leave_queries_working(watched, svt_proc):
    """No record has such a name (svt validate says so), but a pull request may bring one;
    SQLite cannot hold it, git and the watcher may name it."""
    token = _answer(watched, None).token
    year = watched.root / "records" / "module" / "M-1" / "2025"
    with open(os.path.join(os.fsencode(year), b"\xff.yaml"), "w") as fh:
        fh.write("kind: log\n")
    assert any(not watch_name.isascii() for watch_name in _answer(watched, token).files)
    assert json.loads(svt_proc("summary", "--format", "json").stdout)["total"] == 1
    assert [r["id"] for r in json.loads(svt_proc("list", "--format", "json").stdout)] == ["M-1"]
    assert "M-1" in svt_proc("show", "M-1").stdout  # its events listed without the file
    _stop(watched)  # and without a watcher
    assert json.loads(svt_proc("summary", "--format", "json").stdout)["total"] == 1


def test_a_kept_token_never_moves_past_another_process_s(db):
    from svt_records.index.freshness import WATCH_TOKEN, keep_token
    index = Index(db)

    def kept():
        return index.db.execute("SELECT value FROM meta WHERE key=?", (WATCH_TOKEN,)).fetchone()
    keep_token(index.db, None, "e:5")  # nothing kept before: this one
    assert kept() == ("e:5",)
    keep_token(index.db, "e:5", "e:9")  # nobody else kept one since
    assert kept() == ("e:9",)
    keep_token(index.db, "e:2", "e:12")  # another kept e:9 meanwhile: the older of the two
    assert kept() == ("e:9",)
    keep_token(index.db, "e:2", "e:7")
    assert kept() == ("e:7",)
    keep_token(index.db, "e:2", "f:1")  # of another epoch: nothing is trusted
    assert kept() is None


def test_older_keeps_the_earlier_token_of_one_epoch():
    assert watch.older("e:5", "e:7") == "e:5" == watch.older("e:7", "e:5")
    assert watch.older("e:5", "f:7") is None
    assert watch.older(None, "e:1") is None


# ---- the index state machine, under a watcher ----------------------------------------------

from hypothesis.stateful import invariant  # noqa: E402

from tests.index.test_index_state import IndexMachine, template  # noqa: E402,F401 (fixture)
from tests.conftest import run_machine  # noqa: E402

EXAMPLES = int(os.environ.get("SVT_WATCH_EXAMPLES", "8"))
STEPS = int(os.environ.get("SVT_STATE_STEPS", "20"))


class WatchedIndexMachine(IndexMachine):
    """The index machine's steps and checks, with a watcher following the store: every
    check must also find the watcher answering, or the run proves nothing new."""

    prefix = "svt-watched-"

    def __init__(self) -> None:
        super().__init__()
        self.watcher = Database(self.root).watch()

    @invariant()
    def index_agrees_with_the_files(self):
        answer = watch.ask(Database(self.root).repo.svt_dir(), None)
        assert answer is not None, "the watcher stopped answering"
        super().index_agrees_with_the_files()

    def teardown(self) -> None:
        _stop(Database(self.root))
        super().teardown()


def test_the_index_agrees_with_the_files_under_a_watcher(template):
    WatchedIndexMachine.template = template
    run_machine(WatchedIndexMachine, EXAMPLES, STEPS)


def test_a_watcher_that_cannot_start_says_where_and_is_not_started_again(db):
    """Its lock cannot be made (a folder is in the way): svt watch says so at once, points
    at the log, and no later query starts one to fail again."""
    from svt_records.model.errors import SvtError
    db.save_component("M-1", {"type": "module", "status": "spare"})
    wdir = Path(watch.watch_dir(db.repo.svt_dir()))
    (wdir / "lock").mkdir(parents=True)
    started = time.monotonic()
    with pytest.raises(SvtError, match="what it said is in .*log.*svt watch$"):
        db.watch()
    assert time.monotonic() - started < 10
    assert "Traceback" in (wdir / "log").read_text()
    assert not watch.wanted(db.repo.svt_dir())
    said = (wdir / "log").read_text()
    Index(db).components()  # no watcher is started for it
    time.sleep(0.5)
    assert (wdir / "log").read_text() == said
    (wdir / "lock").rmdir()  # mended, as the message says: svt watch now starts one
    try:
        assert db.watch().pid is not None
        assert watch.wanted(db.repo.svt_dir())
    finally:
        _stop(db)
