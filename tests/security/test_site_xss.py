"""Issue 24, stored XSS: nothing from a record runs in the site's origin.

A pull request attaches an HTML page and an SVG image with script. The site shows images
through <img> only (an SVG never linked), offers every other file as a download no browser
runs (its own name for passive types, else a zip archive holding it), and `svt validate`
warns about the active files so reviewers see them. The site is built with the real CLI,
served over HTTP as Pages serve it (types by file name) and opened in headless chromium:
no page, link or published file may run the attachments' script."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from urllib.parse import urljoin

import pytest

MARK = "localStorage.setItem('pwned', '{}')"
HTML_PAGE = f"<html><body><script>{MARK.format('html')}</script></body></html>".encode()
SVG_ACTIVE = (f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"'
              f' onload="{MARK.format("svg-onload")}"><script>{MARK.format("svg")}</script>'
              '<rect width="10" height="10"/></svg>').encode()
SVG_PLAIN = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
             b'<rect width="10" height="10" fill="red"/></svg>')
TEXT_PAGE = f"<html><script>{MARK.format('txt')}</script></html>".encode()
CSV = b"voltage,current\n0,0\n10,1e-9\n"


@pytest.fixture
def attached(db, tmp_path, png):
    """A store whose module has, attached by a pull request: an HTML page, an SVG with
    script, a plain SVG, a .txt that is a page, a CSV and a PNG."""
    files = {"report.html": HTML_PAGE, "evil.svg": SVG_ACTIVE, "plain.svg": SVG_PLAIN,
             "notes.txt": TEXT_PAGE, "data.csv": CSV, "photo.png": png.read_bytes()}
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    event = db.attach("MOD-1", paths, date="2025-01-10T10:00")
    stored = {}
    for entry in db.load(event)["files"]:
        stored[entry["original_name"]] = entry["path"]
    return db, stored


def build(svt, out: Path) -> str:
    svt("site", str(out))
    return (out / "components/MOD-1.html").read_text()


def published(out: Path) -> dict[str, Path]:
    return {p.name: p for p in (out / "components/files/MOD-1").rglob("*") if p.is_file()}


def test_no_script_from_an_attachment_runs_on_the_site(attached, svt, tmp_path, chromium,
                                                       serve_site):
    db, stored = attached
    out = tmp_path / "public"
    build(svt, out)
    base = serve_site(out)
    page = urljoin(base, "components/MOD-1.html")
    chromium.get(page)
    chromium.execute_script("localStorage.clear()")
    chromium.get(page)
    urls = [e.get_attribute("href") for e in chromium.find_elements("css selector", "main a")]
    urls += [e.get_attribute("src") for e in chromium.find_elements("css selector", "main img")]
    # every link and image of the page, and every file the site published (an attacker
    # sends readers to those addresses directly)
    urls = [u for u in urls if u and u.startswith(base)]
    urls += [urljoin(base, p.relative_to(out).as_posix()) for p in published(out).values()]
    assert len(urls) >= 6
    for url in urls:
        chromium.get(url)
    chromium.get(page)
    assert chromium.execute_script("return localStorage.getItem('pwned')") is None


def test_svg_is_shown_through_img_only_and_never_linked(attached, svt, tmp_path):
    db, stored = attached
    html = build(svt, tmp_path / "public")
    links = re.findall(r'<a href="([^"]+)"', html)
    images = re.findall(r'<img src="([^"]+)"', html)
    # (the printable label, labels/<ID>.svg, is svt's own drawing: escaped text, no script)
    assert not [link for link in links if link.lower().endswith(".svg")
                and not link.startswith("../labels/")], links
    assert any(src.endswith(stored["plain.svg"]) for src in images)
    # the SVG with script is not shown at all: offered as a zip download
    assert not [src for src in images if stored["evil.svg"] in src]
    assert re.search(rf'<a href="[^"]*{re.escape(stored["evil.svg"])}\.zip" download>', html)


def test_html_and_page_like_text_are_published_only_inside_zip_archives(attached, svt,
                                                                         tmp_path):
    db, stored = attached
    out = tmp_path / "public"
    html = build(svt, out)
    files = published(out)
    # a browser would run these: only zip archives of them are published
    for original in ("report.html", "evil.svg", "notes.txt"):
        name = stored[original]
        assert name not in files, original
        with zipfile.ZipFile(io.BytesIO(files[name + ".zip"].read_bytes())) as archive:
            assert archive.namelist() == [name]
            data = archive.read(name)
        assert data == (tmp_path / original).read_bytes()
        assert re.search(rf'<a href="[^"]*{re.escape(name)}\.zip" download>', html)
    # passive files keep their names
    assert files[stored["data.csv"]].read_bytes() == CSV
    assert files[stored["photo.png"]].read_bytes() == (tmp_path / "photo.png").read_bytes()
    assert files[stored["plain.svg"]].read_bytes() == SVG_PLAIN
    # no published file of the site is a page, an XML document or an active SVG
    for path in out.rglob("*"):
        if path.is_file() and "files" in path.parts:
            assert not path.name.lower().endswith((".html", ".htm", ".xml", ".xhtml")), path
            assert b"<script" not in path.read_bytes() or path.suffix == ".zip", path


def test_validate_warns_about_attachments_with_active_content(attached, svt):
    db, stored = attached
    result = svt("validate", ok=False)
    lines = (result.stdout + result.stderr).splitlines()
    warned = [line for line in lines if "warning" in line and "active content" in line]
    assert any(stored["report.html"] in line and "web page" in line for line in warned), lines
    assert any(stored["evil.svg"] in line and "<script>" in line for line in warned), lines
    assert not [line for line in warned if stored["plain.svg"] in line or
                stored["data.csv"] in line or stored["photo.png"] in line]
    assert result.exit_code == 0  # warnings: reviewers see them, nothing fails


@pytest.mark.parametrize("svg, what", [
    (b'<svg><a href="javascript:alert(1)"><rect/></a></svg>', "javascript:"),
    (b'<svg><a href="jav&#x61;script&#58;alert(1)"><rect/></a></svg>', "javascript:"),
    (b'<svg><a href="java\tscript:alert(1)"><rect/></a></svg>', "javascript:"),
    (b'<svg><foreignObject><div>x</div></foreignObject></svg>', "foreignObject"),
    (b'<svg><rect ONCLICK="x()"/></svg>', "event-handler"),
    (b'<svg/onload=x()>', "event-handler"),
    (b'<?xml-stylesheet href="x.xsl"?><svg/>', "stylesheet"),
    (b'<!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>', "entity"),
    ('<svg><script>x()</script></svg>'.encode("utf-16"), "encoding"),
])
def test_every_kind_of_active_svg_is_found(svg, what):
    from svt_records.rules.safety import svg_activity
    assert what in (svg_activity(svg) or "")


def test_a_plain_svg_with_text_and_an_embedded_png_is_not_active():
    from svt_records.rules.safety import svg_activity
    svg = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink='
           b'"http://www.w3.org/1999/xlink"><style>text{font:10px sans-serif}</style>'
           b'<text x="1" y="9" font-family="DejaVu">&#8722;2 one offset</text>'
           b'<image xlink:href="data:image/png;base64,iVBORw0KGgo="/></svg>')
    assert svg_activity(svg) is None
