"""svt sync and branch-and-review mode on real clones: a bare remote in tmp_path and two or
three clones (test stands) changing the same components, syncing in both orders."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from svt_records import Database
from tests.collab.gitutil import git
from svt_records.collab.sync import review_url

DATE = "2025-03-01T10:00:00+00:00"
GITHUB = "https://github.com/hps/svt-records.git"


def make_remote(tmp_path: Path, svt, config: str = "", review: bool = False) -> Path:
    """A bare remote holding modules M1 and M2; ``config`` is added to svt.yaml."""
    origin = tmp_path / "origin"
    svt("--repo", str(origin), "init", "--no-ci", *(["--review", "branch"] if review else []))
    if config:
        with open(origin / "svt.yaml", "a") as fh:
            fh.write(config)
        git(origin, "commit", "-qam", "settings")
    if review:  # svt commits on a topic branch only; merged here as a pull request would be
        assert "review: branch" in (origin / "svt.yaml").read_text()
        git(origin, "switch", "-q", "-c", "setup")
    for cid in ("M1", "M2"):
        svt("--repo", str(origin), "add", "--id", cid, "--type", "module", "--status", "spare",
            "--location", "SLAC")
    if review:
        git(origin, "switch", "-q", "main")
        git(origin, "merge", "-q", "--ff-only", "setup")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(bare))
    return bare


def clone(bare: Path, dest: Path) -> Path:
    git(bare.parent, "clone", "-q", str(bare), str(dest))
    return dest


@pytest.fixture
def clones(tmp_path, svt, request):
    """(bare remote, a, b); the test's param (if any) is added to svt.yaml."""
    bare = make_remote(tmp_path, svt, getattr(request, "param", ""))
    return bare, clone(bare, tmp_path / "a"), clone(bare, tmp_path / "b")


def run(svt, where: Path, *args: str, ok: bool = True):
    return svt("--repo", str(where), *args, ok=ok)


def tip(repo: Path, ref: str = "HEAD") -> str:
    return git(repo, "rev-parse", ref)


def assert_valid(svt, where: Path) -> None:
    result = run(svt, where, "validate", ok=False)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_sync_with_nothing_to_do_says_so_and_pushes_nothing(clones, svt):
    bare, a, _ = clones
    before = tip(bare, "main")
    result = run(svt, a, "sync")
    assert "main is up to date with origin/main; nothing to do" in result.stdout
    assert tip(bare, "main") == before == tip(a)
    # uncommitted edits stop a sync that would move or check commits
    run(svt, a, "log", "M1", "checked")
    (a / "svt.yaml").write_text((a / "svt.yaml").read_text() + "# edited\n")
    refused = run(svt, a, "sync", ok=False)
    assert refused.exit_code == 1 and "svt.yaml has uncommitted changes" in refused.stderr
    assert tip(bare, "main") == before


@pytest.mark.parametrize("clones", ["", "sync: merge\n"], ids=["rebase", "merge"],
                         indirect=True)
@pytest.mark.parametrize("first", ["a", "b"])
def test_two_stands_sync_in_either_order_and_every_change_survives(clones, svt, png, first):
    bare, a, b = clones
    merging = "sync: merge" in (a / "svt.yaml").read_text()
    run(svt, a, "test", "M1", "--type", "iv_curve", "--pass", "--image", str(png),
        "--date", DATE)
    run(svt, a, "add", "--id", "M1", "--status", "failed")
    run(svt, b, "test", "M1", "--type", "iv_curve", "--fail", "--image", str(png),
        "--date", DATE)
    run(svt, b, "location", "M1", "JLab")
    run(svt, b, "log", "M2", "bias line checked")
    order = (a, b) if first == "a" else (b, a)
    made = {a: 2, b: 3}  # commits each stand made
    said = run(svt, order[0], "sync").stdout
    assert f"Pushed {made[order[0]]} commit(s) to origin/main" in said
    second = run(svt, order[1], "sync").stdout
    assert f"Pushed {made[order[1]] + merging} commit(s) to origin/main" in second
    assert f"got {made[order[0]]} commit(s) from origin/main" in second
    assert ("(merge)" in second) == merging and ("(rebase)" in second) != merging
    assert "Pulled" in run(svt, order[0], "sync").stdout
    for where in (a, b):
        assert tip(where) == tip(bare, "main")
        db = Database(where)
        assert sorted(t["result"] for t in db.tests("M1")) == ["fail", "pass"]
        m1 = db.get_component("M1")
        assert (m1["status"], m1["location"]) == ("failed", "JLab")
        assert len(list(where.glob("records/module/M1/2025/*_iv_curve_*_0.png"))) == 2
        assert any("bias line checked" in str(e) for e in db.events("M2"))
        assert_valid(svt, where)
    assert bool(git(a, "rev-list", "--merges", "HEAD")) == merging


def test_a_true_conflict_leaves_the_clone_clean_names_both_values_and_resolves(clones, svt):
    bare, a, b = clones
    run(svt, a, "add", "--id", "M1", "--status", "failed")
    run(svt, a, "sync")
    run(svt, b, "add", "--id", "M1", "--status", "retired", "--location", "JLab")
    mine = tip(b)
    result = run(svt, b, "sync", ok=False)
    assert result.exit_code == 1
    said = result.stderr
    assert "status changed on both sides (was spare)" in said
    assert "remote: failed in " in said and "status spare -> failed" in said
    assert "yours: retired in " in said and "status spare -> retired" in said
    assert "the rebase was aborted" in said and "svt resolve M1" in said
    assert len(said.splitlines()) < 8 and "Traceback" not in said
    # clean: no rebase in progress, nothing changed, nothing pushed
    assert tip(b) == mine and git(b, "status", "--porcelain") == ""
    assert not (b / ".git" / "rebase-merge").exists()
    assert tip(bare, "main") == tip(a)
    # as it says: sync --merge stops at the conflict, resolve settles it, sync finishes
    stopped = run(svt, b, "sync", "--merge", ok=False)
    assert stopped.exit_code == 1 and "The merge is waiting for you" in stopped.stderr
    assert "still conflicts" in run(svt, b, "sync", ok=False).stderr
    run(svt, b, "resolve", "M1", "--theirs")  # the remote's value
    done = run(svt, b, "sync").stdout
    assert "Committed the merge" in done and "Pushed 2 commit(s) to origin/main" in done
    run(svt, a, "sync")
    for where in (a, b):
        m1 = Database(where).get_component("M1")
        assert (m1["status"], m1["location"]) == ("failed", "JLab")
        assert tip(where) == tip(bare, "main")
        assert_valid(svt, where)


def test_a_push_race_is_retried_and_sync_holds_the_store_lock(tmp_path, clones, svt):
    bare, a, b = clones
    c = clone(bare, tmp_path / "c")
    run(svt, c, "log", "M2", "pushed by stand C during A's push")
    # A's pre-push hook: C pushes first (once), and the hook notes whether A's lock is free
    report = tmp_path / "hook-report"
    hook = a / ".git" / "hooks" / "pre-push"
    hook.write_text(f"""#!/bin/sh
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
if [ ! -e {report} ]; then git -C {c} push -q origin main || exit 3; fi
{sys.executable} -c "
import fcntl, os
fd = os.open('{a}/.git/svt/lock', os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print('lock free')
except OSError:
    print('lock held')
" >> {report}
""")
    hook.chmod(0o755)
    run(svt, a, "log", "M1", "stand A's entry")
    result = run(svt, a, "sync").stdout
    assert "Pushed 1 commit(s) to origin/main" in result and "after 2 attempts" in result
    assert report.read_text().splitlines() == ["lock held", "lock held"]
    assert tip(bare, "main") == tip(a)
    texts = [str(e) for e in Database(a).events("M1") + Database(a).events("M2")]
    assert any("stand A's entry" in t for t in texts)
    assert any("pushed by stand C" in t for t in texts)
    assert_valid(svt, a)


def test_a_push_the_remote_refuses_is_reported_at_once(clones, svt):
    bare, a, _ = clones
    hook = bare / "hooks" / "pre-receive"  # as a protected branch refuses
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    run(svt, a, "log", "M1", "checked")
    result = run(svt, a, "sync", ok=False)
    assert result.exit_code == 1
    assert "git push to origin failed: [remote rejected] (pre-receive hook declined)" in \
        result.stderr and "times" not in result.stderr


def test_a_merged_result_that_fails_validation_is_not_pushed(clones, svt):
    bare, a, b = clones
    run(svt, a, "install", "M1", "Layer0_top_axial")
    run(svt, a, "sync")
    run(svt, b, "install", "M2", "Layer0_top_axial")  # b does not know M1 is there
    result = run(svt, b, "sync", ok=False)
    assert result.exit_code == 1
    assert "Not pushed" in result.stderr and "Layer0_top_axial" in result.stderr
    assert tip(bare, "main") == tip(a)
    assert run(svt, b, "validate", ok=False).exit_code == 1  # as after a git pull


def test_sync_without_a_remote_or_an_upstream_says_how_to_add_one(store_path, svt, tmp_path):
    result = svt("sync", ok=False)
    assert result.exit_code == 1
    assert "no remote" in result.stderr and "git remote add origin URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    git(tmp_path, "clone", "-q", "--bare", str(store_path), str(tmp_path / "r.git"))
    git(store_path, "remote", "add", "origin", str(tmp_path / "r.git"))
    result = svt("sync", ok=False)
    assert "has no upstream" in result.stderr and "git push -u origin main" in result.stderr
    # a new topic branch has none either: sync publishes it, on top of main
    svt("branch", "topic")
    svt("add", "--id", "M1", "--type", "module")
    assert "Pushed 1 commit(s) to origin/topic" in svt("sync").stdout
    assert git(store_path, "rev-parse", "--abbrev-ref", "topic@{upstream}") == "origin/topic"
    assert tip(tmp_path / "r.git", "topic") == tip(store_path)


# ---- branch-and-review mode ---------------------------------------------------------------

def github_like(where: Path, bare: Path) -> None:
    """origin's URL says GitHub; git fetches and pushes to the bare remote all the same."""
    git(where, "remote", "set-url", "origin", GITHUB)
    git(where, "config", f"url.{bare}.insteadOf", GITHUB)


def test_review_mode_refuses_main_and_sync_pushes_the_topic_branch(tmp_path, svt):
    bare = make_remote(tmp_path, svt, review=True)
    a, b = clone(bare, tmp_path / "a"), clone(bare, tmp_path / "b")
    github_like(a, bare)
    before = tip(a)
    refused = run(svt, a, "add", "--id", "M1", "--status", "failed", ok=False)
    assert refused.exit_code == 1 and "svt branch NAME" in refused.stderr
    assert tip(a) == before and git(a, "status", "--porcelain") == ""

    said = run(svt, a, "branch", "stand-a").stdout
    assert "stand-a" in said and "origin/main" in said
    assert git(a, "branch", "--show-current") == "stand-a"
    run(svt, a, "add", "--id", "M1", "--status", "failed")
    result = run(svt, a, "sync").stdout
    assert "Pushed 1 commit(s) to origin/stand-a" in result
    assert ("https://github.com/hps/svt-records/compare/main...stand-a?expand=1"
            in result)
    assert tip(bare, "stand-a") == tip(a) and tip(bare, "main") == before

    # meanwhile b's branch is merged into main (a fast-forward, as a merge button may do)
    run(svt, b, "branch", "stand-b")
    run(svt, b, "location", "M1", "JLab")
    run(svt, b, "sync")
    git(bare, "update-ref", "refs/heads/main", "refs/heads/stand-b")
    # a's next sync rebases onto the new main and replaces its branch (with a lease)
    run(svt, a, "log", "M1", "wire bonds inspected")
    result = run(svt, a, "sync").stdout
    assert "Pushed" in result and "1 commit(s) from origin/main (rebase)" in result
    assert tip(bare, "stand-a") == tip(a)
    git(bare, "merge-base", "--is-ancestor", "main", "stand-a")
    m1 = Database(a).get_component("M1")
    assert (m1["status"], m1["location"]) == ("failed", "JLab")

    # on main, sync only pulls
    git(bare, "update-ref", "refs/heads/main", "refs/heads/stand-a")  # the PR is merged
    git(a, "switch", "-q", "main")
    main_before = tip(bare, "main")
    assert "Pulled" in run(svt, a, "sync").stdout
    assert tip(a) == tip(bare, "main") == main_before
    assert_valid(svt, a)

    # both topic branches are merged: prune deletes them, but not the one checked out
    pruned = run(svt, a, "branch", "--prune").stdout
    assert "Deleted branch stand-a (merged)" in pruned
    assert git(a, "branch", "--format=%(refname:short)").split() == ["main"]
    kept = run(svt, b, "branch", "--prune").stdout
    assert "Kept stand-b" in kept and "stand-b" in git(b, "branch")


def test_branch_refuses_a_dirty_work_tree_and_warns_when_offline(tmp_path, svt):
    bare = make_remote(tmp_path, svt, review=True)
    a = clone(bare, tmp_path / "a")
    (a / "svt.yaml").write_text((a / "svt.yaml").read_text() + "# edited\n")
    refused = run(svt, a, "branch", "topic", ok=False)
    assert refused.exit_code == 1 and "svt.yaml has uncommitted changes" in refused.stderr
    git(a, "checkout", "--", "svt.yaml")
    git(a, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    result = run(svt, a, "branch", "topic")
    assert "warning: could not fetch from origin" in result.stderr
    assert "starts from the local main" in result.stderr
    assert git(a, "branch", "--show-current") == "topic"
    assert "not a valid branch name" in run(svt, a, "branch", "a..b", ok=False).stderr


@pytest.mark.parametrize("url, expected", [
    ("https://github.com/hps/svt-records.git",
     "https://github.com/hps/svt-records/compare/main...topic?expand=1"),
    ("git@github.com:hps/svt-records.git",
     "https://github.com/hps/svt-records/compare/main...topic?expand=1"),
    ("ssh://git@github.com/hps/svt-records",
     "https://github.com/hps/svt-records/compare/main...topic?expand=1"),
    ("https://gitlab.com/hps/svt/records.git",
     "https://gitlab.com/hps/svt/records/-/merge_requests/new"
     "?merge_request[source_branch]=topic"),
    ("git@gitlab.com:hps/records.git",
     "https://gitlab.com/hps/records/-/merge_requests/new?merge_request[source_branch]=topic"),
    ("ssh://git@gitlab.example.org:2222/hps/records.git",
     "https://gitlab.example.org/hps/records/-/merge_requests/new"
     "?merge_request[source_branch]=topic"),
    ("/srv/git/records.git", None),
    ("https://example.org/hps/records.git", None),
])
def test_the_pull_request_page_of_github_and_gitlab_remotes(url, expected):
    assert review_url(url, "main", "topic") == expected


@pytest.mark.parametrize("clones", ["", "sync: merge\n"], ids=["rebase", "merge"],
                         indirect=True)
def test_changes_git_merges_field_by_field_sync_merges_too(clones, svt):
    """The scenarios of docs/collaboration.md that merge by themselves, through svt sync."""
    bare, a, b = clones
    for feb in ("F1", "F2"):
        run(svt, a, "add", "--id", feb, "--type", "feb")
    run(svt, a, "sync")
    run(svt, b, "sync")
    for where, feb, kind, attr in ((a, "F1", "signal", "channels=640"),
                                   (b, "F2", "power", "firmware=v2.1")):
        run(svt, where, "connect", "M1", feb, "--type", kind)
        run(svt, where, "add", "--id", "M2", "--attr", attr)
        run(svt, where, "add", "--id", "M1", "--status", "failed")  # the same value twice
    run(svt, a, "sync")
    assert "Pushed" in run(svt, b, "sync").stdout
    run(svt, a, "sync")
    for where in (a, b):
        db = Database(where)
        m1, m2 = db.get_component("M1"), db.get_component("M2")
        assert sorted((c["to"], c["type"]) for c in m1["connections"]) == [
            ("F1", "signal"), ("F2", "power")]
        assert m1["status"] == "failed"
        assert (m2["attributes"]["channels"], m2["attributes"]["firmware"]) == (640, "v2.1")
        assert tip(where) == tip(bare, "main")
        assert_valid(svt, where)


def test_a_record_svt_cannot_read_stops_sync_and_names_the_file(clones, svt):
    bare, a, b = clones
    run(svt, a, "add", "--id", "M1", "--status", "failed")
    run(svt, a, "sync")
    rec = b / "records/module/M1/component.yaml"  # a hand edit with a duplicate key
    rec.write_text(rec.read_text().replace("status: spare", "status: retired\nstatus: retired"))
    git(b, "commit", "-q", "-am", "hand edit")
    mine = tip(b)
    result = run(svt, b, "sync", ok=False)
    assert result.exit_code == 1
    assert ("records/module/M1/component.yaml: changed on both sides in ways svt cannot merge"
            in result.stderr)
    assert tip(b) == mine and git(b, "status", "--porcelain") == ""
    assert tip(bare, "main") == tip(a)


def _both_install_m1(svt, a: Path, b: Path) -> None:
    for where, who in ((a, "Alice"), (b, "Bob")):  # the same moment in both clones
        run(svt, where, "install", "M1", "Layer0_top_axial", "--installed-by", who,
            "--date", "2025-03-01T10:00:00+00:00")


def _both_remove_m1(svt, a: Path, b: Path) -> None:
    run(svt, a, "install", "M1", "Layer0_top_axial", "--date", "2025-03-01T10:00:00+00:00")
    run(svt, a, "sync")
    run(svt, b, "sync")
    for where, day in ((a, "02"), (b, "03")):
        run(svt, where, "remove", "M1", "--date", f"2025-03-{day}T10:00:00+00:00")


def _move_and_remove_m1(svt, a: Path, b: Path) -> None:
    run(svt, a, "install", "M1", "Layer0_top_axial", "--date", "2025-03-01T10:00:00+00:00")
    run(svt, a, "sync")
    run(svt, b, "sync")
    run(svt, a, "location", "M1", "CERN", "--date", "2025-03-02T10:00:00+00:00")
    run(svt, b, "remove", "M1", "--location", "SLAC", "--date", "2025-03-03T10:00:00+00:00")


@pytest.mark.parametrize("clones", ["", "sync: merge\n"], ids=["rebase", "merge"],
                         indirect=True)
@pytest.mark.parametrize("make, said", [
    (_both_install_m1, "no removal between"),
    (_both_remove_m1, "no install since"),
    (_move_and_remove_m1, "location here is CERN"),
], ids=["two-installs", "two-removals", "location-vs-latest-move"])
def test_sync_pushes_no_merge_that_combines_two_valid_changes_into_an_invalid_one(
        clones, svt, make, said):
    """The rows of docs/collaboration.md's "Merges that only validate can refuse": each side
    is valid alone, git merges them cleanly, and sync's check of the result stops the push."""
    bare, a, b = clones
    make(svt, a, b)
    assert_valid(svt, a)
    assert_valid(svt, b)
    run(svt, a, "sync")
    result = run(svt, b, "sync", ok=False)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "Not pushed" in result.stderr and said in result.stderr, result.stderr
    assert tip(bare, "main") == tip(a)
