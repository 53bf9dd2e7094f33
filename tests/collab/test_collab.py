"""Collaboration through git: a bare remote and two clones (two test stands) changing the same
component at the same time, then pulling with merge and with rebase."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.files import yamlio

DATE = "2025-03-01T10:00:00+00:00"


def git(path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(f"git {' '.join(args)}: {proc.stdout}{proc.stderr}")
    return proc


@pytest.fixture
def clones(tmp_path, svt):
    """(a, b): two clones of a bare remote holding module M1 and FEB F1."""
    origin = tmp_path / "origin"
    svt("--repo", str(origin), "init", "--no-ci")
    svt("--repo", str(origin), "add", "--id", "M1", "--type", "module", "--status", "spare",
        "--location", "SLAC")
    svt("--repo", str(origin), "add", "--id", "F1", "--type", "feb", "--status", "spare")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(bare))
    a, b = tmp_path / "a", tmp_path / "b"
    for clone in (a, b):
        git(tmp_path, "clone", "-q", str(bare), str(clone))
    return a, b


def pull(clone: Path, how: str) -> subprocess.CompletedProcess:
    return git(clone, "pull", "-q", "--rebase" if how == "rebase" else "--no-rebase",
               "--no-edit", check=False)


def validate(svt, clone: Path) -> None:
    result = svt("--repo", str(clone), "validate", ok=False)
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_two_stands_testing_one_component_at_the_same_date_both_keep_their_results(
        clones, svt, png, how):
    a, b = clones
    for clone, result in ((a, "--pass"), (b, "--fail")):
        svt("--repo", str(clone), "test", "M1", "--type", "iv_curve", result, "--voltage", "60",
            "--image", str(png), "--date", DATE)
    git(a, "push", "-q")
    pulled = pull(b, how)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    git(b, "push", "-q")
    assert pull(a, how).returncode == 0
    for clone in (a, b):
        results = sorted(t["result"] for t in Database(clone).tests("M1"))
        assert results == ["fail", "pass"]
        assert len(list(clone.glob("records/module/M1/2025/*_iv_curve_*_0.png"))) == 2
        validate(svt, clone)


def test_event_names_are_readable_sorted_by_date_and_tagged(store_path, svt, png):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--image", str(png), "--date", DATE)
    svt("test", "M1", "--type", "iv_curve", "--pass", "--image", str(png), "--date", DATE)
    names = sorted(p.name for p in (store_path / "records/module/M1/2025").iterdir())
    yamls = [n for n in names if n.endswith(".yaml")]
    assert len(yamls) == 2 and yamls[0] != yamls[1]
    for name in yamls:
        stem = name[:-len(".yaml")]
        assert stem.startswith("20250301_100000_iv_curve_") and len(stem) == len(
            "20250301_100000_iv_curve_") + 6
        assert f"{stem}_0.png" in names  # stored files share the event's stem
    validate(svt, store_path)


def test_validate_accepts_the_names_of_older_stores(store_path, svt):
    svt("add", "--id", "M1", "--type", "module")
    year = store_path / "records/module/M1/2025"
    year.mkdir(parents=True)
    body = f'kind: test\ndate: "{DATE}"\ncomponent: M1\ntest_type: iv_curve\nresult: pass\n'
    for name in ("20250301_100000_iv_curve.yaml", "20250301_100000_iv_curve-2.yaml",
                 "20250301_100000_iv_curve_0a1b2c.yaml"):
        (year / name).write_text(body)
    # a test type that itself ends like a tag names its file without one
    (year / "20250301_100000_scan_abcdef.yaml").write_text(
        body.replace("test_type: iv_curve", "test_type: scan_abcdef"))
    validate(svt, store_path)
    (year / "20250301_100000_scan_abcdef.yaml").write_text(body)
    result = svt("validate", ok=False)
    assert result.exit_code == 1 and "file name says 'scan'" in result.stdout


# ---- component.yaml merges field by field -------------------------------------------------

def record(clone: Path, cid: str = "M1") -> dict:
    return yamlio.load((clone / f"records/module/{cid}/component.yaml").read_text()).data


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_status_on_one_side_and_location_on_the_other_merge_cleanly(clones, svt, how):
    a, b = clones
    svt("--repo", str(a), "setup")
    svt("--repo", str(a), "add", "--id", "M1", "--status", "failed")
    git(a, "push", "-q")
    svt("--repo", str(b), "location", "M1", "JLab")  # b's write registers the driver itself
    pulled = pull(b, how)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    got = record(b)
    assert (got["status"], got["location"]) == ("failed", "JLab")
    assert "<<<<<<<" not in (b / "records/module/M1/component.yaml").read_text()
    validate(svt, b)


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_one_field_changed_differently_on_both_sides_is_explained_and_resolved(
        clones, svt, how):
    a, b = clones
    svt("--repo", str(a), "add", "--id", "M1", "--status", "failed")
    svt("--repo", str(a), "add", "--id", "M1", "--notes", "bonds lifted")
    git(a, "push", "-q")
    svt("--repo", str(b), "add", "--id", "M1", "--status", "retired", "--location", "JLab")
    pulled = pull(b, how)
    assert pulled.returncode != 0
    said = pulled.stdout + pulled.stderr
    assert "status changed on both sides (was spare)" in said
    assert "by Test Tech" in said
    # each value with the commit that set it (not merely the file's latest commit)
    assert "failed in " in said and ": update M1: status spare -> failed" in said
    assert "retired in " in said and "status spare -> retired" in said
    assert f"svt resolve M1" in said
    text = (b / "records/module/M1/component.yaml").read_text()
    assert "<<<<<<<" in text and "location: JLab" in text and "notes: bonds lifted" in text
    assert svt("--repo", str(b), "validate", ok=False).exit_code == 1  # markers never pass
    result = svt("--repo", str(b), "resolve", "M1", "--set", "status=failed")
    assert "Resolved records/module/M1/component.yaml" in result.stdout
    assert git(b, "diff", "--name-only", "--diff-filter=U").stdout == ""
    if how == "merge":
        git(b, "commit", "-q", "--no-edit")
    else:
        git(b, "-c", "core.editor=true", "rebase", "--continue")
    got = record(b)
    assert (got["status"], got["location"], got["notes"]) == ("failed", "JLab", "bonds lifted")
    validate(svt, b)


def _status_set_on_both_sides(svt, a: Path, b: Path) -> None:
    """A sets M1 failed and pushes; B, not yet pulled, sets it retired: one true conflict."""
    svt("--repo", str(a), "add", "--id", "M1", "--status", "failed")
    git(a, "push", "-q")
    svt("--repo", str(b), "add", "--id", "M1", "--status", "retired")


def test_resolve_takes_one_side_and_refuses_without_a_conflict(clones, svt):
    a, b = clones
    _status_set_on_both_sides(svt, a, b)
    refused = svt("--repo", str(b), "resolve", "M1", "--theirs", ok=False)
    assert refused.exit_code == 1 and "no merge conflict" in refused.stderr
    assert pull(b, "merge").returncode != 0
    incomplete = svt("--repo", str(b), "resolve", "M1", "--set", "location=x", ok=False)
    assert incomplete.exit_code != 0 and "still conflicts in status" in incomplete.stderr
    svt("--repo", str(b), "resolve", "M1", "--theirs")
    git(b, "commit", "-q", "--no-edit")
    assert record(b)["status"] == "failed"
    validate(svt, b)


def test_without_svt_git_falls_back_to_its_text_merge_with_markers(clones, svt):
    a, b = clones
    _status_set_on_both_sides(svt, a, b)
    driver = git(b, "config", "merge.svt.driver").stdout.strip()
    assert driver.startswith("/") or driver.startswith("'/")
    # svt uninstalled: the Python the driver names is gone
    git(b, "config", "merge.svt.driver", driver.replace("-m svt_records", "-m no_such_svt"))
    assert pull(b, "merge").returncode != 0
    text = (b / "records/module/M1/component.yaml").read_text()
    assert "<<<<<<< ours" in text and "status: failed" in text and "status: retired" in text
    assert ">>>>>>> theirs" in text


def test_read_only_commands_never_write_git_config(clones, svt):
    a, _ = clones
    for args in (["list"], ["show", "M1"], ["validate"], ["summary"]):
        svt("--repo", str(a), *args)
    assert 'merge "svt"' not in (a / ".git/config").read_text()
    assert not (a / ".git/info/attributes").exists()
    svt("--repo", str(a), "add", "--id", "M1", "--status", "failed")
    after = (a / ".git/config").read_text()
    assert 'merge "svt"' in after
    assert "records/**/component.yaml merge=svt" in (a / ".git/info/attributes").read_text()
    svt("--repo", str(a), "add", "--id", "M1", "--status", "spare")
    assert (a / ".git/config").read_text() == after  # registered once
    assert "already registered" in svt("--repo", str(a), "setup").stdout


# ---- svt history ---------------------------------------------------------------------------

def test_history_keeps_a_value_the_merge_dropped_and_hand_edits(clones, svt, png):
    a, b = clones
    _status_set_on_both_sides(svt, a, b)
    svt("--repo", str(b), "test", "M1", "--type", "iv_curve", "--pass", "--date", DATE)
    assert pull(b, "merge").returncode != 0
    svt("--repo", str(b), "resolve", "M1", "--ours")  # a's "failed" is dropped
    git(b, "commit", "-q", "--no-edit")
    rec = b / "records/module/M1/component.yaml"
    rec.write_text(rec.read_text().replace("location: SLAC", "location: CERN"))
    git(b, "commit", "-q", "-am", "Fix the location by hand")
    import json
    found = json.loads(svt("--repo", str(b), "history", "M1", "--format", "json").stdout)
    assert found["shallow"] is False
    changes = [(c["verb"], ch["field"], ch["old"], ch["new"])
               for c in found["commits"] for ch in c["changes"]]
    assert ("edit", "location", "SLAC", "CERN") in changes
    assert ("update", "status", "spare", "retired") in changes
    assert ("update", "status", "spare", "failed") in changes  # the side the merge dropped
    assert ("add", "status", None, "spare") in changes
    events = [e for c in found["commits"] for e in c["events"]]
    assert any(e.startswith("added test iv_curve (pass), dated 2025-03-01") for e in events)
    text = svt("--repo", str(b), "history", "M1").stdout
    assert "status: spare → failed" in text and "location: SLAC → CERN" in text
    assert "Fix the location by hand" in text


def test_history_in_a_shallow_clone_says_it_is_cut(clones, svt, tmp_path):
    a, _ = clones
    svt("--repo", str(a), "add", "--id", "M1", "--status", "failed")
    git(a, "push", "-q")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{tmp_path / 'remote.git'}",
        str(shallow))
    out = svt("--repo", str(shallow), "history", "M1").stdout
    assert "the history is cut" in out


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_connections_made_in_two_clones_are_both_kept(clones, svt, how):
    a, b = clones
    svt("--repo", str(a), "add", "--id", "F2", "--type", "feb")
    git(a, "push", "-q")
    git(b, "pull", "-q", "--ff-only")
    svt("--repo", str(a), "connect", "M1", "F1", "--type", "signal")
    git(a, "push", "-q")
    svt("--repo", str(b), "connect", "M1", "F2", "--type", "power")
    pulled = pull(b, how)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    links = sorted((c["to"], c["type"]) for c in record(b)["connections"])
    assert links == [("F1", "signal"), ("F2", "power")]
    validate(svt, b)


def test_one_id_added_in_two_clones_merges_what_agrees(clones, svt):
    a, b = clones
    svt("--repo", str(a), "add", "--id", "M9", "--type", "module", "--location", "SLAC")
    git(a, "push", "-q")
    svt("--repo", str(b), "add", "--id", "M9", "--type", "module", "--location", "JLab")
    assert pull(b, "merge").returncode != 0  # both created it: location and created differ
    text = (b / "records/module/M9/component.yaml").read_text()
    assert "id: M9" in text.split("<<<<<<<")[0] and "location: JLab" in text
    svt("--repo", str(b), "resolve", "M9", "--set", "location=SLAC", "--ours")
    git(b, "commit", "-q", "--no-edit")
    assert record(b, "M9")["location"] == "SLAC"
    validate(svt, b)


def test_a_write_still_lands_when_the_driver_cannot_be_registered(clones, svt):
    a, _ = clones
    (a / ".git/config.lock").write_text("")  # git config cannot write .git/config now
    result = svt("--repo", str(a), "add", "--id", "M1", "--status", "failed")
    assert "could not register svt's merge driver" in result.stderr
    assert record(a)["status"] == "failed"
    (a / ".git/config.lock").unlink()
    assert "Registered" in svt("--repo", str(a), "setup").stdout


def test_a_rebase_stopping_twice_names_the_commit_being_replayed(clones, svt):
    a, b = clones
    svt("--repo", str(a), "add", "--id", "M1", "--status", "failed")
    svt("--repo", str(a), "add", "--id", "M1", "--location", "CERN")
    git(a, "push", "-q")
    svt("--repo", str(b), "add", "--id", "M1", "--status", "retired")
    svt("--repo", str(b), "add", "--id", "M1", "--location", "JLab")
    assert pull(b, "rebase").returncode != 0
    svt("--repo", str(b), "resolve", "M1", "--theirs")
    again = git(b, "-c", "core.editor=true", "rebase", "--continue", check=False)
    assert again.returncode != 0
    said = again.stdout + again.stderr
    assert "location changed on both sides" in said
    assert "theirs: JLab in " in said and "location SLAC -> JLab" in said
    svt("--repo", str(b), "resolve", "M1", "--theirs")
    git(b, "-c", "core.editor=true", "rebase", "--continue")
    got = record(b)
    assert (got["status"], got["location"]) == ("retired", "JLab")
    validate(svt, b)


def test_init_shares_the_attribute_and_registers_the_driver(tmp_path, svt):
    store = tmp_path / "new"
    svt("--repo", str(store), "init", "--no-ci")
    assert "records/**/component.yaml merge=svt" in (store / ".gitattributes").read_text()
    assert git(store, "ls-files", ".gitattributes").stdout.strip() == ".gitattributes"
    driver = git(store, "config", "merge.svt.driver").stdout
    assert "-m svt_records merge-driver %O %A %B %P" in driver and "git merge-file" in driver


def test_a_record_the_driver_cannot_read_falls_back_to_git_text_merge(clones, svt):
    a, b = clones
    svt("--repo", str(a), "add", "--id", "M1", "--status", "failed")
    git(a, "push", "-q")
    svt("--repo", str(b), "setup")
    rec = b / "records/module/M1/component.yaml"  # a hand edit with a duplicate key
    rec.write_text(rec.read_text().replace("status: spare", "status: retired\nstatus: retired"))
    git(b, "commit", "-q", "-am", "hand edit")
    pulled = pull(b, "merge")
    assert pulled.returncode != 0
    text = rec.read_text()
    assert "<<<<<<< ours" in text and "status: failed" in text and "status: retired" in text


# ---- validate catches what a merge combines, though neither side did it -------------------

L1 = "Layer1_top_axial"


def _installed_in_both(svt, a: Path, b: Path) -> None:
    """A installs M1 at L1 and pushes; B pulls it and sets up the merge driver."""
    svt("--repo", str(a), "install", "M1", L1, "--date", "2025-03-01T10:00:00+00:00")
    git(a, "push", "-q")
    git(b, "pull", "-q", "--ff-only")
    svt("--repo", str(b), "setup")


def _merged_and_refused(svt, a: Path, b: Path, how: str, *messages: str) -> list[str]:
    """B pulls A's pushed change: git merges it cleanly, yet validate refuses the result,
    the whole store and `--since` the remote's commit (as CI runs it). The lines it said."""
    pulled = pull(b, how)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    for args in ((), ("--since", "origin/main")):
        result = svt("--repo", str(b), "validate", *args, ok=False)
        assert result.exit_code == 1, result.stdout
        for message in messages:
            assert message in result.stdout, result.stdout
    return result.stdout.splitlines()


def _reported_at_the_later(svt, b: Path, said: list[str], kind: str) -> str:
    """M1 has two events of ``kind``: the later in event order is reported, naming the
    earlier; its path."""
    found = sorted((data["date"], data["recorded"], p.relative_to(b).as_posix())
                   for p in b.glob(f"records/module/M1/2025/*_{kind}_*.yaml")
                   for data in [yamlio.load(p.read_text()).data])
    assert len(found) == 2
    (*_, earlier), (*_, later) = found
    assert any(line.startswith(later) and earlier.rsplit("/", 1)[-1] in line
               and f"(git rm {later}" in line for line in said), said
    # the fix it gives: the duplicate goes, and the store validates again
    git(b, "rm", "-q", later)
    git(b, "commit", "-q", "-m", f"Drop the {kind} recorded twice")
    validate(svt, b)
    return later


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_two_installs_merged_with_no_removal_between_fail_validation(clones, svt, how):
    a, b = clones
    svt("--repo", str(b), "setup")
    for clone, who in ((a, "Alice"), (b, "Bob")):  # the same moment: records agree
        svt("--repo", str(clone), "install", "M1", L1, "--installed-by", who,
            "--date", "2025-03-01T10:00:00+00:00")
        validate(svt, clone)
    git(a, "push", "-q")
    said = _merged_and_refused(svt, a, b, how, "no removal between")
    _reported_at_the_later(svt, b, said, "install")  # the same date: when svt recorded it decides


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_one_removal_recorded_in_two_clones_fails_validation(clones, svt, how):
    a, b = clones
    _installed_in_both(svt, a, b)
    for clone, day in ((a, "02"), (b, "03")):
        svt("--repo", str(clone), "remove", "M1", "--date", f"2025-03-{day}T10:00:00+00:00")
        validate(svt, clone)
    git(a, "push", "-q")
    said = _merged_and_refused(svt, a, b, how, "no install since")
    assert _reported_at_the_later(svt, b, said, "remove").split("/")[-1].startswith("20250303")


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_a_location_the_latest_event_contradicts_fails_validation(clones, svt, how):
    a, b = clones
    _installed_in_both(svt, a, b)
    svt("--repo", str(a), "location", "M1", "CERN", "--date", "2025-03-02T10:00:00+00:00")
    # B takes it out the next day and leaves it where it was, at SLAC
    svt("--repo", str(b), "remove", "M1", "--location", "SLAC",
        "--date", "2025-03-03T10:00:00+00:00")
    for clone in (a, b):
        validate(svt, clone)
    git(a, "push", "-q")
    said = _merged_and_refused(svt, a, b, how, "location here is CERN")
    assert record(b)["location"] == "CERN" and not record(b).get("position")
    removal, = (p.name for p in b.glob("records/module/M1/2025/*_remove_*.yaml"))
    assert any(line.startswith("records/module/M1/component.yaml") and removal in line
               and "if it is at SLAC, run `svt location M1 SLAC`" in line for line in said), said
    svt("--repo", str(b), "location", "M1", "SLAC")  # the fix it gives
    validate(svt, b)


def test_resolve_names_markers_committed_by_mistake_but_never_reads_through_a_link(
        store_path, svt, tmp_path):
    """A component.yaml holding conflict markers with no merge going on was committed by
    mistake: resolve says so. Replaced by a link to a file elsewhere that holds markers (a
    pull request's doing), it is not read through: only that there is no conflict."""
    svt("add", "--id", "M1", "--type", "module")
    record_file = store_path / "records/module/M1/component.yaml"
    text = record_file.read_text()
    record_file.write_text(f"<<<<<<< ours\n{text}=======\n{text}>>>>>>> theirs\n")
    marked = svt("resolve", "M1", "--ours", ok=False)
    assert marked.exit_code == 1 and "holds conflict markers" in marked.stderr
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(record_file.read_text())
    record_file.unlink()
    record_file.symlink_to(outside)
    linked = svt("resolve", "M1", "--ours", ok=False)
    assert linked.exit_code == 1 and "Traceback" not in linked.stderr
    assert "holds conflict markers" not in linked.stderr


def test_resolve_writes_no_file_through_a_link_a_pull_request_left(clones, svt, tmp_path):
    """A link committed beside a record under the name of a temporary file (as a pull
    request may) is never written through: the record is settled, the file outside kept."""
    a, b = clones
    _status_set_on_both_sides(svt, a, b)
    assert pull(b, "merge").returncode != 0
    outside = tmp_path / "outside.txt"
    outside.write_text("not svt's\n")
    folder = b / "records/module/M1"
    for name in ("component.yaml.svt-resolve", "component.yaml.tmp"):
        (folder / name).symlink_to(outside)
    svt("--repo", str(b), "resolve", "M1", "--theirs")
    assert outside.read_text() == "not svt's\n"
    assert record(b)["status"] == "failed"
