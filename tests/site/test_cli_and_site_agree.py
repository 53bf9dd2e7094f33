"""The CLI and the site show a test the same way, because each display rule is written once:
a measurement (model.format_measurement: SI prefixes, a list as [47, 128]) and a test type's
latest verdict in a table's cell (model.verdict_cells: "no verdict" when the latest test of
that type gave none, in `svt list --format csv` and in the site's components table alike)."""
from __future__ import annotations

import csv
import io
import re

from svt_records import Database, model
from svt_records.site.build import build
from svt_records.site.home import component_row
from svt_records.store.layout import event_id


def _cells(html: str, cid: str) -> list[str]:
    """The text of each cell of ``cid``'s row of the components table."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html[html.index("<tbody>"):], re.S)
    (row,) = [r for r in rows if f'>{cid}</a>' in r]
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]


def test_a_test_without_a_verdict_and_its_measurements_read_alike_in_cli_and_site(
        store_path, svt, tmp_path):
    db = Database(store_path)
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    db.save_component("MOD-2", {"type": "module", "status": "testing"})
    # noise_mean's max is one of svt's placeholders: it advises, and decides no verdict
    tid = event_id(db.record_test("MOD-1", "noise_test", measurements={
        "noise_mean": 1500.0, "bad_channels": [47, 128],
        "leakage": {"value": 6.436e-06, "unit": "A"}}))
    db.record_test("MOD-2", "noise_test", passed=True, measurements={"noise_mean": 1400.0})

    listed = list(csv.DictReader(io.StringIO(svt("list", "--format", "csv").stdout)))
    cli_verdict = {r["id"]: r["verdicts.noise_test"] for r in listed}
    assert cli_verdict == {"MOD-1": "no verdict", "MOD-2": "pass"}
    shown = svt("show-test", tid).stdout.splitlines()
    assert "  bad_channels: [47, 128]" in shown and "  leakage: 6.44 \u00b5A" in shown
    assert any("bad_channels=[47, 128]" in line for line in svt("show", "MOD-1").stdout
               .splitlines())

    out = tmp_path / "site"
    build(Database(store_path), out)
    table = (out / "components.html").read_text("utf-8")
    head = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
    at = re.findall(r'data-key="([^"]+)"', head).index("verdict-noise_test")
    site_verdict = {cid: _cells(table, cid)[at] for cid in ("MOD-1", "MOD-2")}
    assert site_verdict == cli_verdict  # the one wording, not "none" on the site
    assert '<i class="v-none">no verdict</i>' in table  # styled as before
    page = (out / "components/MOD-1.html").read_text("utf-8")
    values = re.findall(r'<td class="num">([^<]*)</td>', page)
    assert "[47, 128]" in values and "6.44 \u00b5A" in values  # as `svt show-test` shows them
    assert "47,128" not in page


def test_the_site_row_and_the_cli_cells_are_one_rule():
    verdicts = {"iv_curve": None, "noise_test": "fail"}
    types = ["iv_curve", "noise_test", "visual"]
    row = component_row({"id": "M-1", "type": "module", "verdicts": verdicts,
                         "invalid": False}, types)
    # (the CLI's CSV cells are compared with the site's end to end, above)
    assert row[4] == model.verdict_cells(verdicts, types) == ["no verdict", "fail", ""]
    assert model.verdict_cells(None, ["iv_curve"]) == [""]
    assert model.NO_VERDICT == "no verdict" and model.NO_VERDICT in model.HEALTH


def test_an_attribute_and_a_stored_files_size_read_alike_in_cli_and_site(
        store_path, svt, tmp_path):
    """As YAML and `svt show` have them: a boolean is true (not Python's True), a number
    keeps every digit typed, a file's size is in the CLI's units."""
    db = Database(store_path)
    db.save_component("SEN-1", {"type": "sensor", "status": "testing"},
                      attributes={"bonded": True, "thickness_mm": 0.32051})
    sheet = tmp_path / "bonding.csv"
    sheet.write_text("channel,force_g\n" + "".join(f"{n},{n % 7 + 3}\n" for n in range(600)))
    db.attach("SEN-1", [str(sheet)])
    shown = svt("show", "SEN-1").stdout
    assert "bonded: true" in shown and "thickness_mm: 0.32051" in shown
    size = model.registry.format_size(sheet.stat().st_size)
    assert size in shown

    out = tmp_path / "site"
    build(Database(store_path), out)
    page = (out / "components/SEN-1.html").read_text("utf-8")
    cells = dict(re.findall(r"<tr><th>([^<]+) <small>\(attribute\)</small></th><td>([^<]*)</td>",
                            page))
    assert cells == {"bonded": "true", "thickness_mm": "0.32051"}
    assert f", {size})" in page  # (kind, size) beside the file's link
