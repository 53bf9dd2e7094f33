"""Why a test failed, read in chromium on its component's page (issue 26 section 4, "Done
when": the failed-limit text on a component page): each failed limit's text with the limit's
value, which limits are placeholders, and where the verdict came from (the limits, or by
hand). The store has set the collaboration's leakage limit (max 2 uA at 20 C, no longer a
placeholder); the other figures of iv_curve are still svt's placeholders. The sensors' IV
files are written from the physics of a silicon sensor measured cold, as a probe station
writes them, and recorded through the CLI, whose analysis derives the leakage at 20 C.
(test_site_browser's fixture: skipped without a browser, except in CI.)"""
from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.site.build import build

from conftest import git
from test_site_browser import browser  # noqa: F401  (a fixture)

BOLTZMANN = 8.617333262e-5  # eV/K
GAP = 1.21  # eV: the bulk generation current's effective band gap
COLD = -9.0  # C: the cold box


def sweep_file(path: Path, leakage_20C: float, depletion: float, seed: int) -> Path:
    """A cold sweep to -300 V in 10 V steps, current in nA: the bulk current of the depleted
    depth (sqrt(V + V_bi) up to full depletion), then a plateau rising 5 % per 100 V, scaled
    from 20 C by T^2 exp(-E_g/2kT), read with 3 % noise. No avalanche: no breakdown."""
    t, t20 = COLD + 273.15, 293.15
    cold = (t / t20) ** 2 * math.exp(-GAP / (2 * BOLTZMANN) * (1 / t - 1 / t20))
    noise = random.Random(seed)
    rows = ["# HPS SVT sensor IV scan, probe station, cold box",
            "Voltage [V],Current [nA],Temperature [C]"]
    for volts in range(0, 301, 10):
        depth = math.sqrt(min(volts + 0.6, depletion + 0.6) / (depletion + 0.6))
        amps = leakage_20C * cold * (depth + 0.05 * max(volts - depletion, 0.0) / 100.0)
        amps *= 1 + noise.gauss(0.0, 0.03)
        rows.append(f"{-volts},{-amps * 1e9:.4f},{COLD + noise.uniform(-0.05, 0.05):.2f}")
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def limits_site(db, svt, tmp_path):
    """SEN-1 leaks 8 uA at 20 C and is judged by the limits (fail); SEN-2 leaks as much but
    was passed by hand; SEN-3 leaks 0.5 uA (pass, from the limits). Returns (site, ids)."""
    config = db.root / "svt.yaml"
    text = config.read_text()
    leakage = "      leakage_20C:\n        unit: A\n        max: 4e-06\n"
    assert leakage in text and "      - measurements.leakage_20C.max\n" in text
    config.write_text(text.replace(leakage, leakage.replace("4e-06", "2e-06"))
                      .replace("      - measurements.leakage_20C.max\n", ""))
    git(db.root, "commit", "-qam", "the collaboration's leakage limit")
    ids = {}
    for cid, leak, extra in (("SEN-1", 8e-6, ()), ("SEN-2", 8e-6, ("--pass",)),
                             ("SEN-3", 5e-7, ())):
        svt("add", "--id", cid, "--type", "sensor")
        data = sweep_file(tmp_path / f"{cid}.csv", leak, depletion=60.0, seed=len(ids))
        svt("test", cid, "--type", "iv_curve", "--data", str(data), "--temp", str(COLD),
            *extra)
        ids[cid] = Database(db.root).tests(cid)[-1]
    out = tmp_path / "out"
    build(Database(db.root), out)
    return out, ids


def article(browser, out: Path, cid: str, test_id: str):  # noqa: F811
    """The test's part of its component's page, reached by its address (#test-ID)."""
    browser.get((out / "components" / f"{cid}.html").as_uri() + f"#test-{test_id}")
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    assert browser.execute_script("return document.querySelector(':target').id") == \
        f"test-{test_id}"
    return browser.find_element("id", f"test-{test_id}")


def limits_cell(part, name: str) -> str:
    row = part.find_element("xpath", f".//table[contains(@class, 'measurements')]"
                                     f"//tr[th[normalize-space()='{name}']]")
    return row.find_elements("tag name", "td")[-1].text


def test_a_component_page_says_which_limit_failed_and_why(browser, limits_site):  # noqa: F811
    out, ids = limits_site
    failing = ids["SEN-1"]
    assert failing["result"] == "fail" and failing["limits"]["decided"] is True
    (stored,) = failing["limits"]["failed"]  # as svt recorded it: "leakage_20C 7.9e-06 A ..."
    assert stored.startswith("leakage_20C ") and stored.endswith(" A > max 2e-06 A")
    part = article(browser, out, "SEN-1", failing["id"])
    text = part.text
    assert "iv_curve fail" in text
    assert f"failed: {stored}" in text  # the failed limit's text, with the limit's value
    assert "Verdict from the limits." in text
    # the limit the collaboration set is no placeholder; the others still are, and say so
    assert limits_cell(part, "leakage_20C") == "max 2.00 \u00b5A"
    assert limits_cell(part, "leakage_at_operating_voltage") == "max 4.00 \u00b5A (placeholder)"
    assert "6 figure(s) of iv_curve are placeholders: their limits decide no verdict" in text
    shown = float(part.find_element(
        "xpath", ".//tr[th[normalize-space()='leakage_20C']]/td[1]").text.split()[0])
    assert 2.0 < shown < 20.0  # its leakage, in uA, past the limit


def test_a_verdict_given_by_hand_is_marked_so_beside_the_limit_it_contradicts(
        browser, limits_site):  # noqa: F811
    out, ids = limits_site
    by_hand = ids["SEN-2"]
    assert by_hand["result"] == "pass" and "decided" not in by_hand["limits"]
    part = article(browser, out, "SEN-2", by_hand["id"])
    assert "iv_curve pass" in part.text and "Verdict by hand." in part.text
    assert f"failed: {by_hand['limits']['failed'][0]}" in part.text
    good = ids["SEN-3"]
    assert good["result"] == "pass" and good["limits"] == {"verdict": "pass", "decided": True}
    part = article(browser, out, "SEN-3", good["id"])
    assert "iv_curve pass" in part.text and "Verdict from the limits." in part.text
    assert "failed:" not in part.text
    assert limits_cell(part, "leakage_20C") == "max 2.00 \u00b5A"
