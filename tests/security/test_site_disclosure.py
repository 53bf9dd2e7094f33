"""Issue 24, file disclosure: the site touches only the store and OUT, and publishes no path
of the machine that builds it.

A pull request replaces a stored file with a symbolic link to /etc/passwd, to the store's
.git/config (where actions/checkout keeps its token) or to /proc/self/environ (the CI's
secrets). `svt site` never follows a link: it refuses the store in one line, writes nothing,
and the site built before stays as it was. The site is served over HTTP and opened in
headless chromium; no page links, and no published file holds, what the links point at."""
from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest


def git(path: Path, *args: str) -> str:
    """Run git in ``path`` (as conftest.git does; imported from no conftest, whose module
    name another folder's conftest.py may take)."""
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout

SECRET = "svt-test-secret-3f9c1a"
TOKEN = "AUTHORIZATION: basic c3Z0LXRlc3QtdG9rZW4tNzcx"


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.is_symlink()}


@pytest.fixture
def store(db, tmp_path, gitcmd):
    """A store with a module and an attached text file, committed, whose .git/config holds
    a token as actions/checkout leaves it."""
    (tmp_path / "notes.txt").write_text("bias 80 V, all fine\n")
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    event = db.attach("MOD-1", [str(tmp_path / "notes.txt")], date="2025-01-10T10:00")
    stored = db.root / event.rsplit("/", 1)[0] / db.load(event)["files"][0]["path"]
    gitcmd(db.root, "config", "http.https://github.com/.extraheader", TOKEN)
    return db.root, stored


def secrets(root: Path) -> list[bytes]:
    """What no published file may hold."""
    out = [SECRET.encode(), TOKEN.encode(), (root / ".git/config").read_bytes()]
    passwd = Path("/etc/passwd").read_bytes() if os.path.exists("/etc/passwd") else b""
    return out + ([passwd] if passwd else [])


def leaks(out: Path, root: Path) -> list[str]:
    found = []
    for rel, data in snapshot(out).items():
        for secret in secrets(root):
            if data == secret or secret in data:
                found.append(rel)
    return found


@pytest.mark.parametrize("target", ["/etc/passwd", ".git/config", "/proc/self/environ"])
def test_a_stored_file_replaced_by_a_link_is_never_published(store, tmp_path, target,
                                                             svt_proc, chromium, serve_site):
    root, stored = store
    if target.startswith("/") and not os.path.exists(target):
        pytest.skip(f"{target} does not exist here")
    out = tmp_path / "public"
    env = {"SVT_TEST_SECRET": SECRET}
    svt_proc("site", str(out), env=env)
    before = snapshot(out)
    # the pull request: the stored file becomes a link
    stored.unlink()
    link = target if target.startswith("/") else os.path.relpath(root / target, stored.parent)
    stored.symlink_to(link)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a pull request")
    refused = svt_proc("site", str(out), env=env, check=False)
    assert leaks(out, root) == []
    # in the browser: every page, every link of it; no response holds what the link names
    base = serve_site(out)
    fetched = 0
    for rel in [r for r in snapshot(out) if r.endswith(".html")]:
        chromium.get(urljoin(base, rel))
        for a in chromium.find_elements("css selector", "a[href], img[src]"):
            url = a.get_attribute("href") or a.get_attribute("src")
            if not url or not url.startswith(base):
                continue
            with urllib.request.urlopen(url.split("#")[0]) as response:
                body = response.read()
            fetched += 1
            assert not [s for s in secrets(root) if body == s or s in body], url
    assert fetched > 10
    # refused in one line, and nothing half-written: the last good site stays
    assert refused.returncode == 1, refused.stdout + refused.stderr
    message = refused.stderr.strip()
    assert "symbolic link" in message and stored.name in message and "Traceback" not in message
    assert len(message.splitlines()) == 1 and "nothing was written" in message
    assert snapshot(out) == before
    assert svt_proc("validate", check=False).returncode != 0  # validate says it too


def test_a_first_build_from_a_store_with_a_link_writes_nothing(store, tmp_path, svt):
    root, stored = store
    stored.unlink()
    stored.symlink_to("/etc/hostname" if os.path.exists("/etc/hostname") else "/etc/passwd")
    out = tmp_path / "public"
    result = svt("site", str(out), ok=False)
    assert result.exit_code == 1 and "symbolic link" in result.stderr
    assert not out.exists()


def test_a_component_folder_or_record_replaced_by_a_link_is_refused(store, tmp_path, svt):
    """Links anywhere under records/: a year folder pointing at the store's .git, a record
    pointing at a YAML file of the build machine."""
    root, stored = store
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(f"id: MOD-2\ntype: module\nnotes: {SECRET}\n")
    folder = root / "records/module/MOD-2"
    folder.mkdir()
    (folder / "component.yaml").symlink_to(elsewhere)
    (root / "records/module/MOD-1/2024").symlink_to(root / ".git")
    out = tmp_path / "public"
    result = svt("site", str(out), ok=False)
    assert result.exit_code == 1 and "symbolic link" in result.stderr
    assert "(and 1 more)" in result.stderr
    assert not out.exists()


def test_no_published_file_names_a_path_of_the_build_machine(store, tmp_path, svt):
    """The manifest (published with the site) held the store's absolute path."""
    root, _ = store
    out = tmp_path / "public"
    svt("site", str(out))
    svt("site", str(out))  # an incremental build reads the manifest back, and writes it
    machine = {str(root).encode(), str(tmp_path).encode(), str(Path.home()).encode()}
    named = [(rel, path) for rel, data in snapshot(out).items() for path in machine
             if path in data]
    assert named == []
    from svt_records.site.manifest import MANIFEST
    assert (out / MANIFEST).is_file()


def test_the_site_follows_no_link_whatever_validation_says(store, tmp_path, monkeypatch):
    """The build's own copy refuses the link even when validation reported nothing."""
    from svt_records import Database
    from svt_records.model.errors import InvalidInput
    from svt_records.site import build as site_build
    root, stored = store
    stored.unlink()
    stored.symlink_to("/etc/passwd")
    monkeypatch.setattr(site_build, "validation_problems", lambda *args, **kwargs: [])
    out = tmp_path / "public"
    with pytest.raises(InvalidInput, match="symbolic link"):
        site_build.build(Database(root), out)
    assert not out.exists() or leaks(out, root) == []


def test_a_stored_path_is_opened_without_following_any_link(tmp_path):
    from svt_records.store.nofollow import LinkRefused, NotRegular, open_stored
    (tmp_path / "real/2025").mkdir(parents=True)
    (tmp_path / "real/2025/a.csv").write_text("1,2\n")
    (tmp_path / "real/2025/link.csv").symlink_to("/etc/passwd")
    (tmp_path / "real/2024").symlink_to(tmp_path / "real/2025")
    os.mkfifo(tmp_path / "real/2025/fifo.csv")
    with os.fdopen(open_stored(tmp_path, "real/2025/a.csv"), "rb") as fh:
        assert fh.read() == b"1,2\n"
    for rel in ("real/2025/link.csv", "real/2024/a.csv", "real/../real/2025/a.csv"):
        with pytest.raises(LinkRefused):
            os.close(open_stored(tmp_path, rel))
    with pytest.raises(NotRegular):
        open_stored(tmp_path, "real/2025/fifo.csv")
    with pytest.raises(FileNotFoundError):
        open_stored(tmp_path, "real/2025/gone.csv")
