"""The detector map fills each module by its overall health: the latest verdict of each test
type, failing when any type's latest failed (model.verdicts), not by the latest test of any
type nor by its status. A selector shows one test type at a time; the tooltip lists each
type's verdict and the status. Checked in the page and in chromium (test_site_browser's
fixture: skipped without a browser, except in CI)."""
from __future__ import annotations

from pathlib import Path

import pytest

from svt_records import Database, model
from svt_records.site import detector
from svt_records.site.build import build

from test_site_browser import browser, load  # noqa: F401  (browser: a fixture)

BOX = "#now a.pos[data-position='{}']"


def make_modules(db: Database, png: Path) -> None:
    """MOD-1: its iv_curve failed, its later noise_test passed. MOD-2: its iv_curve passed,
    no noise_test. Both installed."""
    db.save_component("MOD-1", {"type": "module", "status": "installed"})
    db.save_component("MOD-2", {"type": "module", "status": "installed"})
    db.record_test("MOD-1", "iv_curve", passed=False, measurements={"current": 9e-6},
                   date="2025-01-10T10:00")
    db.record_test("MOD-1", "noise_test", passed=True, measurements={"noise_mean": 1500.0},
                   date="2025-02-10T10:00")
    db.record_test("MOD-2", "iv_curve", passed=True, measurements={"current": 1e-6},
                   date="2025-01-12T10:00")
    db.install("MOD-1", "Layer4_bottom_stereo_hole", run_period="2025_run",
               date="2025-03-01T10:00")
    db.install("MOD-2", "Layer1_top_axial", run_period="2025_run", date="2025-03-01T11:00")


@pytest.fixture
def map_site(prebuilt, tmp_path):
    db = prebuilt(make_modules)
    out = tmp_path / "out"
    build(Database(db.root), out)
    return out


def views(html: str, position: str) -> dict[str, str]:
    """The map's fills of a position's box: view number -> its verdict (data-verdict)."""
    import re
    now = html.split('id="now"')[1].split("</svg>")[0]
    box = now.split(f'data-position="{position}"')[1].split("</a>")[0]
    return dict(re.findall(r'<rect [^>]*data-view="(\d+)" data-verdict="([^"]+)"', box))


def test_the_page_holds_each_module_health_and_each_type_verdict(map_site):
    html = (map_site / "map.html").read_text()
    # view 0: overall health; 1: iv_curve; 2: noise_test (the types, sorted)
    assert views(html, "Layer4_bottom_stereo_hole") == {"0": "fail", "1": "fail", "2": "pass"}
    assert views(html, "Layer1_top_axial") == {"0": "pass", "1": "pass", "2": "untested"}
    assert html.count(f'fill="{detector.HEALTH_COLOURS["fail"]}"') >= 1
    assert "failing when any type's latest verdict failed" in html
    assert (map_site / "static/map.js").is_file() and 'src="static/map.js"' in html


def shown(browser, position: str) -> tuple[str, str]:  # noqa: F811
    """(data-verdict, fill) of the box's one rect the browser displays."""
    rects = browser.find_elements("css selector", BOX.format(position) + " rect.v")
    seen = [(r.get_attribute("data-verdict"), r.get_attribute("fill")) for r in rects
            if browser.execute_script("return getComputedStyle(arguments[0]).display",
                                      r) != "none"]
    assert len(seen) == 1, seen
    return seen[0]


def test_the_map_shows_a_failed_type_and_a_selector_shows_one_type(browser, map_site):  # noqa: F811
    load(browser, map_site, "map.html")
    colours = detector.HEALTH_COLOURS
    # MOD-1's latest test of any type (noise_test) passed, but its iv_curve failed
    assert shown(browser, "Layer4_bottom_stereo_hole") == ("fail", colours["fail"])
    assert shown(browser, "Layer1_top_axial") == ("pass", colours["pass"])
    title = browser.find_element("css selector", BOX.format("Layer4_bottom_stereo_hole")
                                 + " title").get_attribute("textContent")
    assert "MOD-1" in title and "status: installed" in title
    assert "iv_curve \u2717" in title and "noise_test \u2713" in title
    selector = browser.find_element("id", "map-view")
    assert selector.is_displayed()
    selector.find_element("css selector", "input[data-caption*='noise_test']").click()
    assert shown(browser, "Layer4_bottom_stereo_hole") == ("pass", colours["pass"])
    assert shown(browser, "Layer1_top_axial") == ("untested", colours["untested"])
    assert "noise_test" in browser.find_element("id", "map-shown").text
    selector.find_element("css selector", "input[data-caption*='iv_curve']").click()
    assert shown(browser, "Layer4_bottom_stereo_hole") == ("fail", colours["fail"])
    selector.find_element("css selector", "input[value='0']").click()
    assert shown(browser, "Layer4_bottom_stereo_hole") == ("fail", colours["fail"])


def test_every_health_has_its_colour_and_no_colour_is_spare():
    """The map fills a module by a word of model.HEALTH: a word added there needs a colour."""
    assert set(detector.HEALTH_COLOURS) == set(model.HEALTH)
