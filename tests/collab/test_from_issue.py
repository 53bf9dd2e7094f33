"""Issue 27, section 2: `svt from-issue` on issue bodies as GitHub renders its issue forms
(`### Label` sections, `_No response_` for an empty field), for each form.

- It writes the same records as the CLI commands it stands for (the YAML of both paths is
  compared, ids and dates aside).
- Bad input (an unknown id, a bad value, a missing field, a link that is no attachment)
  ends in one line, and nothing is written.
- Attachments are fetched only from the allowed addresses, capped, never to another host,
  never a page: tested against a local HTTP server, no network.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from svt_records import Database
from svt_records.collab import attachments
from svt_records.collab.attachments import Allowed, fetch
from svt_records.collab.forms import Link
from svt_records.model.errors import InvalidInput

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
IV = (EXAMPLES / "iv-sensor.csv").read_bytes()
PHOTO = (EXAMPLES / "module-photo.png").read_bytes()


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout.strip()


# ---- a local stand-in for GitHub's attachment addresses -------------------------------------

class _Handler(BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        route = self.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.end_headers()
            return
        status, headers, data = route
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value.replace("{base}", self.server.base))  # type: ignore
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def files_server():
    """(base URL, routes, Allowed): a local server whose /user-attachments/ addresses stand
    for GitHub's, redirecting within itself as github.com redirects to its file hosts."""
    routes: dict = {
        "/user-attachments/files/1/iv-sensor.csv": (200, {"Content-Type": "text/csv"}, IV),
        "/user-attachments/assets/0b5e": (302, {"Location": "{base}/store/0b5e?sig=1"}, b""),
        "/store/0b5e?sig=1": (200, {"Content-Type": "image/png"}, PHOTO),
        "/user-attachments/assets/away": (302, {"Location": "http://evil.invalid/x"}, b""),
        "/user-attachments/files/2/big.csv": (200, {"Content-Type": "text/csv"}, b"1,2\n" * 300),
        "/user-attachments/files/3/page.txt": (200, {"Content-Type": "text/html"}, b"<html>"),
        "/user-attachments/files/4/a.html": (200, {"Content-Type": "text/plain"}, b"hi"),
    }
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    host = f"127.0.0.1:{server.server_address[1]}"
    server.base = f"http://{host}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.base, routes, Allowed((f"{server.base}/user-attachments/",),  # type: ignore
                                           frozenset({host}), ("http",))
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_takes_attachments_and_follows_redirects_only_within_the_hosts(files_server,
                                                                             tmp_path):
    base, _, allowed = files_server
    out = tmp_path / "out"
    out.mkdir()
    paths = fetch([Link("iv-sensor.csv", f"{base}/user-attachments/files/1/iv-sensor.csv"),
                   Link("Image", f"{base}/user-attachments/assets/0b5e")], out,
                  max_bytes=1 << 20, allowed=allowed)
    assert [p.name for p in paths] == ["iv-sensor.csv", "attachment-2.png"]
    assert paths[0].read_bytes() == IV and paths[1].read_bytes() == PHOTO


@pytest.mark.parametrize("path, name, message", [
    ("/user-attachments/assets/away", "x", "not where GitHub keeps attachments"),
    ("/user-attachments/files/2/big.csv", "big.csv", "over the store's limit"),
    ("/user-attachments/files/3/page.txt", "page.txt", "a browser would run"),
    ("/user-attachments/files/4/a.html", "a.html", "a browser would run"),
    ("/user-attachments/files/9/gone.csv", "gone.csv", "HTTP 404"),
    ("/elsewhere/x.csv", "x.csv", "is no file attached to this issue"),
    ("/user-attachments/files/1/../../elsewhere", "x", "is no file attached to this issue"),
])
def test_fetch_refuses_what_is_no_plain_attachment(files_server, tmp_path, path, name,
                                                   message):
    base, _, allowed = files_server
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InvalidInput, match=re.escape(message)):
        fetch([Link(name, base + path)], out, max_bytes=1000, allowed=allowed)
    assert list(out.iterdir()) == []


def test_fetch_writes_only_path_safe_names_inside_its_folder(files_server, tmp_path):
    base, routes, allowed = files_server
    routes["/user-attachments/files/5/x"] = (200, {"Content-Type": "text/csv"}, b"1,2\n")
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    for name in ("../../escape.csv", "/etc/passwd", ".hidden", "a b.csv"):
        (path,) = fetch([Link(name, f"{base}/user-attachments/files/5/x")], out,
                        max_bytes=1000, allowed=allowed)
        assert path.parent == out and path.name == "attachment-1.csv"
        path.unlink()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []


def test_only_githubs_attachment_addresses_are_allowed():
    allowed = attachments.github_allowed("hps/records")
    ok = ["https://github.com/user-attachments/assets/0b5e-11",
          "https://github.com/user-attachments/files/17/iv.csv",
          "https://github.com/hps/records/files/17/iv.csv"]
    attachments.check_links([Link("", u) for u in ok], allowed)
    for url in ("https://github.com/other/repo/files/1/iv.csv", "http://github.com/user-"
                "attachments/files/1/iv.csv", "https://evil.example/user-attachments/files/1",
                "https://github.com.evil.example/user-attachments/files/1/x.csv"):
        with pytest.raises(InvalidInput):
            attachments.check_links([Link("", url)], allowed)
    with pytest.raises(InvalidInput, match="OWNER/NAME"):
        attachments.github_allowed("hps/records; rm -rf /")


# ---- the bodies, as GitHub renders each form ------------------------------------------------

def body(**fields: str) -> str:
    """An issue body as GitHub renders a form: each field's label, then its value."""
    return "\n\n".join(f"### {label}\n\n{value or '_No response_'}"
                       for label, value in fields.items())


def test_body(base: str = "", **changes: str) -> str:
    fields = {"Component": "MOD-1", "Test type": "iv_curve", "Verdict": "Pass",
              "Measurements": "leakage=2.3uA\nvoltage=60V", "Data files": "",
              "Photos and plots": "", "Setup": "probe-2", "Notes": "bonds look fine",
              "Tested by": "", "When": ""}
    fields.update(changes)
    return body(**fields)


test_body.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test

# verbatim as GitHub rendered the log form (a photo pasted from a phone: an <img> tag)
LOG_BODY = """### Component

MOD-1

### Entry

Log entry

### Text

Bond wire lifted on channel 12

### Log type

issue

### Severity

warning

### Photos

<img width="1024" height="768" alt="Image" src="https://github.com/user-attachments/assets/0b5e" />

### When

_No response_"""

STATUS_BODY = """### Component

MOD-1

### New location

Clean Room Storage

### New status

qualified

### Notes

back from the probe station

### When

_No response_"""


@pytest.fixture
def twins(tmp_path) -> tuple[Path, Path]:
    """Two equal stores holding MOD-1: one for `svt from-issue`, one for the CLI."""
    a = tmp_path / "issue-store"
    Database(a).initialize_schema(ci=False)
    Database(a).save_component("MOD-1", {"type": "module", "status": "incoming"})
    b = tmp_path / "cli-store"
    shutil.copytree(a, b, symlinks=True)
    return a, b


_STAMP = re.compile(r"\d{8}_\d{6}_|_[0-9a-f]{6}(?=[._])|\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?")


def _normal(value):
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if k not in ("date", "recorded")}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return _STAMP.sub("*", value) if isinstance(value, str) else value


def written(store: Path, since: str) -> dict:
    """What the commits after ``since`` wrote, ids and dates aside: YAML as data, other
    files as bytes (svt's plot as its kind only: matplotlib stamps it)."""
    out = {}
    for path in git(store, "diff", "--name-only", since, "HEAD").splitlines():
        data = (store / path).read_bytes()
        key = _STAMP.sub("*", path)
        out[key] = (_normal(yaml.safe_load(data)) if path.endswith(".yaml")
                    else "plot" if key.endswith("*0.png") and data != PHOTO else data)
    return out


def from_issue(svt, store: Path, text: str, *extra: str, ok: bool = True):
    issue = store.parent / "issue.md"
    issue.write_text(text)
    return svt("--repo", str(store), "from-issue", str(issue), "--author", "alice",
               "--issue", "7", "--repository", "hps/records", *extra, ok=ok)


@pytest.fixture
def local_attachments(files_server, monkeypatch):
    """svt from-issue fetching from the local server instead of github.com: the allowlist
    is the server's, fetch is the real one."""
    base, _, allowed = files_server
    monkeypatch.setattr(attachments, "github_allowed", lambda repository: allowed)
    return base


def _same(svt, twins, issue_text: str, *cli: list[str]) -> dict:
    a, b = twins
    start = git(a, "rev-parse", "HEAD")
    from_issue(svt, a, issue_text)
    for args in cli:
        svt("--repo", str(b), *args)
    got, expected = written(a, start), written(b, start)
    assert got == expected
    assert got, "nothing was written"
    return got


def test_the_test_form_writes_what_svt_test_writes(svt, twins):
    got = _same(svt, twins, test_body(),
                ["test", "MOD-1", "--type", "iv_curve", "--pass", "--measure", "leakage=2.3uA",
                 "--measure", "voltage=60V", "--setup", "probe-2", "--notes",
                 "bonds look fine", "--tested-by", "alice"])
    (record,) = got.values()
    assert record["result"] == "pass" and record["tested_by"] == "alice"


def test_the_test_form_with_files_writes_what_svt_test_writes(svt, twins, local_attachments,
                                                              tmp_path):
    base = local_attachments
    (tmp_path / "iv-sensor.csv").write_bytes(IV)
    (tmp_path / "module-photo.png").write_bytes(PHOTO)
    text = test_body(**{"Verdict": "From the limits", "Measurements": "",
                        "Data files": f"[iv-sensor.csv]({base}/user-attachments/files/1/"
                                      "iv-sensor.csv)",
                        "Photos and plots": f"![module-photo.png]({base}/user-attachments/"
                                            "assets/0b5e)",
                        "Setup": "", "Notes": "", "Tested by": "Jane Doe"})
    got = _same(svt, twins, text,
                ["test", "MOD-1", "--type", "iv_curve", "--data", str(tmp_path / "iv-sensor.csv"),
                 "--images", str(tmp_path / "module-photo.png"), "--tested-by", "Jane Doe"])
    record = next(v for k, v in got.items() if k.endswith(".yaml"))
    assert {f["kind"] for f in record["files"]} >= {"data", "image"}
    assert record["tested_by"] == "Jane Doe"
    assert "leakage_at_operating_voltage" in record["measurements"]  # the CSV was analysed


def test_the_log_form_writes_what_svt_log_writes(svt, twins, local_attachments, tmp_path):
    base = local_attachments
    (tmp_path / "attachment-1.png").write_bytes(PHOTO)  # the name svt gives a pasted photo
    _same(svt, twins, LOG_BODY.replace("https://github.com", base),
          ["log", "MOD-1", "Bond wire lifted on channel 12", "--type", "issue", "--severity",
           "warning", "--by", "alice", "--image", str(tmp_path / "attachment-1.png")])


def test_the_log_form_as_a_comment_writes_what_svt_comment_writes(svt, twins):
    text = body(**{"Component": "MOD-1", "Entry": "Comment", "Text": "Looks good to me",
                   "Log type": "note", "Severity": "info", "Photos": "", "When": ""})
    _same(svt, twins, text, ["comment", "MOD-1", "Looks good to me", "--by", "alice"])


def test_the_status_form_writes_what_svt_location_and_add_status_write(svt, twins):
    got = _same(svt, twins, STATUS_BODY,
                ["location", "MOD-1", "Clean Room Storage", "--by", "alice", "--notes",
                 "back from the probe station"],
                ["add", "--id", "MOD-1", "--status", "qualified"])
    component = got["records/module/MOD-1/component.yaml"]
    assert component["status"] == "qualified" and component["location"] == "Clean Room Storage"


def test_a_private_repositorys_attachments_are_listed_not_fetched(svt, twins):
    a, _ = twins
    result = from_issue(svt, a, LOG_BODY, "--no-download")
    assert "not fetched" in result.stdout and "Image" in result.stdout
    event = yaml.safe_load((a / git(a, "diff", "--name-only", "HEAD~1", "HEAD")).read_text())
    assert event["text"] == "Bond wire lifted on channel 12" and "files" not in event


# ---- bad input: one line, nothing written ----------------------------------------------------

BAD = {
    "an unknown component": (test_body(Component="MOD-404"), "no component 'MOD-404'"),
    "a measurement that is no number": (test_body(Measurements="leakage=lots"),
                                        'the field "Measurements"'),
    "a verdict the form does not offer": (test_body(Verdict="Maybe"), 'the field "Verdict"'),
    "a missing required field": (test_body(**{"Test type": ""}), 'the field "Test type" is'
                                                                 " empty"),
    "a status the store does not know": (STATUS_BODY.replace("qualified", "banana"),
                                         'the field "New status"'),
    "a log type the store does not know": (LOG_BODY.replace("\nissue\n", "\nrant\n"),
                                           'the field "Log type"'),
    "no change asked for": (STATUS_BODY.replace("Clean Room Storage", "_No response_")
                            .replace("qualified", "_No response_"), "New location"),
    "a body made by no form": ("Please record MOD-1 as tested, thanks!", "svt's forms"),
    "a link that is no attachment": (test_body(**{"Data files":
                                                  "[iv.csv](https://evil.example/iv.csv)"}),
                                     "is no file attached to this issue"),
    "text in a files field": (test_body(**{"Photos and plots": "see the wiki"}),
                              "no file link"),
    "a date in the future": (test_body(When="2999-01-01"), "in the future"),
    "a missing attachment": (LOG_BODY, "HTTP 404"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_says_what_in_one_line_and_writes_nothing(svt, twins, case,
                                                            local_attachments):
    a, _ = twins
    text, expected = BAD[case]
    if case == "a missing attachment":
        text = text.replace("https://github.com", local_attachments).replace("0b5e", "nope")
    head = git(a, "rev-parse", "HEAD")
    result = from_issue(svt, a, text, ok=False)
    assert result.exit_code == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert git(a, "rev-parse", "HEAD") == head
    assert git(a, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_bad_author_is_refused(svt, twins):
    a, _ = twins
    issue = a.parent / "issue.md"
    issue.write_text(test_body())
    result = svt("--repo", str(a), "from-issue", str(issue), "--author", "$(id)", "--issue",
                 "7", ok=False)
    assert result.exit_code == 1 and "is no GitHub login" in result.stderr


def test_help_teaches(svt):
    text = svt("from-issue", "--help").stdout
    for part in ("### Label", "_No response_", "svt init --forms", "svt/issue-N",
                 "user-attachments", "svt from-issue issue.md --author alice --issue 12",
                 "docs/how-to/recording-from-a-phone.md", "--no-download"):
        assert part in text, part
