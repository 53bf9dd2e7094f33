"""svt's own commits spare the next query git's questions (git/ownwrites.py), and anything
else that moves HEAD or rewrites git's index makes it ask again."""
from __future__ import annotations

import json
from pathlib import Path

from svt_records.git import ownwrites
from tests.conftest import git

ASKED = ("diff-index", "diff-tree")


def _asked(trace: Path) -> set[str]:
    """The git commands a traced svt process ran (GIT_TRACE2_EVENT's start events)."""
    found = set()
    if not trace.exists():
        return found
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        if event.get("event") == "start":
            argv = event.get("argv", [])
            if len(argv) > 1:
                found.add(argv[1])
    trace.unlink()
    return found


def _listed(svt_proc, trace: Path, *args: str) -> tuple[list[dict], set[str]]:
    proc = svt_proc("list", "--format", "json", *args, env={"GIT_TRACE2_EVENT": str(trace)})
    return json.loads(proc.stdout), _asked(trace)


def _proven_then_one_add(svt_proc, trace: Path) -> None:
    """M-1 added and listed twice (the first list builds the query index, the second proves
    the state a chain starts from), then M-2 added by svt."""
    svt_proc("add", "--id", "M-1", "--type", "module", "--status", "spare")
    _listed(svt_proc, trace)
    _listed(svt_proc, trace)
    svt_proc("add", "--id", "M-2", "--type", "module", "--status", "testing")


def _index(store: Path):
    from svt_records.api.database import Database
    from svt_records.index.queries import Index
    return Index(Database(store)).db


def test_a_query_after_svts_own_commits_asks_git_only_about_files_on_disk(
        store_path, svt_proc, tmp_path):
    trace = tmp_path / "trace.json"
    _proven_then_one_add(svt_proc, trace)
    svt_proc("test", "M-2", "--type", "iv_curve", "--pass")
    svt_proc("add", "--id", "M-1", "--status", "qualified")
    rows, asked = _listed(svt_proc, trace)
    assert not asked & set(ASKED), asked
    assert "diff-files" in asked  # hand edits are still looked for
    assert {r["id"]: r["status"] for r in rows} == {"M-1": "qualified", "M-2": "testing"}
    # and what the commits wrote is clean: no file stays watched for them
    db = _index(store_path)
    assert db.execute("SELECT path FROM files WHERE volatile>0").fetchall() == []


def test_a_hand_edit_after_svts_commit_is_seen(store_path, svt_proc, tmp_path):
    trace = tmp_path / "trace.json"
    _proven_then_one_add(svt_proc, trace)
    record = store_path / "records" / "module" / "M-2" / "component.yaml"
    record.write_text(record.read_text().replace("status: testing", "status: spare"))
    rows, asked = _listed(svt_proc, trace)
    assert {r["id"]: r["status"] for r in rows} == {"M-1": "spare", "M-2": "spare"}


def test_a_staged_change_by_git_breaks_the_chain(store_path, svt_proc, tmp_path):
    """`git add` rewrites the index: the query asks git what is staged."""
    trace = tmp_path / "trace.json"
    _proven_then_one_add(svt_proc, trace)
    record = store_path / "records" / "module" / "M-1" / "component.yaml"
    text = record.read_text()
    record.write_text(text.replace("status: spare", "status: qualified"))
    git(store_path, "add", str(record))
    record.write_text(text)  # back as HEAD has it on disk; the staged version differs
    rows, asked = _listed(svt_proc, trace)
    assert "diff-index" in asked
    from svt_records.index.rows import WATCHED
    assert _index(store_path).execute("SELECT volatile FROM files WHERE path=?", (
        "records/module/M-1/component.yaml",)).fetchone() == (WATCHED,)


def test_a_commit_made_by_git_breaks_the_chain(store_path, svt_proc, tmp_path):
    trace = tmp_path / "trace.json"
    _proven_then_one_add(svt_proc, trace)
    record = store_path / "records" / "module" / "M-1" / "component.yaml"
    record.write_text(record.read_text().replace("status: spare", "status: qualified"))
    git(store_path, "commit", "-q", "-am", "by hand")
    rows, asked = _listed(svt_proc, trace)
    assert "diff-tree" in asked
    assert {r["id"]: r["status"] for r in rows} == {"M-1": "qualified", "M-2": "testing"}


def test_the_chain_is_followed_link_by_link(tmp_path):
    links = [ownwrites.Link("h0", "h1", "a" * 40, "b" * 40, ("records/x",), ()),
             ownwrites.Link("hX", "hY", "c" * 40, "d" * 40, ("records/other",), ()),
             ownwrites.Link("h1", "h2", "b" * 40, "e" * 40, ("records/y",), ("records/x",))]
    for link in links:
        ownwrites.record(tmp_path, link)
    chain = ownwrites.since(tmp_path, "h0", "a" * 40, "h2", "e" * 40)
    assert chain == ownwrites.Chain(frozenset({"records/x", "records/y"}),
                                    frozenset({"records/x"}))
    assert ownwrites.since(tmp_path, "h0", "a" * 40, "h1", "b" * 40) is not None
    # a state no link leads to, or one reached by another route
    assert ownwrites.since(tmp_path, "h0", "a" * 40, "h2", "f" * 40) is None
    assert ownwrites.since(tmp_path, "h1", "a" * 40, "h2", "e" * 40) is None
    # an index without a trailer (index.skipHash) is never linked
    assert ownwrites.since(tmp_path, "h0", ownwrites.NO_TRAILER, "h0",
                           ownwrites.NO_TRAILER) is None


def test_an_unreadable_line_ends_the_chain(tmp_path):
    ownwrites.record(tmp_path, ownwrites.Link("h0", "h1", "a" * 40, "b" * 40, ("p",), ()))
    with open(tmp_path / ownwrites.NAME, "a") as fh:
        fh.write("{not json\n")
    ownwrites.record(tmp_path, ownwrites.Link("h1", "h2", "b" * 40, "c" * 40, ("q",), ()))
    assert ownwrites.since(tmp_path, "h0", "a" * 40, "h1", "b" * 40) is not None
    assert ownwrites.since(tmp_path, "h0", "a" * 40, "h2", "c" * 40) is None


def test_the_file_keeps_the_newest_links(tmp_path):
    for i in range(ownwrites.KEEP + 5):
        ownwrites.record(tmp_path, ownwrites.Link(f"h{i}", f"h{i + 1}", f"{i:040x}",
                                                  f"{i + 1:040x}", (f"p{i}",), ()))
    lines = (tmp_path / ownwrites.NAME).read_text().splitlines()
    assert len(lines) <= ownwrites.KEEP
    last = ownwrites.KEEP + 4
    assert ownwrites.since(tmp_path, f"h{last}", f"{last:040x}", f"h{last + 1}",
                           f"{last + 1:040x}") is not None
    assert ownwrites.since(tmp_path, "h0", f"{0:040x}", f"h{last + 1}",
                           f"{last + 1:040x}") is None
