"""The dashboard in chromium (the fixture of test_site_browser.py), at 1280 and 390 px:
no console error, no page wider than a phone's 390 px, the components list's filters and
sort kept in the address across a reload, the home page's cards open the rows they count,
a test's anchor reached from its component's page, the "Record a test" link carrying the
component's id, a label's QR code at least 120 px wide. Text in the address is data: it
never becomes markup."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from test_dashboard import dash  # noqa: F401  (the module's store and site, a fixture)
from test_site_browser import browser  # noqa: F401  (headless chromium, a fixture)

PAGES = ["index.html", "components.html", "components/MOD-1.html", "components/SEN-2.html",
         "validation.html", "map.html", "tests/index.html", "tests/iv_curve.html",
         "tests/noise_test.html"]
PHONE = 390


def errors(driver) -> list:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def open_page(driver, out, rel: str, fragment: str = "") -> None:
    driver.get((out / rel).as_uri() + fragment)
    found = errors(driver)
    assert not found, (rel, found)


def visible(driver) -> list[str]:
    return sorted(a.text for a in driver.find_elements(
        "css selector", "#components tbody td:first-child a"))


@pytest.fixture
def width(browser):  # noqa: F811
    """Set the window's width (the fixture's is put back after the test)."""
    def set_width(px: int) -> None:
        browser.set_window_size(px, 900)
    yield set_width
    browser.set_window_size(1280, 1000)


@pytest.mark.parametrize("px", [1280, PHONE])
def test_pages_have_no_console_error_and_fit_a_phone(browser, dash, width, px):  # noqa: F811
    _, out, _ = dash
    width(px)
    for rel in PAGES:
        open_page(browser, out, rel)
        assert browser.find_element("css selector", "h1").text
        scroll = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= px, (rel, scroll)


@pytest.mark.parametrize("px", [1280, PHONE])
def test_the_label_preview_shows_a_qr_code_of_120_px(browser, dash, width, px):  # noqa: F811
    _, out, _ = dash
    svg = (out / "labels/MOD-1.svg").read_text()
    label_mm = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    scale = float(re.search(r'<path class="qr"[^>]*scale\(([\d.]+)\)', svg).group(1))
    path = re.search(r'<path class="qr" d="([^"]+)"', svg).group(1)
    modules = max(int(x) + int(w) for x, w in re.findall(r"M(\d+) \d+h(\d+)", path))
    width(px)
    open_page(browser, out, "components/MOD-1.html")
    shown = browser.execute_script(
        "return document.querySelector('.label img').getBoundingClientRect().width")
    assert shown * modules * scale / label_mm >= 120, (shown, modules * scale)


def test_filters_and_sort_live_in_the_address_and_survive_a_reload(browser, dash):  # noqa: F811
    _, out, _ = dash
    from selenium.webdriver.support.select import Select
    open_page(browser, out, "components.html")
    assert visible(browser) == ["MOD-1", "MOD-2", "SEN-1", "SEN-2"]
    Select(browser.find_element("id", "f-type")).select_by_visible_text("module")
    Select(browser.find_element("id", "f-status")).select_by_visible_text("spare")
    browser.find_element("css selector", "#components th[data-key='id']").click()
    browser.find_element("css selector", "#components th[data-key='id']").click()
    state = parse_qs(urlsplit(browser.current_url).fragment)
    assert state == {"type": ["module"], "status": ["spare"], "sort": ["-id"]}
    assert visible(browser) == ["MOD-2"]
    browser.refresh()
    assert visible(browser) == ["MOD-2"]
    assert Select(browser.find_element("id", "f-type")).first_selected_option.text == "module"
    # a link reproduces a view: the search covers serial, manufacturer and attributes
    for query, rows in (("sn-77q", ["MOD-1"]), ("hamamatsu", ["MOD-1"]), ("b-42", ["MOD-1"]),
                        ("mod-1", ["MOD-1", "SEN-1"])):  # SEN-1: its host module
        open_page(browser, out, "components.html", f"#q={query}")
        assert visible(browser) == rows, query
        assert browser.find_element("id", "q").get_attribute("value") == query
    open_page(browser, out, "components.html", "#sort=-id")
    ids = [a.text for a in browser.find_elements("css selector",
                                                 "#components tbody td:first-child a")]
    assert ids == sorted(ids, reverse=True)


def test_text_in_the_address_stays_data(browser, dash):  # noqa: F811
    _, out, _ = dash
    hostile = "<img src=x onerror=document.title='owned'>"
    from urllib.parse import quote
    open_page(browser, out, "components.html",
              f"#q={quote(hostile)}&status={quote(hostile)}")
    assert browser.find_element("id", "q").get_attribute("value") == hostile
    assert browser.title != "owned"
    assert not browser.find_elements("css selector", "main img")
    assert visible(browser) == []


def test_home_cards_open_the_rows_they_count(browser, dash):  # noqa: F811
    _, out, _ = dash
    for selector, rows in (("#cards a.card-fail", ["MOD-1"]),
                           ("#by-status a.status-spare", ["MOD-2"]),
                           ("#by-status a.status-testing", ["MOD-1", "SEN-2"]),
                           ("#by-type a.what[href$='type=sensor']", ["SEN-1", "SEN-2"]),
                           ("#cards a.card-tests", ["MOD-1", "MOD-2", "SEN-2"])):
        open_page(browser, out, "index.html")
        card = browser.find_element("css selector", selector)
        count = card.find_element("css selector", ".count").text if "card" in \
            (card.get_attribute("class") or "") else None
        card.click()
        assert urlsplit(browser.current_url).path.endswith("/components.html")
        assert visible(browser) == rows, selector
        if count is not None and selector != "#cards a.card-tests":  # (that one counts tests)
            assert int(count) == len(rows), selector


def test_a_tests_anchor_is_reached_from_its_component_page(browser, dash):  # noqa: F811
    _, out, ids = dash
    open_page(browser, out, "components/MOD-1.html")
    browser.find_element("css selector", f"a[href='#test-{ids['noise']}']").click()
    assert browser.current_url.endswith(f"#test-{ids['noise']}")
    target = browser.execute_script("return document.querySelector(':target').id")
    assert target == f"test-{ids['noise']}"
    article = browser.find_element("id", target)
    assert "noise_mean 2100 e > max 2000 e" in article.text
    assert "Verdict from the limits." in article.text
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", article)
    assert -1 < top < 200  # at the top of the window (to a fraction of a pixel)


def test_record_a_test_link_carries_the_component(browser, dash):  # noqa: F811
    _, out, _ = dash
    open_page(browser, out, "components/SEN-2.html")
    link = browser.find_element("link text", "Record a test").get_attribute("href")
    url = urlsplit(link)
    assert (url.scheme, url.netloc, url.path) == ("https", "github.com",
                                                  "/hps/svt-records/issues/new")
    assert parse_qs(url.query) == {"template": ["svt-test.yml"], "component": ["SEN-2"]}
    photo = browser.find_element("link text", "Add a photo").get_attribute("href")
    assert parse_qs(urlsplit(photo).query) == {"template": ["svt-log.yml"],
                                               "component": ["SEN-2"]}
