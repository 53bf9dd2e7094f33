"""`svt from-issue` and the workflow of `svt init --forms` against hostile issues (issue 27
section 2 under issue 24's threat model: every issue body may come from a stranger, and a
member may paste one).

Each test failed on the code of 2ae987e:
- the Component field was not checked with the CLI's id rule: an absolute path made svt
  look for records outside the store ("Internal error"), `../module/MOD-1` reached the
  store's reader;
- a body of 60 kB took up to a minute of CPU: regular expressions rescanned the rest of a line
  from each "[" (a files field) and from each space (a `### ` heading);
- an attachment address with a percent-encoded ".." (%2e%2e, %252e) passed the check that
  refuses "..", and a server that decodes it served a file from outside the attachments;
- the step that runs svt on the body held the token that may push and comment.

Bodies are written as GitHub renders a form (`### Label`, `_No response_`), svt runs through
its real CLI, and the downloads go to a local HTTP server standing in for GitHub.
"""
from __future__ import annotations

import posixpath
import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from svt_records import Database
from svt_records.collab import attachments
from svt_records.collab.attachments import Allowed

WORKFLOW = ".github/workflows/svt-issue.yml"


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout.strip()


def body(**fields: str) -> str:
    """An issue body as GitHub renders a form: each field's label, then its value."""
    return "\n\n".join(f"### {label}\n\n{value or '_No response_'}"
                       for label, value in fields.items())


def log_body(component: str = "MOD-1", photos: str = "") -> str:
    return body(Component=component, Entry="Comment", Text="Looks fine", **{
        "Log type": "note", "Severity": "info", "Photos": photos, "When": ""})


def test_body(**changes: str) -> str:
    fields = {"Component": "MOD-1", "Test type": "iv_curve", "Verdict": "Pass",
              "Measurements": "leakage=2.3uA", "Data files": "", "Photos and plots": "",
              "Setup": "", "Notes": "", "Tested by": "", "When": ""}
    fields.update(changes)
    return body(**fields)


test_body.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def store(tmp_path) -> Path:
    root = tmp_path / "store"
    Database(root).initialize_schema(ci=False)
    Database(root).save_component("MOD-1", {"type": "module", "status": "incoming"})
    return root


def from_issue(svt, store: Path, text: str):
    issue = store.parent / "issue.md"
    issue.write_text(text)
    return svt("--repo", str(store), "from-issue", str(issue), "--author", "alice",
               "--issue", "7", "--repository", "hps/records", ok=False)


def refused_in_one_line(result, store: Path, head: str) -> str:
    """The error line, after checking: exit 1, one line, no traceback, nothing written."""
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert git(store, "rev-parse", "HEAD") == head
    assert git(store, "status", "--porcelain", "--untracked-files=all") == ""
    return lines[0]


# ---- the Component field: the CLI's id rule, before any path is made of it ------------------

def test_a_component_field_that_is_a_path_is_refused_as_the_cli_refuses_it(svt, store,
                                                                           tmp_path):
    # a record outside the store, where a relative or absolute "id" led svt's reader
    outside = tmp_path / "outside" / "x"
    outside.mkdir(parents=True)
    (outside / "component.yaml").write_text("id: ../../../outside/x\ntype: module\n")
    head = git(store, "rev-parse", "HEAD")
    for value in ("../../../outside/x", str(outside), "../module/MOD-1", "MOD-1/", ".."):
        line = refused_in_one_line(from_issue(svt, store, log_body(value)), store, head)
        cli = svt("--repo", str(store), "comment", value, "Looks fine", ok=False)
        assert line == cli.stderr.strip(), value  # the very message of `svt comment`
        assert "component id" in line and "component.yaml" not in line, line


# ---- bounded work: a 60 kB body is read in linear time -------------------------------------

HOSTILE_BODIES = {
    # a files field of 60,000 "[": each was a start that scanned the rest of the line
    "brackets in a files field": test_body(**{"Data files": "[" * 60000}),
    "brackets after a link": test_body(**{"Photos and plots": "[x](" + "[a" * 30000}),
    # a heading with 60,000 spaces inside: `^### (.*?)\s*$` backtracked over each
    "spaces in a heading": "### Component" + " " * 60000 + "x\n\nMOD-1\n",
}


@pytest.mark.parametrize("case", list(HOSTILE_BODIES))
def test_a_hostile_body_costs_linear_time_and_is_refused_in_one_line(svt, store, case):
    text = HOSTILE_BODIES[case]
    assert len(text.encode()) <= 65536  # within GitHub's limit on a body
    head = git(store, "rev-parse", "HEAD")
    start = time.monotonic()
    result = from_issue(svt, store, text)
    elapsed = time.monotonic() - start
    refused_in_one_line(result, store, head)
    assert elapsed < 5, f"{case}: {elapsed:.1f} s"  # it took 12 to 50 s before


# ---- attachments: an encoded ".." never leaves GitHub's attachment folder --------------------

class _Decoding(BaseHTTPRequestHandler):
    """A server that decodes and normalises each path (twice, as a proxy and then an
    application server may), as many do: %2e%2e/ leaves the folder there."""
    files: dict = {}
    seen: list = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.seen.append(self.path)
        path = posixpath.normpath(unquote(unquote(self.path)))
        data = self.files.get(path)
        self.send_response(200 if data is not None else 404)
        self.send_header("Content-Type", "text/csv")
        self.end_headers()
        if data is not None:
            self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def decoding_server(monkeypatch):
    """(base URL, the paths asked for): svt from-issue takes the server's
    /user-attachments/ for GitHub's (the allowlist is the server's, fetch the real one)."""
    seen: list = []
    files = {"/user-attachments/files/1/iv.csv": b"1,2\n",
             "/private/secret.csv": b"token,ghp_secret\n"}
    handler = type("Handler", (_Decoding,), {"files": files, "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    host = f"127.0.0.1:{server.server_address[1]}"
    base = f"http://{host}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    allowed = Allowed((f"{base}/user-attachments/",), frozenset({host}), ("http",))
    monkeypatch.setattr(attachments, "github_allowed", lambda repository: allowed)
    try:
        yield base, seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", [
    "/user-attachments/files/1/%2e%2e/%2e%2e/%2e%2e/private/secret.csv",
    "/user-attachments/files/1/.%2E/%2E./%2e%2e/private/secret.csv",
    "/user-attachments/files/1/%252e%252e/%252e%252e/%252e%252e/private/secret.csv",
    "/user-attachments/files/1%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fprivate%2fsecret.csv",
])
def test_an_encoded_dot_dot_is_refused_before_anything_is_fetched(svt, store, decoding_server,
                                                                  path):
    base, seen = decoding_server
    head = git(store, "rev-parse", "HEAD")
    text = log_body(photos=f"[secret.csv]({base}{path})")
    line = refused_in_one_line(from_issue(svt, store, text), store, head)
    assert "is no file attached to this issue" in line
    assert seen == []  # nothing was asked of the server
    # the plain attachment still comes through, from the same server
    from_issue_ok = from_issue(svt, store, log_body(
        photos=f"[iv.csv]({base}/user-attachments/files/1/iv.csv)"))
    assert from_issue_ok.exit_code == 0, from_issue_ok.stderr
    assert seen == ["/user-attachments/files/1/iv.csv"]


# ---- the workflow: svt never holds the token ------------------------------------------------

def test_the_step_that_runs_svt_on_the_body_holds_no_token(tmp_path):
    root = tmp_path / "s"
    Database(root).initialize_schema(ci=("github",), forms=True)
    jobs = yaml.safe_load((root / WORKFLOW).read_text())["jobs"]
    token = re.compile(r"secrets\.|github\.token|GH_TOKEN|GITHUB_TOKEN")
    runs_svt = [step for step in jobs["record"]["steps"]
                if re.search(r"(^|\n)\s*(if !? ?|elif )?svt ", step.get("run", ""))]
    assert runs_svt, "no step runs svt"
    for step in runs_svt:
        assert not token.search(str(step.get("env", {}))), step["name"]
        assert not token.search(step["run"]), step["name"]
    # the body reaches that step only; the step that holds the token runs no svt and
    # pushes with git's hooks off, only to svt/issue-N
    for step in jobs["record"]["steps"]:
        if token.search(str(step.get("env", {}))):
            assert "github.event.issue.body" not in str(step["env"])
            assert not re.search(r"\bsvt --repo", step["run"])
            assert re.findall(r"git\b.*\bpush.*", step["run"]) == [
                'git -c core.hooksPath=/dev/null push origin "HEAD:refs/heads/$branch"']
            assert 'branch="svt/issue-$ISSUE"' in step["run"]

