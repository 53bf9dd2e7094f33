"""Issue 24, item 4: wherever svt writes CI files it writes CODEOWNERS lines for them too
(the generated CODEOWNERS did not cover svt-pages.yml, and `svt init --no-ci --pages` wrote
none), and until a maintainer is named `svt validate` warns that nobody owns them, in a
store that has CI files only. The command the warning suggests works when pasted."""
from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from svt_records import Database

CODEOWNERS = (".github/CODEOWNERS", ".gitlab/CODEOWNERS")
GITHUB_OWNERS = ".github/CODEOWNERS"
GITLAB_OWNERS = ".gitlab/CODEOWNERS"
CI_FILES = {".github/workflows/svt-validate.yml": GITHUB_OWNERS,
            ".github/workflows/svt-pages.yml": GITHUB_OWNERS,
            ".gitlab-ci.yml": GITLAB_OWNERS}


def _owned(root: Path, path: str) -> list[str]:
    """The owners of ``path`` by the CODEOWNERS its forge reads: the last line whose pattern
    (a file, or a folder ending in /) matches wins (the patterns svt writes)."""
    found: list[str] = []
    for line in (root / CI_FILES[path]).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *who = line.split()
            name = pattern.lstrip("/")
            if path == name or name.endswith("/") and path.startswith(name) or pattern == "*":
                found = who
    return found


def test_init_pages_owns_the_pages_workflow(svt, tmp_path):
    root = tmp_path / "s"
    svt("init", str(root), "--pages", "--maintainer", "@alice")
    for path in CI_FILES:
        assert (root / path).is_file()
        assert _owned(root, path) == ["@alice"], path


def test_init_pages_on_an_existing_store_owns_what_it_adds(svt, tmp_path, gitcmd):
    """A store whose CODEOWNERS (as older svt wrote it) names each CI file: `--pages` adds
    the line for the Pages workflow, with svt.yaml's maintainers."""
    root = tmp_path / "s"
    svt("init", str(root), "--ci", "github,gitlab", "--maintainer", "@alice")
    older = "".join(f"/{p} @alice\n" for p in ("schemas/", "svt.yaml", ".gitattributes",
                                                ".github/workflows/svt-validate.yml",
                                                ".gitlab-ci.yml", ".github/CODEOWNERS",
                                                ".gitlab/CODEOWNERS"))
    for path in CODEOWNERS:
        (root / path).write_text("# Written by `svt init`\n" + older)
    gitcmd(root, "commit", "-qam", "CODEOWNERS as older svt wrote it")
    svt("init", str(root), "--pages")
    for path in CI_FILES:
        assert _owned(root, path) == ["@alice"], path
    assert gitcmd(root, "status", "--porcelain") == ""


def test_init_no_ci_pages_writes_codeowners_for_its_ci(svt, tmp_path):
    """--no-ci is a no-op now (issue 29): --pages brings the validation CI, all owned."""
    root = tmp_path / "s"
    result = svt("init", str(root), "--no-ci", "--pages", "--maintainer", "@alice")
    assert "--no-ci is no longer needed" in result.stderr
    for path in CI_FILES:
        assert _owned(root, path) == ["@alice"], path


def _warning(proc: subprocess.CompletedProcess) -> str | None:
    return next((l for l in proc.stderr.splitlines() if "nobody owns" in l), None)


def test_validate_warns_until_a_maintainer_owns_the_ci_files(tmp_path, svt_proc, gitcmd):
    root = tmp_path / "s"
    Database(root).initialize_schema(pages=True)
    proc = svt_proc("--repo", str(root), "validate")
    warning = _warning(proc)
    assert warning and warning.startswith("warning: "), proc.stderr
    for path in CI_FILES:
        assert path in warning
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    # the command it names, pasted
    command = re.search(r"`(svt [^`]+)`", warning)[1].replace("@NAME", "@alice")
    done = svt_proc(*shlex.split(command)[1:], cwd=root)
    assert "Upgraded" in done.stdout, done.stdout + done.stderr
    for path in CI_FILES:
        assert _owned(root, path) == ["@alice"], path
    assert "@alice" in (root / "svt.yaml").read_text()
    assert _warning(svt_proc("--repo", str(root), "validate")) is None


def test_no_warning_in_a_store_without_ci_files(tmp_path, svt_proc):
    root = tmp_path / "s"
    Database(root).initialize_schema(ci=False)
    proc = svt_proc("--repo", str(root), "validate")
    assert _warning(proc) is None, proc.stderr


@pytest.mark.parametrize("text, owned", [
    ("/.github/ @a\n", True),
    ("* @a\n", True),
    ("/.github/ @a\n/.github/workflows/ \n", False),  # the last match wins: nobody
    ("# /.github/ @maintainer\n", False),
    ("*.yml @a\n", True),
    ("/docs/ @a\n", False),
    ("[Rules] @a\n/.github/\n", True),  # GitLab: a section's default owners
])
def test_codeowners_lines_are_read_as_the_forges_read_them(text, owned):
    from svt_records.rules.rulefiles import owners
    assert bool(owners(text, ".github/workflows/svt-pages.yml")) == owned
