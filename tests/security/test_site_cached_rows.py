"""The components table reuses rows the last build rendered, from the manifest in OUT. OUT
is a folder anyone may have written (a site restored from the published copy, a shared
disk), and a row goes into the page as HTML: a row whose HTML this clone did not render,
with its seal kept, is rendered again, never published."""
from __future__ import annotations

import json

from tests.site.test_rebuild_equals_full import two_modules_built

MANIFEST = ".svt-site/manifest.json"


def test_a_forged_row_with_a_kept_seal_is_rendered_again(tmp_path, svt):
    db, store, out, manifest = two_modules_built(tmp_path, svt)
    seal, html = manifest["table_rows"]["MOD-1"]
    assert html in (out / "components.html").read_text()
    manifest["table_rows"]["MOD-1"] = [seal, "<tr><td><script>alert(1)</script></td></tr>"]
    (out / MANIFEST).write_text(json.dumps(manifest))
    db.save_component("MOD-2", {"status": "installed"})  # an incremental build, not a full one
    svt("--repo", str(store), "site", str(out))
    page = (out / "components.html").read_text()
    assert "<script>alert(1)</script>" not in page
    assert html in page


def test_a_manifest_with_malformed_problems_is_validated_afresh(tmp_path, svt):
    db, store, out, manifest = two_modules_built(tmp_path, svt)
    manifest["problems"] = [["records/x"], 7]
    (out / MANIFEST).write_text(json.dumps(manifest))
    db.save_component("MOD-1", {"status": "spare"})
    result = svt("--repo", str(store), "site", str(out))  # no traceback: a full validation
    assert result.exit_code == 0
    assert "records/x" not in (out / "validation.html").read_text()


def test_a_row_this_clone_sealed_is_reused_and_only_the_changed_one_rendered(
        tmp_path, svt, monkeypatch):
    """The seal must not only refuse: the rows it covers are taken as they are. Counted at
    the row macro itself (jinja2's, passed through): after MOD-2 changes, one row is made."""
    import jinja2
    db, store, out, manifest = two_modules_built(tmp_path, svt)
    made: list[str] = []
    get_template = jinja2.Environment.get_template

    def counting(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        template = get_template(self, name, *args, **kwargs)
        if name != "components_row.html.j2":
            return template

        class Module:
            def row(self, cid, *rest):  # type: ignore[no-untyped-def]
                made.append(cid)
                return template.module.row(cid, *rest)
        return type("Counted", (), {"module": Module()})()
    monkeypatch.setattr(jinja2.Environment, "get_template", counting)
    db.save_component("MOD-2", {"status": "installed"})
    svt("--repo", str(store), "site", str(out))
    assert made == ["MOD-2"]
    key = store / ".git" / "svt" / "site-row-secret"
    assert key.stat().st_mode & 0o077 == 0  # the key is this user's alone
    assert manifest["table_rows"]["MOD-1"][1] in (out / "components.html").read_text()


def test_without_a_usable_key_no_row_is_reused_and_the_site_is_built(tmp_path, svt,
                                                                       monkeypatch):
    """A key file that cannot be used (too short here) seals nothing: every row is made
    again, none is trusted, and the build succeeds."""
    db, store, out, manifest = two_modules_built(tmp_path, svt)
    (store / ".git" / "svt" / "site-row-secret").write_bytes(b"short")
    db.save_component("MOD-2", {"status": "installed"})
    assert svt("--repo", str(store), "site", str(out)).exit_code == 0
    rows = json.loads((out / MANIFEST).read_text())["table_rows"]
    assert all(seal == "" for seal, _ in rows.values())
    assert "MOD-1" in (out / "components.html").read_text()


def test_a_key_others_could_read_is_replaced_and_its_seals_trust_nothing(tmp_path, svt):
    """An older svt made the key with the umask's mode (0644): anyone who could read it and
    write OUT could seal a forged row. Such a key is replaced, so no row it sealed is
    reused."""
    db, store, out, manifest = two_modules_built(tmp_path, svt)
    key = store / ".git" / "svt" / "site-row-secret"
    old = key.read_bytes()
    key.chmod(0o644)
    db.save_component("MOD-2", {"status": "installed"})
    assert svt("--repo", str(store), "site", str(out)).exit_code == 0
    assert key.stat().st_mode & 0o077 == 0 and key.read_bytes() != old
    rows = json.loads((out / MANIFEST).read_text())["table_rows"]
    assert manifest["table_rows"]["MOD-1"][0] != rows["MOD-1"][0]
