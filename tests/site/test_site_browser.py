"""The site in a real browser: Debian's chromium, headless, driven by selenium through
chromium-driver (.ci/run installs both when it runs as root). Pages load with no console
errors, the components table filters and sorts, the map links to the module.

Without a browser these tests skip with the reason, except in CI (``CI`` set), where a
missing browser is a failure: the browser tests must run there."""
from __future__ import annotations

import os
import shutil

import pytest

from test_site import site  # noqa: F401  (the module's built site, a fixture)

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             "/usr/bin/chromium") if p and os.path.exists(p)), None)
DRIVER = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver")
               if p and os.path.exists(p)), None)


@pytest.fixture(scope="module")
def browser():
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", DRIVER))
               if path is None]
    if missing:
        why = (f"{' and '.join(missing)} not installed (apt-get install chromium"
               " chromium-driver)")
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", "--allow-file-access-from-files"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def load(browser, out, rel: str) -> None:
    browser.get((out / rel).as_uri())
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def visible_ids(browser) -> list[str]:
    return [a.text for a in browser.find_elements("css selector", "#components tbody td:first-child a")]


def test_pages_load_without_console_errors(browser, site):  # noqa: F811
    _, out, _ = site
    for rel in ("index.html", "components.html", "components/MOD-1.html", "map.html",
                "tests/iv_curve.html", "validation.html"):
        load(browser, out, rel)
        assert browser.find_element("css selector", "h1").text


def test_components_table_filters_and_sorts(browser, site):  # noqa: F811
    _, out, _ = site
    load(browser, out, "components.html")
    assert sorted(visible_ids(browser)) == ["FEB-1", "HYB-1", "MOD+2", "MOD-1", "SEN-1"]
    search = browser.find_element("id", "q")
    search.send_keys("mod")  # HYB-1 too: its host module, MOD-1, is shown and searched
    assert sorted(visible_ids(browser)) == ["HYB-1", "MOD+2", "MOD-1"]
    assert browser.find_element("id", "count").text.startswith("3 of 5")
    search.send_keys(" hall")  # every word must match: MOD+2 is in Hall B
    assert visible_ids(browser) == ["MOD+2"]
    search.clear()
    browser.execute_script("arguments[0].dispatchEvent(new Event('input'))", search)
    from selenium.webdriver.support.select import Select
    Select(browser.find_element("id", "f-type")).select_by_visible_text("module")
    assert sorted(visible_ids(browser)) == ["MOD+2", "MOD-1"]
    Select(browser.find_element("id", "f-type")).select_by_visible_text("all")
    position = browser.find_element("id", "f-position")
    position.send_keys("layer4")
    assert visible_ids(browser) == ["MOD-1"]
    position.clear()
    browser.execute_script("arguments[0].dispatchEvent(new Event('input'))", position)
    header = browser.find_element("css selector", "#components th[data-sort='0']")
    header.click()
    ids = visible_ids(browser)
    assert ids == sorted(ids)
    header.click()
    assert visible_ids(browser) == sorted(ids, reverse=True)


def test_component_page_shows_tests_images_and_history(browser, site):  # noqa: F811
    _, out, _ = site
    load(browser, out, "components/MOD-1.html")
    images = browser.find_elements("css selector", "main img")
    assert len(images) >= 3  # the IV plot, a test's image, a log's photo
    for image in images:
        assert browser.execute_script("return arguments[0].complete &&"
                                      " arguments[0].naturalWidth > 0", image), \
            image.get_attribute("src")
    tests = browser.find_elements("css selector", "#tests article.test")
    assert len(tests) == 2 and "fail" in tests[0].text and "pass" in tests[1].text
    history = browser.find_elements("css selector", "#history td a")
    assert history and history[0].get_attribute("href").startswith(
        "https://github.com/hps/svt-records/commit/")
    # the escaped note stays text: no alert, no script element
    assert "<script>" in tests[0].text
    assert not browser.find_elements("css selector", "main script")


def test_map_links_to_the_module(browser, site):  # noqa: F811
    _, out, _ = site
    load(browser, out, "map.html")
    box = browser.find_element("css selector",
                               "#now a.pos[data-position='Layer4_bottom_stereo_hole']")
    box.click()
    assert browser.current_url.endswith("/components/MOD-1.html")
    assert browser.find_element("css selector", "h1").text.startswith("MOD-1")


def test_a_keystroke_that_keeps_the_same_rows_leaves_the_table_alone(browser, site):  # noqa: F811
    """Typing that does not change which rows match writes nothing to the table (no
    layout of its rows again): at 10,000 rows each keystroke stays within 100 ms."""
    _, out, _ = site
    load(browser, out, "components.html")
    typed = browser.execute_script("""
        const q = document.getElementById('q');
        const table = document.getElementById('components');
        const seen = new MutationObserver(function () {});
        seen.observe(table, {childList: true, subtree: true});
        const writes = [];
        for (const text of ['m', 'mo', 'mod', 'mod-', 'mod']) {
          q.value = text;
          q.dispatchEvent(new Event('input'));
          writes.push([text, seen.takeRecords().length,
                       document.getElementById('count').textContent]);
        }
        return writes;""")
    assert [(t, n > 0) for t, n, _ in typed] == [
        ("m", True), ("mo", False), ("mod", False), ("mod-", True), ("mod", True)], typed
    # (HYB-1 matches too: its host module, MOD-1, is shown and searched)
    assert typed[1][2].startswith("3 of 5") and typed[3][2].startswith("2 of 5")
