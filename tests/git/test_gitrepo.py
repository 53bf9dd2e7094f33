"""gitrepo's upkeep of git's own structures (the commit-graph that keeps `svt show`'s
history fast), and the GitPython view of a store that scripts get from `Database.git`."""
from __future__ import annotations

import subprocess
import sys

from svt_records.git.repo import GitRepo


def test_a_failed_commit_graph_write_is_retried_at_the_next_history_query(db):
    """(`svt show` asks git only for folders its lists lack; `svt history` and the site
    ask every time: any such query writes the layer that is due.)"""
    folder = ["records/module/M-1"]
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.repo.log(folder)  # writes the first commit-graph
    db.save_component("M-1", {"status": "failed"})  # a commit the graph does not hold
    counter = db.repo.svt_dir() / "commits-since-graph"
    counter.write_text(str(GitRepo.GRAPH_REFRESH_EVERY))  # a new layer is due
    graphs = db.repo.common_dir / "objects" / "info" / "commit-graphs"
    graphs.mkdir(exist_ok=True)
    lock = graphs / "commit-graph-chain.lock"
    lock.touch()  # another git process is writing the graph: this write fails
    assert len(db.repo.log(folder)) == 2
    assert counter.read_text() == str(GitRepo.GRAPH_REFRESH_EVERY)
    lock.unlink()
    db.repo.log(folder)
    assert counter.read_text() == "0"
    assert (graphs / "commit-graph-chain").is_file()


def test_database_git_is_a_gitpython_repo_for_scripts_that_explore_history(db, png):
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=True, images=[png])
    db.save_component("F-1", {"type": "feb"})
    repo = db.git
    assert repo.working_tree_dir == str(db.root)
    subjects = [c.summary for c in repo.iter_commits(paths="records/module/M-1")]
    assert len(subjects) == 2 and subjects[0].startswith("test M-1: iv_curve pass")
    assert repo.head.commit.author.name == "Test Tech"


def test_gitpython_is_imported_only_when_a_script_asks_for_it(store_path):
    """`import git` costs 0.16 s: no command, and no other use of the library, pays it."""
    script = ("import sys\nfrom svt_records import Database\n"
              f"db = Database({str(store_path)!r})\n"
              "db.save_component('M-1', {'type': 'module'})\ndb.history('M-1')\n"
              "assert 'git' not in sys.modules, 'imported early'\n"
              "db.git\nassert 'git' in sys.modules\n")
    subprocess.run([sys.executable, "-c", script], check=True)


def test_a_log_started_early_reads_like_one_run_at_once_and_reports_failure(db, tmp_path,
                                                                           monkeypatch):
    """start_full_log (the site starts it before validating) gives full_log's entries; a
    git log that fails, or a git that is missing, is a GitError with git's message."""
    import pytest

    from svt_records.model.errors import GitError
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.save_component("M-1", {"status": "failed"})
    folder = ["records/module/M-1"]
    started = db.repo.start_full_log(folder)
    entries = started()
    assert [e.subject.split(":")[0] for e in entries] == ["update M-1", "add M-1"]
    assert entries == db.repo.full_log(folder)
    assert all(e.changes == [("M", "records/module/M-1/component.yaml")] or
               e.changes == [("A", "records/module/M-1/component.yaml")] for e in entries)
    bad = db.repo.start_full_log([":(nonsense)records"])  # a pathspec magic git refuses
    with pytest.raises(GitError, match=r"git log failed \(exit 128\): .*nonsense"):
        bad()
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on it
    with pytest.raises(GitError, match="git is not installed or not on PATH"):
        db.repo.start_full_log(["records"])
