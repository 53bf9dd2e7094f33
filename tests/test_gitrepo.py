"""gitrepo's upkeep of git's own structures: the commit-graph that keeps `svt show`'s
history fast."""
from __future__ import annotations

from svt_records.gitrepo import GitRepo


def test_a_failed_commit_graph_write_is_retried_at_the_next_history_query(db):
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.history("M-1")  # writes the first commit-graph
    db.save_component("M-1", {"status": "failed"})  # a commit the graph does not hold
    counter = db.repo.svt_dir() / "commits-since-graph"
    counter.write_text(str(GitRepo.GRAPH_REFRESH_EVERY))  # a new layer is due
    graphs = db.repo.common_dir / "objects" / "info" / "commit-graphs"
    graphs.mkdir(exist_ok=True)
    lock = graphs / "commit-graph-chain.lock"
    lock.touch()  # another git process is writing the graph: this write fails
    assert len(db.history("M-1")) == 2
    assert counter.read_text() == str(GitRepo.GRAPH_REFRESH_EVERY)
    lock.unlink()
    db.history("M-1")
    assert counter.read_text() == "0"
    assert (graphs / "commit-graph-chain").is_file()
