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
