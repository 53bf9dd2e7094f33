"""The incremental build and the links to the forge: every page links the store's project
(view YAML, history, edit, the issue forms, the commits), made from the remote's URL and the
issue-form files present. Neither is a record, so a change of either is no change to git
under records/: the manifest remembers them, and a rebuild after a change of either makes
every page again, while a rebuild with neither changed makes no component page again."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.index.queries import fork_available
from svt_records.site.build import build

from conftest import git

OLD = "https://github.com/hps/svt-records"
NEW = "https://github.com/hps-collab/svt-records-2027"


def make_store(base: Path) -> Path:
    store = base / "store"
    db = Database(store)
    db.initialize_schema()
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    db.save_component("MOD-2", {"type": "module", "status": "spare"})
    db.record_test("MOD-1", "iv_curve", passed=True, measurements={"leakage_20C": 2.0e-06})
    git(store, "remote", "add", "origin", OLD + ".git")
    return store


def component_pages(out: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted((out / "components").glob("*.html"))}


def site(svt, store: Path, out: Path, *more: str) -> str:
    return svt("--repo", str(store), "site", str(out), *more).stdout


def test_a_new_remote_url_relinks_every_page_without_a_full_build(tmp_path, svt):
    store = make_store(tmp_path)
    out = tmp_path / "out"
    site(svt, store, out)
    before = component_pages(out)
    assert all(f"{OLD}/blob/main/records/module/" in html for html in before.values())
    git(store, "remote", "set-url", "origin", NEW + ".git")
    site(svt, store, out)  # no --full: nothing under records/ changed
    pages = component_pages(out)
    assert set(pages) == {"MOD-1.html", "MOD-2.html"}
    for name, html in pages.items():
        assert OLD not in html, name  # no view, history, edit or commit link to the old one
        assert f"{NEW}/blob/main/records/module/{name[:-5]}/component.yaml" in html
        assert re.search(rf'href="{NEW}/commit/[0-9a-f]{{40}}"', html), name
    # the same pages as a full build's
    site(svt, store, tmp_path / "full", "--full")
    assert component_pages(tmp_path / "full") == pages


def test_a_new_issue_form_is_linked_from_every_page_without_a_full_build(tmp_path, svt):
    store = make_store(tmp_path)
    out = tmp_path / "out"
    site(svt, store, out)
    assert not any("Record a test" in html for html in component_pages(out).values())
    forms = store / ".github" / "ISSUE_TEMPLATE"
    forms.mkdir(parents=True)
    (forms / "svt-test.yml").write_text("name: form\nbody:\n  - type: input\n    id: component\n")
    git(store, "add", ".github")
    git(store, "commit", "-qm", "the test form")
    site(svt, store, out)
    for name, html in component_pages(out).items():
        assert "Record a test" in html, name
        assert f"{OLD}/issues/new?template=svt-test.yml&amp;component={name[:-5]}" in html
    # and gone again when the form is
    git(store, "rm", "-q", ".github/ISSUE_TEMPLATE/svt-test.yml")
    git(store, "commit", "-qm", "no test form")
    site(svt, store, out)
    assert not any("Record a test" in html for html in component_pages(out).values())


def test_with_neither_changed_no_component_page_is_made_again(tmp_path):
    store = make_store(tmp_path)
    out = tmp_path / "out"
    assert build(Database(store), out).full
    again = build(Database(store), out)
    assert not again.full
    assert not [rel for rel in again.written if rel.startswith("components/")]


@pytest.mark.skipif(not fork_available(), reason="no fork here: every page is rendered in turn")
def test_the_big_pages_rendered_aside_are_those_rendered_in_turn(tmp_path, monkeypatch):
    """In a big store the components table and the tests' pages are rendered by forked
    processes, and even a few plots drawn by a pool, while the build goes on: the same
    files as one process makes."""
    from svt_records.site import drawing, pages
    store = make_store(tmp_path)
    build(Database(store), tmp_path / "alone", jobs=1)
    monkeypatch.setattr(pages, "PARALLEL_FROM", 1)
    monkeypatch.setattr(drawing, "BACKGROUND_FROM", 1)
    from svt_records.site.outputs import SiteOutputs
    put_aside: list[str] = []
    render_aside = SiteOutputs._render_aside

    def counted(self, rel, template, context):
        put_aside.append(rel)
        render_aside(self, rel, template, context)
    monkeypatch.setattr(SiteOutputs, "_render_aside", counted)
    result = build(Database(store), tmp_path / "aside", jobs=2)
    assert sorted(put_aside) == ["components.html", "tests/iv_curve.html"]
    assert "components.html" in result.written and "tests/iv_curve.html" in result.written

    def files(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file() and ".svt-site" not in p.parts}
    alone, aside = files(tmp_path / "alone"), files(tmp_path / "aside")
    assert "components.html" in aside and aside == alone
