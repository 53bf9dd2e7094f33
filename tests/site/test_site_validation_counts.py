"""An incremental build states the same validation report as a full one: the store-wide
warnings that count a test type's results are worked out again, not kept from the last
build with an old count."""
from __future__ import annotations

from svt_records import Database
from svt_records.site.build import build


def _warnings(out):
    return [line for line in (out / "validation.html").read_text().splitlines()
            if "result(s))" in line]


def test_a_new_result_updates_the_placeholder_warning_without_a_full_build(store_path, svt,
                                                                           tmp_path):
    svt("add", "--id", "SEN-1", "--type", "sensor")
    svt("test", "SEN-1", "--type", "iv_curve", "--measure", "leakage_20C=1uA")
    out = tmp_path / "site"
    build(Database(store_path), out, full=True)
    assert any("(1 result(s))" in line for line in _warnings(out)), _warnings(out)
    svt("test", "SEN-1", "--type", "iv_curve", "--measure", "leakage_20C=2uA")
    again = build(Database(store_path), out)
    assert not again.full
    said = svt("validate", ok=False).stdout
    assert "iv_curve (2 result(s))" in said
    assert any("(2 result(s))" in line for line in _warnings(out)), _warnings(out)
    assert not any("(1 result(s))" in line for line in _warnings(out))
