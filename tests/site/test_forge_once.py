"""One site build asks git for the remote's URL once and works out the forge once: the
commit links, each component's links to its source and the validation page's links all
come from that one answer (forge_links.SiteProject), passed down."""
from __future__ import annotations

import json
from pathlib import Path

from svt_records import Database
from svt_records.site import forge_links
from svt_records.site.build import build

from conftest import git

REMOTE = "https://github.com/hps/svt-records"


def make_store(base: Path) -> Path:
    store = base / "store"
    db = Database(store)
    db.initialize_schema(ci=False)
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    db.save_component("MOD-2", {"type": "module", "status": "spare"})
    db.record_test("MOD-1", "iv_curve", passed=True, measurements={"leakage_20C": 2.0e-06})
    git(store, "remote", "add", "origin", REMOTE + ".git")
    return store


def remote_lookups(trace: Path) -> list[list[str]]:
    """The git commands of a GIT_TRACE2_EVENT file that read a remote's URL."""
    found = []
    for line in trace.read_text("utf-8").splitlines():
        event = json.loads(line)
        argv = event.get("argv") or []
        if event.get("event") == "start" and any(".url" in a and "remote." in a for a in argv):
            found.append(argv)
    return found


def test_a_site_build_reads_the_remote_once(tmp_path, svt_proc):
    store = make_store(tmp_path)
    out = tmp_path / "out"
    for run, more in (("full", ["--full"]), ("again", [])):
        trace = tmp_path / f"trace-{run}.json"
        svt_proc("--repo", str(store), "site", str(out), *more,
                 env={"GIT_TRACE2_EVENT": str(trace)})
        assert len(remote_lookups(trace)) == 1, (run, remote_lookups(trace))
    # and every kind of link is still made from it
    page = (out / "components" / "MOD-1.html").read_text("utf-8")
    assert f"{REMOTE}/blob/main/records/module/MOD-1/component.yaml" in page
    assert f"{REMOTE}/commit/" in page
    assert f"{REMOTE}/commit/" in (out / "index.html").read_text("utf-8")


def test_a_site_build_works_out_the_forge_once(tmp_path, monkeypatch):
    store = make_store(tmp_path)
    (store / "records" / "module" / "MOD-2" / "component.yaml").write_text("status: [\n")
    git(store, "commit", "-qam", "a broken record, for the validation page")
    asked = []
    real = forge_links.web_project

    def counted(url):
        asked.append(url)
        return real(url)

    monkeypatch.setattr(forge_links, "web_project", counted)  # what forge() reads a URL with
    build(Database(store), tmp_path / "out", full=True)
    assert asked == [REMOTE + ".git"]
    validation = (tmp_path / "out" / "validation.html").read_text("utf-8")
    assert f"{REMOTE}/blob/main/records/module/MOD-2/component.yaml" in validation
