"""Issue 24, item 0: one path for stores to take new schema keys. A store's schemas/ are its
own authority (`additionalProperties: false`), so a key svt learns later is refused by a store
made before it. `svt validate` notes when a store's schemas are older than svt's; `svt
upgrade` writes svt's current schemas (and CI files) in one commit, keeping the store's own
additions, and that commit is a rule change CI holds for a maintainer's approval."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from svt_records import Database

PACKAGE_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
GITHUB_FILE = ".github/workflows/svt-validate.yml"


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture
def older(tmp_path, gitcmd) -> Path:
    """A store made before main_branch had a pattern, with a status of its own (banana),
    a GitLab job of its own, and the CI files as an older svt wrote them."""
    root = tmp_path / "s"
    Database(root).initialize_schema(pages=True)
    config = root / "schemas/config.schema.json"
    doc = _json(config)
    doc["properties"]["main_branch"].pop("pattern", None)
    config.write_text(json.dumps(doc, indent=2) + "\n")
    defs = root / "schemas/defs.schema.json"
    doc = _json(defs)
    doc["$defs"]["status"]["enum"].append("banana")
    defs.write_text(json.dumps(doc, indent=2) + "\n")
    workflow = root / GITHUB_FILE
    workflow.write_text(workflow.read_text().replace(" --rules-need-approval", ""))
    gitlab = root / ".gitlab-ci.yml"
    gitlab.write_text(gitlab.read_text().replace(" --rules-need-approval", "")
                      + "\n# our own job\nnightly:\n  script:\n    - echo nightly\n")
    gitcmd(root, "commit", "-qam", "as made by an older svt, and our own additions")
    return root


def test_validate_notes_schemas_older_than_svts(older, svt_proc):
    proc = svt_proc("--repo", str(older), "validate")
    note = next((l for l in proc.stderr.splitlines() if "older than" in l), None)
    assert note and note.startswith("note: ") and "svt upgrade" in note, proc.stderr
    assert "config.schema.json" in note and "main_branch" in note
    assert proc.returncode == 0 and ": error:" not in proc.stdout  # a note, not a problem
    assert "older than" not in proc.stdout


def test_upgrade_takes_svts_schemas_keeping_the_stores_additions(older, svt_proc, gitcmd):
    before = gitcmd(older, "rev-parse", "HEAD").strip()
    dry = svt_proc("--repo", str(older), "upgrade", "--dry-run")
    assert "would write schemas/config.schema.json" in dry.stdout, dry.stdout
    assert gitcmd(older, "rev-parse", "HEAD").strip() == before
    done = svt_proc("--repo", str(older), "upgrade")
    assert "Upgraded" in done.stdout and "rules-approved" in done.stdout, done.stdout
    assert gitcmd(older, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert gitcmd(older, "status", "--porcelain") == ""
    # svt's new key is there, the store's own status too
    config = _json(older / "schemas/config.schema.json")
    assert config["properties"]["main_branch"]["pattern"] == \
        _json(PACKAGE_SCHEMAS / "config.schema.json")["properties"]["main_branch"]["pattern"]
    statuses = _json(older / "schemas/defs.schema.json")["$defs"]["status"]["enum"]
    assert statuses[-1] == "banana"
    assert statuses[:-1] == _json(PACKAGE_SCHEMAS / "defs.schema.json")["$defs"]["status"]["enum"]
    # svt's CI anew, the store's own job kept
    assert "--rules-need-approval" in (older / GITHUB_FILE).read_text()
    gitlab = (older / ".gitlab-ci.yml").read_text()
    assert gitlab.count("--rules-need-approval") == 1 and "nightly:" in gitlab
    assert "# our own job\nnightly:" in gitlab
    # nothing left to say or do
    again = svt_proc("--repo", str(older), "validate")
    assert "older than" not in again.stderr, again.stderr
    assert "nothing changed" in svt_proc("--repo", str(older), "upgrade").stdout
    assert gitcmd(older, "rev-list", "--count", f"{before}..HEAD").strip() == "1"


def test_an_upgrade_is_reviewed_as_a_rule_change(older, svt_proc, gitcmd):
    gitcmd(older, "switch", "-q", "-c", "upgrade")
    svt_proc("--repo", str(older), "upgrade")
    proc = svt_proc("--repo", str(older), "validate", "--since", "main",
                    "--rules-need-approval", check=False)
    assert proc.returncode == 1, proc.stdout
    assert "schemas/config.schema.json" in proc.stdout and "rule change" in proc.stdout
    review = svt_proc("--repo", str(older), "review", "main..upgrade").stdout
    rules = review.split("### Rules changed", 1)[1].split("\n### ", 1)[0]
    assert '+      "pattern":' in rules, rules


def test_upgrade_refuses_what_it_cannot_do_and_writes_nothing(older, svt_proc, gitcmd):
    head = gitcmd(older, "rev-parse", "HEAD").strip()
    edited = older / "schemas/config.schema.json"  # one the upgrade writes
    edited.write_text(edited.read_text() + " ")
    refused = svt_proc("--repo", str(older), "upgrade", check=False)
    assert refused.returncode != 0 and "uncommitted" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    gitcmd(older, "checkout", "--", "schemas")
    config = older / "svt.yaml"
    config.write_text(config.read_text().replace("main_branch: main", "main_branch: ma..in"))
    gitcmd(older, "commit", "-qam", "a main branch git refuses")
    head = gitcmd(older, "rev-parse", "HEAD").strip()
    refused = svt_proc("--repo", str(older), "upgrade", check=False)
    assert refused.returncode != 0 and "main_branch" in refused.stderr, refused.stderr
    assert "svt.yaml" in refused.stderr and "Traceback" not in refused.stderr
    assert gitcmd(older, "rev-parse", "HEAD").strip() == head
    assert gitcmd(older, "status", "--porcelain") == ""


def test_a_store_with_svts_schemas_is_not_older(db, svt_proc):
    proc = svt_proc("--repo", str(db.root), "validate")
    assert "older than" not in proc.stderr, proc.stderr
    assert "nothing changed" in svt_proc("--repo", str(db.root), "upgrade").stdout


def test_upgrade_has_help_that_teaches():
    proc = subprocess.run([sys.executable, "-m", "svt_records", "upgrade", "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "--dry-run" in proc.stdout and "Examples" in proc.stdout
