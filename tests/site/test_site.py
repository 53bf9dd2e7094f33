"""`svt site`: the static site of a store. Every page is there, parses, and links only to
files that exist (relative links); text from the records is escaped; invalid records are
marked; a second build redraws only what changed; --serve serves it; without the site
extra, one line says what to install. (tests/site/test_site_browser.py loads it in chromium.)"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from svt_records import Database
from svt_records.site.build import build
from svt_records.site.forge_links import site_project
from svt_records.site.manifest import FORMAT, MANIFEST

from conftest import GIT_ENV, IV_CSV, PNG, git, isolate
from test_labels import SITE, decode, svg_png, tools  # noqa: F401  (tools: a fixture)

SCRIPT = "<script>alert('x')</script>"


def make_sample(db: Database, png: Path) -> None:
    """A small store with something of everything the site shows."""
    folder = png.parent
    (folder / "iv.csv").write_text(IV_CSV)
    (folder / "iv2.csv").write_text(IV_CSV.replace("2.2e-06", "3.0e-06"))
    db.save_component("MOD-1", {"type": "module", "status": "qualified",
                                "location": "Clean Room"}, attributes={"batch": 7})
    db.save_component("SEN-1", {"type": "sensor", "status": "qualified"})
    db.save_component("HYB-1", {"type": "hybrid", "status": "qualified"})
    db.save_component("FEB-1", {"type": "feb", "status": "spare"})
    db.save_component("MOD+2", {"type": "module", "status": "testing",
                                "location": "Hall B"}, attributes={"note": SCRIPT})
    db.assemble("MOD-1", sensor_id="SEN-1", hybrid_id="HYB-1")
    db.record_test("MOD-1", "iv_curve", passed=True, measurements={"current": 2.2e-6,
                   "voltage": 80.0}, data_files=[str(folder / "iv.csv")], images=[str(png)],
                   date="2025-01-10T10:00")
    db.record_test("MOD-1", "iv_curve", passed=False, measurements={"current": 3.0e-6,
                   "voltage": 80.0}, data_files=[str(folder / "iv2.csv")],
                   date="2025-02-10T10:00", notes=SCRIPT)
    db.record_test("MOD+2", "noise_test", passed=True, measurements={"noise": 1500.0},
                   date="2025-01-11T10:00")
    db.install("MOD-1", "Layer1_top_axial", run_period="2024_run", date="2025-01-15T10:00")
    db.remove("MOD-1", reason="end of run", date="2025-01-20T10:00")
    db.install("MOD-1", "Layer4_bottom_stereo_hole", run_period="2025_run",
               date="2025-03-01T10:00")
    db.install("FEB-1", "FEB1", run_period="2025_run", date="2025-03-01T11:00")
    db.add_log("MOD-1", f"cooling issue {SCRIPT}", log_type="issue", images=[str(png)])
    db.connect("MOD-1", "FEB-1")


def break_a_record(store: Path) -> None:
    """A hand edit svt validate refuses (a status no schema knows), committed."""
    record = store / "records/sensor/SEN-1/component.yaml"
    record.write_text(record.read_text().replace("status: qualified", "status: banana"))
    git(store, "commit", "-q", "-am", "a hand edit")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(store, site) built once for the module's read-only checks."""
    base = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, base / "home")
        (base / "plot.png").write_bytes(PNG)
        store = base / "store"
        db = Database(store)
        db.initialize_schema()
        make_sample(db, base / "plot.png")
        break_a_record(store)
        git(store, "remote", "add", "origin", "git@github.com:hps/svt-records.git")
        result = build(Database(store), base / "out")
    return store, base / "out", result


PAGES = ["index.html", "components.html", "map.html", "validation.html", "tests/index.html",
         "tests/iv_curve.html", "tests/noise_test.html", "components/MOD-1.html",
         "components/MOD+2.html", "components/SEN-1.html", "components/HYB-1.html",
         "components/FEB-1.html"]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "path", "line", "rect", "circle"}


class Checker(HTMLParser):
    """Collects links and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.links: list[str] = []
        self.errors: list[str] = []
        self.scripts: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
        if tag == "script":
            self.in_script = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'} at"
                               f" {self.getpos()}")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()

    def handle_data(self, data):
        if self.in_script:
            self.scripts.append(data)


def parse(path: Path) -> Checker:
    checker = Checker()
    checker.feed(path.read_text("utf-8"))
    checker.close()
    return checker


def test_every_page_exists_and_parses(site):
    _, out, result = site
    for rel in PAGES:
        checker = parse(out / rel)
        assert not checker.errors and checker.stack == [], (rel, checker.errors, checker.stack)
    assert result.components == 5 and result.pages_written >= len(PAGES)
    # plots: IV curves of MOD-1 (both runs), trends of the measurements
    assert (out / "components/iv/MOD-1.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "tests/plots/iv_curve-current.png").is_file()
    assert (out / "tests/plots/noise_test-noise.png").is_file()


def test_every_link_is_relative_and_resolves(site):
    _, out, _ = site
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= len(PAGES)
    checked = 0
    for page in pages:
        for link in parse(page).links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https"):
                assert parts.netloc == "github.com", link  # only commit links leave the site
                continue
            assert not parts.scheme and not parts.netloc and not link.startswith("/"), link
            if not parts.path:
                continue  # an anchor on the same page
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.relative_to(out)} links to missing {link}"
            assert out.resolve() in target.parents
            checked += 1
    assert checked > 50


def test_component_page_shows_tests_images_history_and_links(site):
    _, out, _ = site
    html = (out / "components/MOD-1.html").read_text()
    assert 'href="../components/SEN-1.html"' in html and 'href="../components/FEB-1.html"' in html
    assert 'src="iv/MOD-1.png"' in html
    assert re.search(r'<img src="files/MOD-1/\d{4}/[^"]+\.png"', html)
    assert re.search(r'href="files/MOD-1/\d{4}/[^"]+\.csv"', html)
    assert "Layer4_bottom_stereo_hole" in html and "2024_run" in html  # installation history
    assert "cooling issue" in html and "batch" in html
    # history: each commit, linked on GitHub (the remote is known)
    assert "https://github.com/hps/svt-records/commit/" in html
    assert html.count("/commit/") >= 5
    # the + of an id is escaped in links, and its page is where labels point
    assert 'href="components/MOD%2B2.html"' in (out / "components.html").read_text()


def test_html_in_records_is_escaped(site):
    _, out, _ = site
    for rel in ("components/MOD-1.html", "components/MOD+2.html"):
        html = (out / rel).read_text()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert not parse(out / rel).scripts  # no script runs on a component page


def test_invalid_records_still_build_and_are_marked(site):
    _, out, _ = site
    validation = (out / "validation.html").read_text()
    assert "records/sensor/SEN-1/component.yaml" in validation and "banana" in validation
    assert 'href="components/SEN-1.html"' in validation
    assert "have problems" in (out / "components/SEN-1.html").read_text()
    assert "have problems" not in (out / "components/MOD-1.html").read_text()
    row = re.search(r'<tr class="invalid"><td><a href="components/SEN-1.html">',
                    (out / "components.html").read_text())
    assert row


def test_map_has_every_position_and_links_the_module(site):
    _, out, _ = site
    html = (out / "map.html").read_text()
    assert 'id="now"' in html and 'id="period-2024_run"' in html and 'id="period-2025_run"' in html
    now = html.split('id="now"')[1].split('id="period-')[0]
    for position in ("Layer0_top_axial", "Layer7_bottom_stereo_slot", "FEB12"):
        assert f'data-position="{position}"' in now
    link = re.search(r'<a href="components/MOD-1.html" class="pos"'
                     r' data-position="Layer4_bottom_stereo_hole">', now)
    assert link
    then = html.split('id="period-2024_run"')[1].split('id="period-2025_run"')[0]
    assert 'data-position="Layer1_top_axial">' in then and "MOD-1" in then


def commit_url(remote: str) -> str | None:
    return site_project(remote, "main", Path("/nonexistent")).commits


def test_commit_urls_for_github_and_gitlab():
    assert commit_url("git@github.com:hps/svt.git") == "https://github.com/hps/svt/commit/"
    assert commit_url("https://gitlab.example.org/hps/svt") == \
        "https://gitlab.example.org/hps/svt/-/commit/"
    assert commit_url("ssh://git@gitlab.com:2222/a/b.git") == "https://gitlab.com/a/b/-/commit/"
    assert commit_url("/srv/git/svt.git") is None
    # one rule with the forge's other links: each part quoted, a host that is no host name none
    project = site_project("https://github.com/hps/svt records.git", "main", Path("/x"))
    assert project.commits == "https://github.com/hps/svt%20records/commit/"
    assert project.forge is not None and project.commits.startswith(project.forge.web)
    assert commit_url("https://gitlab.my_host.org/a/b") is None


def test_a_rebuild_redraws_only_what_changed(prebuilt, svt, tmp_path):
    db = prebuilt(make_sample)
    out = tmp_path / "out"
    svt("site", str(out))
    # the store is left as it was: git sees no file changed (a hard link would change the
    # stored files' ctime, and git would take them for edited)
    assert git(db.root, "diff-files", "--name-only") == ""
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["dirty"] == []
    assert manifest["commit"] == git(db.root, "rev-parse", "HEAD").strip()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = build(Database(db.root), out)
    assert again.written == [] and again.plots_drawn == 0 and not again.full
    # one component changes: its page and the store-wide pages that show it, nothing else
    svt("add", "--id", "MOD+2", "--status", "qualified")
    changed = build(Database(db.root), out)
    assert not changed.full
    assert "components/MOD+2.html" in changed.written
    assert "components/MOD-1.html" not in changed.written
    assert "components/iv/MOD-1.png" not in changed.written
    assert set(changed.written) <= {"components/MOD+2.html", "index.html", "components.html",
                                    "map.html"}, changed.written
    # an installation moves a box on the map (who is where is replayed again)
    svt("install", "MOD+2", "Layer2_top_axial", "--run-period", "2025_run")
    moved = build(Database(db.root), out)
    assert "map.html" in moved.written
    assert re.search(r'<a href="components/MOD%2B2.html" class="pos"'
                     r' data-position="Layer2_top_axial">', (out / "map.html").read_text())
    # a new IV run of MOD-1: its IV plot and the iv_curve trend plots are drawn again
    # (a number without a unit, as the earlier runs: --current would add a plot in A)
    svt("test", "MOD-1", "--type", "iv_curve", "--pass", "--measure", "current=2.5e-6",
        "--data", _iv_file(tmp_path))
    redrawn = build(Database(db.root), out)
    assert "components/iv/MOD-1.png" in redrawn.written
    assert "tests/plots/iv_curve-current.png" in redrawn.written
    assert "tests/plots/noise_test-noise.png" not in redrawn.written
    unchanged = [p for p, t in before.items() if p.exists() and p.stat().st_mtime_ns == t]
    assert out / "components/SEN-1.html" in unchanged


def _iv_file(tmp_path: Path) -> str:
    path = tmp_path / "iv3.csv"
    path.write_text(IV_CSV)
    return str(path)


def test_validation_page_follows_edits_between_builds(prebuilt, svt, tmp_path):
    db = prebuilt(make_sample)
    out = tmp_path / "out"
    build(Database(db.root), out)
    assert "All records are valid" in (out / "validation.html").read_text()
    break_a_record(db.root)
    result = build(Database(db.root), out)
    assert not result.full and result.problems == 1
    assert "banana" in (out / "validation.html").read_text()
    assert "have problems" in (out / "components/SEN-1.html").read_text()
    # an uncommitted fix counts too, and the next build sees it committed
    record = db.root / "records/sensor/SEN-1/component.yaml"
    record.write_text(record.read_text().replace("status: banana", "status: spare"))
    assert build(Database(db.root), out).problems == 0
    assert "have problems" not in (out / "components/SEN-1.html").read_text()
    git(db.root, "checkout", "--", "records/sensor/SEN-1/component.yaml")
    assert build(Database(db.root), out).problems == 1


def test_serve_previews_the_site(prebuilt, tmp_path):
    db = prebuilt(make_sample)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "svt_records", "--repo", str(db.root),
                             "site", str(out), "--serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for line in proc.stdout:
            found = re.search(r"(http://localhost:\d+/)", line)
            if found:
                url = found.group(1)
                break
        assert url, proc.stderr.read() if proc.poll() is not None else "no URL printed"
        with urllib.request.urlopen(url + "components/MOD%2B2.html", timeout=30) as page:
            assert b"MOD+2" in page.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_without_the_site_extra_it_says_what_to_install(store_path, svt_proc, tmp_path):
    shadow = tmp_path / "shadow" / "jinja2"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(shadow.parent), *sys.path])}
    proc = svt_proc("site", str(tmp_path / "out"), check=False, env=env)
    assert proc.returncode != 0
    from svt_records.files.install import pip_command  # this installation's (test_install_hints)
    assert proc.stderr.strip() == f'Error: svt site needs jinja2: {pip_command("site")}'
    assert not (tmp_path / "out").exists()


def test_bad_output_folder_is_refused(store_path, svt, tmp_path):
    (tmp_path / "file").write_text("x")
    bad = svt("site", str(tmp_path / "file"), ok=False)
    assert bad.exit_code != 0 and "Traceback" not in bad.stderr
    inside = svt("site", str(store_path / "records" / "site"), ok=False)
    assert inside.exit_code != 0 and "inside the store's records/" in inside.stderr
    assert not (store_path / "records" / "site").exists()


# ---- labels (issue 17) --------------------------------------------------------------------

def test_component_page_shows_its_label_and_links_a_printable_copy(site):
    _, out, result = site
    html = (out / "components/MOD+2.html").read_text()
    assert 'src="../labels/MOD%2B2.svg"' in html and 'href="../labels/MOD%2B2.svg"' in html
    svg = (out / "labels/MOD+2.svg").read_text()
    assert 'data-id="MOD+2"' in svg and 'data-payload="MOD+2"' in svg  # no site_url: the id
    assert result.labels_written == 5 and result.notes == []
    # (test_every_link_is_relative_and_resolves follows these links too)


def test_label_qr_holds_the_page_url_and_only_changed_labels_are_rewritten(
        prebuilt, svt, tmp_path, tools):
    from svt_records.model import component_url
    db = prebuilt(make_sample)
    config = db.root / "svt.yaml"
    config.write_text(config.read_text() + f"site_url: {SITE}\n")
    git(db.root, "commit", "-q", "-am", "the site's address")
    out = tmp_path / "out"
    first = build(Database(db.root), out)
    assert first.labels_written == 5
    assert decode(svg_png(out / "labels/MOD-1.svg")) == [component_url(SITE, "MOD-1")]
    again = build(Database(db.root), out)
    assert again.labels_written == 0 and again.labels_kept == 5
    assert not [p for p in again.written if p.startswith("labels/")]
    # a status change rewrites the page but not the label; a serial number rewrites it
    svt("add", "--id", "FEB-1", "--status", "spare", "--location", "Hall B")
    status = build(Database(db.root), out)
    assert "components/FEB-1.html" in status.written and status.labels_written == 0
    svt("add", "--id", "MOD+2", "--serial", "SN-0042")
    serial = build(Database(db.root), out)
    assert [p for p in serial.written if p.startswith("labels/")] == ["labels/MOD+2.svg"]
    assert "S/N SN-0042" in (out / "labels/MOD+2.svg").read_text()


def test_without_segno_the_site_builds_without_labels_and_says_so_once(
        prebuilt, svt, tmp_path, monkeypatch):
    prebuilt(make_sample)
    monkeypatch.setitem(sys.modules, "segno", None)  # as if not installed: import fails
    out = tmp_path / "out"
    result = svt("site", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.count("no labels") == 1 and "segno" in result.output
    assert not (out / "labels").exists()
    assert "labels/" not in (out / "components/MOD-1.html").read_text()


def test_labels_follow_segno_coming_and_going_and_deleted_outputs_come_back(
        prebuilt, svt, tmp_path, monkeypatch):
    """Every page links its label or none: a site built with labels and rebuilt without
    segno (or the other way round) is built again in full; a page or a label deleted from
    OUT is made again."""
    prebuilt(make_sample)
    out = tmp_path / "out"
    svt("site", str(out))
    page = out / "components/MOD-1.html"
    assert (out / "labels/MOD-1.svg").is_file() and "labels/MOD-1.svg" in page.read_text()
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "segno", None)
        svt("site", str(out))
        assert not list(out.glob("labels/*.svg"))
        assert all("labels/" not in p.read_text() for p in (out / "components").glob("*.html"))
    svt("site", str(out))
    pages = sorted((out / "components").glob("*.html"))
    assert pages and all((out / "labels" / (p.stem + ".svg")).is_file() for p in pages)
    (out / "labels/MOD-1.svg").unlink()
    page.unlink()
    svt("site", str(out))
    assert (out / "labels/MOD-1.svg").is_file() and "labels/MOD-1.svg" in page.read_text()


def test_what_the_store_no_longer_makes_leaves_the_site(prebuilt, svt, tmp_path):
    """A test type whose last result is gone: its page and its trend plot go too, and a
    manifest naming a path outside OUT never deletes anything there."""
    db = prebuilt(make_sample)
    out = tmp_path / "out"
    build(Database(db.root), out)
    noise_page = out / "tests/noise_test.html"
    noise_plots = list(out.glob("tests/plots/noise_test-*.png"))
    assert noise_page.is_file() and noise_plots
    outside = tmp_path / "keep.txt"
    outside.write_text("not the site's")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["outputs"]["../keep.txt"] = "0" * 32
    (out / MANIFEST).write_text(json.dumps(manifest))
    event, = (db.root / "records/module/MOD+2").glob("*/*_noise_test_*.yaml")
    git(db.root, "rm", "-q", str(event.relative_to(db.root)))
    git(db.root, "commit", "-q", "-m", "drop the noise test")
    build(Database(db.root), out)
    assert not noise_page.exists() and not any(p.exists() for p in noise_plots)
    assert (out / "tests/iv_curve.html").is_file()
    assert outside.read_text() == "not the site's"


# ---- the store's test definitions (issues 14 and 15) --------------------------------------

def define_test_type(store: Path, name: str, body: str) -> None:
    """Add a test type to svt.yaml's test_types: (``body``: its YAML, indented 4), committed."""
    config = store / "svt.yaml"
    text = config.read_text()
    assert "\ntest_types:\n" in text
    config.write_text(text.replace("\ntest_types:\n", f"\ntest_types:\n  {name}:\n{body}", 1))
    git(store, "commit", "-q", "-am", f"define {name}")


def test_iv_curves_are_the_data_of_test_types_whose_analysis_is_iv(prebuilt, tmp_path):
    """The store's definitions decide which results hold IV data, not the test type's name:
    bias_scan (analysis iv) is plotted, leakage_check (no analysis) is not."""
    db = prebuilt(make_sample)
    define_test_type(db.root, "bias_scan", "    description: IV at the bench\n"
                     "    analysis:\n      name: iv\n")
    define_test_type(db.root, "leakage_check", "    description: a look at the current\n")
    db = Database(db.root)
    data = tmp_path / "scan.csv"
    data.write_text(IV_CSV)
    db.record_test("SEN-1", "bias_scan", data_files=[str(data)], date="2025-01-12T10:00")
    db.record_test("HYB-1", "leakage_check", passed=True, data_files=[str(data)],
                   date="2025-01-12T11:00")
    out = tmp_path / "out"
    build(Database(db.root), out)
    assert (out / "components/iv/SEN-1.png").read_bytes().startswith(b"\x89PNG")
    assert 'src="iv/SEN-1.png"' in (out / "components/SEN-1.html").read_text()
    assert 'components/iv/SEN-1.png' in (out / "tests/bias_scan.html").read_text()
    assert not (out / "components/iv/HYB-1.png").exists()
    assert 'id="iv"' not in (out / "tests/leakage_check.html").read_text()


def test_without_test_definitions_iv_tests_are_known_by_name(prebuilt, tmp_path):
    """A store made before svt.yaml had test_types: a test type named iv_curve (or iv, or
    with leakage in its name) holds IV data."""
    db = prebuilt(make_sample)
    config = db.root / "svt.yaml"
    text = config.read_text()
    config.write_text(text[:text.index("\ntest_types:\n") + 1])
    git(db.root, "commit", "-q", "-am", "no test definitions")
    out = tmp_path / "out"
    build(Database(db.root), out)
    assert (out / "components/iv/MOD-1.png").is_file()
    assert 'id="iv"' not in (out / "tests/noise_test.html").read_text()


def test_trend_plots_carry_units_and_tell_components_apart(prebuilt, svt, tmp_path):
    """A measurement's plot is in one unit (the record's or the definition's, other prefixes
    converted: `svt results`' rule) shown on the axis, one line per component."""
    from svt_records.site import drawing
    db = prebuilt(make_sample)
    for cid, value, date in (("MOD-1", "2100nA", "2025-03-02"), ("MOD-1", "2.5uA", "2025-04-02"),
                             ("MOD+2", "1.5e-6", "2025-03-03"), ("SEN-1", "1.9uA", "2025-03-04")):
        svt("test", cid, "--type", "iv_curve", "--pass", "--date", date,
            "--measure", f"leakage_at_operating_voltage={value}")
    out = tmp_path / "out"
    build(Database(db.root), out)
    series = drawing.trend_series(json.loads((out / MANIFEST).read_text())["digests"])
    plot, = [p for p in series["iv_curve"] if p["measure"] == "leakage_at_operating_voltage"]
    assert plot["unit"] == "uA" and plot["components"] == 3
    # several components: a histogram of each one's latest value (1.5e-6 A is 1.5 uA)
    assert plot["kind"] == "histogram"
    assert [(p[2], p[0]) for p in plot["points"]] == [
        ("MOD+2", 1.5), ("SEN-1", 1.9), ("MOD-1", 2.5)]
    assert (out / plot["rel"]).read_bytes().startswith(b"\x89PNG")
    page = (out / "tests/iv_curve.html").read_text()
    assert "leakage_at_operating_voltage [uA], histogram of the latest value of 3 components" \
        in page
    # the results table gives each latest value with its SI prefix (model.format_si)
    assert '<td class="num">2.50 \u00b5A</td>' in page
    assert '<td class="num">1.90 \u00b5A</td>' in page
    # one component's measurement is a trend over time: a line per component
    points = [["2025-03-0%dT10:00:00+00:00" % n, v, "pass", c] for n, v, c in
              ((2, 2.1, "MOD-1"), (3, 1.5, "MOD+2"), (4, 1.9, "SEN-1"), (5, 2.5, "MOD-1"))]
    figure = drawing.trend_figure(["iv_curve", plot["measure"], plot["unit"], points])
    axes, = figure.axes
    assert axes.get_ylabel() == "leakage_at_operating_voltage [uA]"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["MOD+2", "MOD-1", "SEN-1"]
    # more components than a legend can name: grey lines, markers by verdict, a count
    many = [["2025-01-%02dT10:00:00+00:00" % (1 + n % 28), float(n), "pass" if n % 3 else "fail",
             f"MOD-{n % 12}"] for n in range(36)]
    figure = drawing.trend_figure(["iv_curve", "noise", "e", sorted(many)])
    axes, = figure.axes
    assert axes.get_title() == "iv_curve: noise (12 components)"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "a component's runs", "pass", "fail"]


def test_a_site_built_by_an_older_svt_format_is_built_again_in_full(prebuilt, tmp_path):
    """The manifest's format says what its digests hold: digests without units (format 1)
    are not reused, every page and plot is made again."""
    db = prebuilt(make_sample)
    out = tmp_path / "out"
    build(Database(db.root), out)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["format"] = 1
    for digest in manifest["digests"].values():
        digest["tests"] = [test[:6] for test in digest["tests"]]  # no units
    (out / MANIFEST).write_text(json.dumps(manifest))
    again = build(Database(db.root), out)
    assert again.full and again.pages_written >= len(PAGES)
    assert "tests/plots/iv_curve-current.png" in again.written
    assert json.loads((out / MANIFEST).read_text())["format"] == FORMAT


def test_a_rebuild_puts_back_what_was_deleted_from_the_site(prebuilt, svt, tmp_path):
    """A rebuild keeps the store-wide parts no change touched without working them out
    again, but only while their files are there."""
    db = prebuilt(make_sample)
    out = tmp_path / "out"
    build(Database(db.root), out)
    svt("add", "--id", "HYB-1", "--location", "Hall B")  # touches no test, no map
    gone = ["tests/noise_test.html", "tests/plots/noise_test-noise.png", "map.html",
            "components/iv/MOD-1.png"]
    for rel in gone:
        (out / rel).unlink()
    again = build(Database(db.root), out)
    assert set(gone) <= set(again.written), again.written
    assert "tests/iv_curve.html" not in again.written


def test_pages_from_the_validations_read_match_pages_read_on_their_own(prebuilt, tmp_path,
                                                                       monkeypatch):
    """A full build renders the pages from the events the validation read; a page made
    again alone (here: deleted, then rebuilt) reads its own files. Both give the same
    bytes, and a full build over the limit of shared reads gives them too."""
    from svt_records.site import build as site_build
    db = prebuilt(make_sample)
    out = tmp_path / "out"
    build(Database(db.root), out)
    pages = {p.name: p.read_bytes() for p in (out / "components").glob("*.html")}
    assert len(pages) == 5
    for page in (out / "components").glob("*.html"):
        page.unlink()
    again = build(Database(db.root), out)
    assert not again.full and sorted(again.written) == sorted(
        f"components/{name}" for name in pages)
    assert {p.name: p.read_bytes() for p in (out / "components").glob("*.html")} == pages
    monkeypatch.setattr(site_build, "SHARED_PARSE_UP_TO", 0)
    alone = tmp_path / "alone"
    build(Database(db.root), alone)
    assert {p.name: p.read_bytes() for p in (alone / "components").glob("*.html")} == pages


def test_pages_from_the_log_started_before_validation_match_one_log_per_page(
        prebuilt, tmp_path, monkeypatch):
    """Above PARALLEL_FROM components a full build starts the whole history's log before
    validating and takes every page's commits from it (and draws the pages in a pool);
    the pages come out as when each asks git for its own component's commits."""
    from svt_records.site import build as site_build
    db = prebuilt(make_sample)
    build(Database(db.root), tmp_path / "each")
    pages = {p.name: p.read_bytes() for p in (tmp_path / "each/components").glob("*.html")}
    started = []
    real = type(db.repo).start_full_log
    monkeypatch.setattr(type(db.repo), "start_full_log",
                        lambda repo, paths: started.append(paths) or real(repo, paths))
    monkeypatch.setattr(site_build, "PARALLEL_FROM", 1)
    build(Database(db.root), tmp_path / "whole")
    assert started == [["records"]]
    assert {p.name: p.read_bytes() for p in (tmp_path / "whole/components").glob("*.html")} \
        == pages
