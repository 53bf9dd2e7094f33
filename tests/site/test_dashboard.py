"""The site as the team's dashboard (issue 27 section 1, issue 26 section 4): the home
page's cards link to the filtered components list, the components that need attention, the
latest photos and activity with human dates, the title from svt.yaml's name; the components
table's columns (serial, manufacturer, host module, each test type's latest verdict,
health); each test's anchor with its measurements in SI units, its limits, why it failed,
its placeholders and the verdict's source; the links to each record's source on the forge
and, on GitHub, to the issue forms. (tests/site/test_dashboard_browser.py drives it in
chromium.)"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from svt_records import Database
from svt_records.site.build import build
from svt_records.store.layout import event_id

from conftest import PNG, git, isolate

NAME = "HPS SVT bench"
HOSTILE = '"><script>alert(1)</script>'
HUMAN = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")


def make_store(base: Path, remote: str | None, forms: tuple[str, ...] = ()) -> tuple[Path, dict]:
    """A store whose noise limit is the collaboration's (it decides) and whose IV limits are
    svt's placeholders (they only advise); the test ids by name."""
    store = base / "store"
    db = Database(store)
    db.initialize_schema()
    config_path = store / "svt.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["name"] = NAME
    noise = config["test_types"]["noise_test"]
    noise["placeholders"] = [p for p in noise["placeholders"]
                             if p != "measurements.noise_mean.max"]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    git(store, "commit", "-q", "-am", "the noise limit is set")
    db = Database(store)
    photo = base / "photo.png"
    photo.write_bytes(PNG)
    db.save_component("MOD-1", {"type": "module", "status": "testing",
                                "serial_number": "SN-77Q", "manufacturer": "Hamamatsu"},
                      attributes={"batch": "B-42", "remark": HOSTILE})
    db.save_component("MOD-2", {"type": "module", "status": "spare"})
    db.save_component("SEN-1", {"type": "sensor", "status": "qualified"})
    db.save_component("SEN-2", {"type": "sensor", "status": "testing"})
    db.assemble("MOD-1", sensor_id="SEN-1")
    ids = {}
    # limits decide: 2100 e > max 2000 e, a FAIL from the limits
    ids["noise"] = event_id(db.record_test("MOD-1", "noise_test",
                                           measurements={"noise_mean": 2100.0}))
    ids["iv"] = event_id(db.record_test("MOD-1", "iv_curve", passed=True,
                                        measurements={"leakage_20C": 6.436e-06}))
    ids["mod2"] = event_id(db.record_test("MOD-2", "noise_test", passed=True,
                                          measurements={"noise_mean": 1500.0}))
    # only placeholder limits: no verdict, their advice said
    ids["sen2"] = event_id(db.record_test("SEN-2", "iv_curve",
                                          measurements={"leakage_20C": 5.0e-06}))
    db.add_log("MOD-1", "bond wires inspected", images=[str(photo)])
    if remote:
        git(store, "remote", "add", "origin", remote)
    for name in forms:
        folder = store / ".github/ISSUE_TEMPLATE"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("name: form\nbody:\n  - type: input\n    id: component\n")
    return store, ids


@pytest.fixture(scope="module")
def dash(tmp_path_factory):
    """(store, site, test ids): on GitHub, with the test and log forms (not the status one)."""
    base = tmp_path_factory.mktemp("dash")
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, base / "home")
        store, ids = make_store(base, "https://github.com/hps/svt-records.git",
                                ("svt-test.yml", "svt-log.yml"))
        build(Database(store), base / "out")
    return store, base / "out", ids


def page(out: Path, rel: str) -> str:
    return (out / rel).read_text("utf-8")


def hrefs(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*)"', html)]


def test_the_title_is_the_stores_name_not_its_folder(dash):
    _, out, _ = dash
    for rel in ("index.html", "components.html", "components/MOD-1.html", "validation.html",
                "map.html", "tests/index.html", "tests/noise_test.html"):
        title = re.search(r"<title>(.*?)</title>", page(out, rel)).group(1)
        assert NAME in title and "store" not in title, (rel, title)
    assert f"<h1>{NAME}</h1>" in page(out, "index.html")


def test_home_cards_link_to_the_filtered_components_list(dash):
    _, out, _ = dash
    html = page(out, "index.html")
    links = hrefs(html)
    for wanted in ("components.html#status=testing", "components.html#status=spare",
                   "components.html#type=module", "components.html#type=sensor",
                   "components.html#health=fail", "components.html#type=module&status=spare"):
        assert wanted in links, wanted
    # every test was recorded now: 4 tests this month, in 3 components
    assert re.search(r'href="components\.html#tested=\d{4}-\d{2}"><span class="count">4</span>'
                     r'<span class="what">tests this month \(3', html)
    assert re.search(r'href="components.html#health=fail"><span class="count">1</span>', html)


def test_home_shows_what_needs_attention_photos_and_human_dates(dash):
    _, out, _ = dash
    html = page(out, "index.html")
    attention = html[html.index('id="attention"'):html.index('id="photos"')]
    assert 'href="components/MOD-1.html"' in attention
    assert "MOD-2" not in attention and "SEN-2" not in attention  # passed; no verdict
    assert 'title="iv_curve \u2713 \u00b7 noise_test \u2717"' in attention
    assert '<i class="v-fail">noise_test</i>' in attention
    photos = html[html.index('id="photos"'):html.index('id="tests-summary"')]
    src = re.search(r'<img src="([^"]+)"', photos).group(1)
    assert src.startswith("components/files/MOD-1/") and (out / src).is_file()
    activity = html[html.index('id="activity"'):]
    assert HUMAN.search(activity) and not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", activity)


def test_components_table_has_serial_maker_host_verdicts_and_health(dash):
    _, out, _ = dash
    html = page(out, "components.html")
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    keys = re.findall(r'data-key="([^"]+)"', head)
    assert keys[:6] == ["id", "type", "status", "health", "verdict-iv_curve",
                        "verdict-noise_test"]
    assert {"serial", "manufacturer", "host", "tested"} <= set(keys)
    rows = {re.search(r'\.html">([^<]+)</a>', r).group(1): r
            for r in re.findall(r"<tr[^>]*>.*?</tr>", html[html.index("<tbody>"):], re.S)}
    cells = lambda cid: [re.sub(r"<[^>]+>", "", c) for c in  # noqa: E731
                         re.findall(r"<td>(.*?)</td>", rows[cid], re.S)]
    mod1 = cells("MOD-1")
    assert mod1[2:6] == ["testing", "fail", "pass", "fail"]
    assert "SN-77Q" in mod1 and "Hamamatsu" in mod1
    assert cells("SEN-1")[cells("SEN-1").index("MOD-1")]  # its host module
    assert cells("SEN-2")[3:5] == ["no verdict", "no verdict"]
    assert cells("MOD-2")[3:6] == ["pass", "", "pass"]
    # the attributes are searched (not shown): escaped in the row's data
    assert 'data-search="batch B-42 remark &#34;&gt;&lt;script&gt;' in rows["MOD-1"]
    assert html.count("<script") == 1  # table.js only


def test_a_test_shows_units_limits_why_it_failed_and_the_verdicts_source(dash):
    _, out, ids = dash
    html = page(out, "components/MOD-1.html")
    noise = re.search(rf'<article class="test" id="test-{ids["noise"]}">(.*?)</article>',
                      html, re.S).group(1)
    assert "Verdict from the limits." in noise
    assert "failed: noise_mean 2100 e &gt; max 2000 e" in noise
    assert "max 2.00 ke" in noise and "2.10 ke" in noise and "(placeholder)" not in noise
    iv = re.search(rf'<article class="test" id="test-{ids["iv"]}">(.*?)</article>',
                   html, re.S).group(1)
    assert "Verdict by hand." in iv and "6.44 \u00b5A" in iv
    assert "max 4.00 \u00b5A <span class=\"placeholder\">(placeholder)</span>" in iv
    assert "are placeholders" in iv
    # the anchor `svt show-test` names is on the page, linked from the test's header
    assert f'href="#test-{ids["noise"]}"' in html
    sen2 = page(out, "components/SEN-2.html")
    assert "No verdict" in sen2 and "placeholder limits would say FAIL" in sen2


def test_assembly_is_shown_once(dash):
    _, out, _ = dash
    html = page(out, "components/MOD-1.html")
    assert html.count('href="../components/SEN-1.html"') == 1
    assert 'id="assembly"' not in html and "<td>assembly</td>" not in html


def test_record_pages_link_their_source_and_the_forms_on_github(dash):
    _, out, ids = dash
    html = page(out, "components/MOD-1.html")
    links = hrefs(html)
    web = "https://github.com/hps/svt-records"
    assert f"{web}/blob/main/records/module/MOD-1/component.yaml" in links
    assert f"{web}/commits/main/records/module/MOD-1" in links
    assert f"{web}/edit/main/records/module/MOD-1/component.yaml" in links
    assert any(h.startswith(f"{web}/blob/main/records/module/MOD-1/") and
               h.endswith(f"_noise_test_{ids['noise']}.yaml") for h in links)
    record = re.search(r'<a class="button primary" href="([^"]+)">Record a test</a>', html)
    url = urlsplit(record.group(1).replace("&amp;", "&"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{web}/issues/new"
    assert parse_qs(url.query) == {"template": ["svt-test.yml"], "component": ["MOD-1"]}
    assert "Add a log" in html and "Add a photo" in html
    assert "svt-status.yml" not in html  # the store has no such form
    assert "ide/project" not in html
    # the validation report links each file it names (here: the placeholder warning's)
    report = page(out, "validation.html")
    assert re.search(rf'<a href="{web}/blob/main/[^"]+"><code>', report)


def test_no_forge_links_for_a_remote_elsewhere_and_ide_and_commands_on_gitlab(tmp_path):
    """A remote on no forge: no links to it. GitLab: the Web IDE and the command to paste,
    no issue forms (they are GitHub's), the component's id URL-quoted."""
    store, _ = make_store(tmp_path, "/srv/git/svt-records.git", ("svt-test.yml",))
    build(Database(store), tmp_path / "out")
    html = page(tmp_path / "out", "components/MOD-1.html")
    assert "View YAML" not in html and "issues/new" not in html and "Record a test" not in html
    git(store, "remote", "set-url", "origin", "git@gitlab.example.org:hps/svt-records.git")
    db = Database(store)
    db.save_component("MOD+3", {"type": "module", "status": "spare"})
    build(Database(store), tmp_path / "out", full=True)
    html = page(tmp_path / "out", "components/MOD+3.html")
    web = "https://gitlab.example.org/hps/svt-records"
    links = hrefs(html)
    assert f"{web}/-/blob/main/records/module/MOD%2B3/component.yaml" in links
    assert f"{web}/-/ide/project/hps/svt-records/edit/main/-/records/module/MOD%2B3/" \
        "component.yaml" in links
    assert "svt test MOD+3 --type iv_curve --data FILE" in html
    assert "issues/new" not in html and "Record a test" not in html
