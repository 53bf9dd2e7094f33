"""An attachment (`svt attach`) shows on its component's page with the logs: its description,
who uploaded it and its photo; the home page's recent photos take it; and no event's row
spells out the keys every event has (its kind, date, component, created stamp)."""
from __future__ import annotations

import subprocess

from svt_records import Database


def test_an_attached_photo_is_shown_with_the_logs_and_on_the_home_page(tmp_path, svt, png):
    store = tmp_path / "store"
    db = Database(store)
    db.initialize_schema()
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    db.attach("MOD-1", [str(png)], description="After wire bonding", uploaded_by="Jane Doe")
    db.set_location("MOD-1", "Hall B")  # a move: a row of the other events
    out = tmp_path / "out"
    svt("--repo", str(store), "site", str(out))
    page = (out / "components" / "MOD-1.html").read_text()
    logs = page.split('<section id="logs">', 1)[1].split("</section>", 1)[0]
    assert "After wire bonding" in logs and "Jane Doe" in logs and "<img " in logs
    other = page.split('<section id="events">', 1)[1].split("</section>", 1)[0]
    assert "Hall B" in other and "component_created" not in other
    assert "{'path'" not in page
    home = (out / "index.html").read_text()
    assert '<section id="photos">' in home and "MOD-1" in home.split('id="photos"', 1)[1]


def test_a_store_without_a_name_has_the_title_svt_init_gives(tmp_path, svt):
    """svt.yaml without ``name`` (a store older than svt init --name): the site is titled
    as svt init names a store, one default for both."""
    from svt_records.store.layout import DEFAULT_NAME
    store = tmp_path / "store"
    db = Database(store)
    db.initialize_schema()
    config = store / "svt.yaml"
    config.write_text("".join(line for line in config.read_text().splitlines(keepends=True)
                              if not line.startswith("name:")))
    subprocess.run(["git", "commit", "-qam", "no name"], cwd=store, check=True)
    svt("--repo", str(store), "site", str(tmp_path / "out"))
    for page in ("index.html", "components.html", "validation.html"):
        assert f" · {DEFAULT_NAME}</title>" in (tmp_path / "out" / page).read_text(), page
