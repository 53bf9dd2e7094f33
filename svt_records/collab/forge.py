"""The CI files svt writes (`svt init`, `--pages`, `svt upgrade`), so every pull/merge request
of a records store is checked, and the CODEOWNERS files that make a maintainer approve changes
to the rules.

The files are built as data and written by svt's YAML emitter: a value from svt.yaml
(``main_branch``, ``svt_install``) is one YAML scalar, never text pasted into the file, and
svt checks both itself first (:mod:`..rules.rulefiles`). In the workflows, every job reads
the repository and nothing else (``contents: read``); only the Pages deploy job may write
Pages; values GitHub takes from the pull request reach scripts only through ``env:``; actions
are pinned by commit, their tag in a comment; pull requests run as ``pull_request`` (the base
repository's secrets and write token are never in reach of a pull request's code).
"""
from __future__ import annotations

import re
from typing import Callable

from .. import __version__
from ..files import yamlio
from ..model.errors import InvalidInput, SvtError
from ..rules.rulefiles import (ALLOW_FLAG, APPROVAL_LABEL, GITLAB_CI, NEED_FLAG, OWNED_PATHS,
                               branch_problem, install_problem, owners)

__all__ = ["APPROVAL_LABEL", "ALLOW_FLAG", "NEED_FLAG"]

DEFAULT_INSTALL = f"svt-records=={__version__}"  # svt.yaml's svt_install overrides it
GITHUB_FILE = ".github/workflows/svt-validate.yml"
GITLAB_FILE = GITLAB_CI
PAGES_GITHUB_FILE = ".github/workflows/svt-pages.yml"
PAGES_DIR = "public"  # what GitLab Pages publishes; GitHub's artifact is the same folder
CODEOWNERS_FILES = (".github/CODEOWNERS", ".gitlab/CODEOWNERS")
FORGES = ("github", "gitlab")  # svt init --ci github,gitlab
OWNED = OWNED_PATHS  # every rule-bearing path, for the maintainers
WRITTEN_BY = "# Written by `svt "  # the first line of every file svt writes here
GITLAB_JOBS = ("svt-validate-mr", "svt-validate-main")
GITLAB_PAGES_JOB = "pages"

# Each action at the commit of its tag (the tag is in a comment after it). Checked against
# the actions' own repositories (git rev-parse TAG^{commit}) and public workflows that pin
# the same commit with the same tag; tests/security/test_ci_workflows.py holds the list.
ACTIONS = {
    "checkout": ("actions/checkout", "34e114876b0b11c390a56381ad16ebd13914f8d5", "v4.3.1"),
    "setup-python": ("actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065",
                     "v5.6.0"),
    "upload-pages-artifact": ("actions/upload-pages-artifact",
                              "56afc609e74202658d3ffba0e8f6dda462b719fa", "v3.0.1"),
    "deploy-pages": ("actions/deploy-pages", "d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e",
                     "v4.0.5"),
}
READ_ONLY = {"contents": "read"}


def _uses(action: str) -> str:
    repo, sha, _ = ACTIONS[action]
    return f"{repo}@{sha}"


def _checked(install: str, main: str) -> None:
    for problem in (branch_problem(main), install_problem(install)):
        if problem:
            raise InvalidInput(f"{problem}: correct it in svt.yaml, then run the command again")


def _document(header: str, data: dict) -> str:
    """``data`` as YAML after the comment ``header``, each pinned action's tag in a comment;
    read back and compared, so no value can change the file's structure."""
    text = yamlio.dump(data)
    if yamlio.load(text).data != data:
        raise SvtError("svt's YAML writer changed a CI file's values: please report this")
    for repo, sha, tag in ACTIONS.values():
        text = re.sub(rf"(?m)^(\s*-? ?uses: {re.escape(repo)}@{sha})$", rf"\1 # {tag}", text)
    return "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) + text


def _setup_steps(install: str) -> list[dict]:
    """The first steps of every GitHub job svt writes: the whole history (validate --since and
    the site's commit links need it) without the token left in .git/config, LFS files,
    Python, svt (the spec through env:, so no shell reads it as code)."""
    return [
        {"uses": _uses("checkout"),
         "with": {"fetch-depth": 0, "lfs": True, "persist-credentials": False}},
        {"uses": _uses("setup-python"), "with": {"python-version": "3.11"}},
        {"name": "Install svt", "env": {"SVT_INSTALL": install},
         "run": 'pip install "$SVT_INSTALL"\n'},
    ]


def github_validate(install: str, main: str) -> str:
    approved = (f"${{{{ contains(github.event.pull_request.labels.*.name, '{APPROVAL_LABEL}')"
                f" && '{ALLOW_FLAG}' || '' }}}}")
    data = {
        "name": "svt validate",
        "on": {"pull_request": {"types": ["opened", "synchronize", "reopened", "labeled",
                                          "unlabeled"]},
               "push": {"branches": [main]}},
        "permissions": dict(READ_ONLY),
        "jobs": {"validate": {"runs-on": "ubuntu-latest", "permissions": dict(READ_ONLY),
                              "steps": [
            *_setup_steps(install),
            # a pull request's checkout is GitHub's merge of it into the base
            {"name": "Validate what the pull request changes",
             "if": "github.event_name == 'pull_request'",
             "env": {"BASE_REF": "${{ github.base_ref }}", "APPROVAL": approved},
             "run": f'svt --repo . validate --since "origin/$BASE_REF" --format github'
                    f' {NEED_FLAG} $APPROVAL\n'},
            {"name": "Validate the whole store", "if": "github.event_name == 'push'",
             "run": "svt --repo . validate --format github\n"},
        ]}},
    }
    return _document(
        "Written by `svt init` (`svt upgrade` writes it anew): checks every pull request's\n"
        "records and annotates the diff. A pull request that changes the rules (schemas/,\n"
        "svt.yaml, .gitattributes, hooks, CI files, CODEOWNERS) fails unless it has the label\n"
        f"{APPROVAL_LABEL}, which a maintainer gives. The job may only read the repository;\n"
        "actions are pinned by commit.", data)


def gitlab_validate_jobs(install: str, main: str) -> dict:
    target = "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    return {
        "svt-validate-mr": {
            "image": "python:3.11",
            "rules": [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}],
            "variables": {"GIT_DEPTH": "0", "SVT_INSTALL": install},
            "script": [
                'pip install "$SVT_INSTALL"',
                # check the merged result: merge the target branch here, as the merge would
                f'git fetch origin "+refs/heads/{target}:refs/remotes/origin/{target}"',
                "git -c user.name=svt-ci -c user.email=svt-ci@localhost merge --no-edit"
                f' "origin/{target}"',
                f'APPROVAL=""; case ",$CI_MERGE_REQUEST_LABELS," in *",{APPROVAL_LABEL},"*)'
                f' APPROVAL="{ALLOW_FLAG}";; esac',
                f'svt --repo . validate --since "origin/{target}" --format gitlab --output'
                f" gl-code-quality-report.json {NEED_FLAG} $APPROVAL",
            ],
            "artifacts": {"when": "always",
                          "reports": {"codequality": "gl-code-quality-report.json"}},
        },
        "svt-validate-main": {
            "image": "python:3.11",
            "rules": [{"if": f'$CI_COMMIT_BRANCH == "{main}"'}],
            "variables": {"SVT_INSTALL": install},
            "script": ['pip install "$SVT_INSTALL"', "svt --repo . validate"],
        },
    }


GITLAB_HEADER = (
    "Written by `svt init` (`svt upgrade` writes its jobs anew): checks every merge request's\n"
    "records (Code Quality widget). A merge request that changes the rules (schemas/,\n"
    "svt.yaml, .gitattributes, hooks, CI files, CODEOWNERS) fails unless it has the label\n"
    f"{APPROVAL_LABEL}, which a maintainer gives.")


def ci_files(install: str = DEFAULT_INSTALL, main: str = "main",
             forges: tuple[str, ...] = FORGES) -> dict[str, bytes]:
    """The validation CI of each of ``forges``."""
    _checked(install, main)
    files = {}
    if "github" in forges:
        files[GITHUB_FILE] = github_validate(install, main).encode()
    if "gitlab" in forges:
        files[GITLAB_FILE] = _document(GITLAB_HEADER,
                                       gitlab_validate_jobs(install, main)).encode()
    return files


# ---- svt init --pages: publish `svt site` from the main branch ----------------------------

def github_pages(install: str, main: str) -> str:
    data = {
        "name": "svt pages",
        "on": {"push": {"branches": [main]}, "workflow_dispatch": {}},
        "permissions": dict(READ_ONLY),
        "concurrency": {"group": "pages", "cancel-in-progress": False},
        "jobs": {
            # a run started by hand (workflow_dispatch) publishes the main branch only
            "build": {"if": f"github.ref == 'refs/heads/{main}'", "runs-on": "ubuntu-latest",
                      "permissions": dict(READ_ONLY), "steps": [
                *_setup_steps(install),
                {"name": "Build the site", "run": f"svt --repo . site {PAGES_DIR}\n"},
                {"uses": _uses("upload-pages-artifact"), "with": {"path": PAGES_DIR}},
            ]},
            # only this job may publish, and it runs no code of the store's
            "deploy": {"needs": "build", "runs-on": "ubuntu-latest",
                       "permissions": {"pages": "write", "id-token": "write"},
                       "environment": {"name": "github-pages",
                                       "url": "${{ steps.deployment.outputs.page_url }}"},
                       "steps": [{"id": "deployment", "uses": _uses("deploy-pages")}]},
        },
    }
    return _document(
        "Written by `svt init --pages` (`svt upgrade` writes it anew): builds the records' web\n"
        "site (svt site) from the main branch and publishes it with GitHub Pages (Settings >\n"
        "Pages > Source: GitHub Actions). Anyone who can see the Pages site sees the records:\n"
        "publish only what may be read. The build reads the repository only; the deploy job\n"
        "alone may write Pages.", data)


PAGES_GITLAB_HEADER = (
    "Written by `svt init --pages`: builds the records' web site (svt site) from the main\n"
    "branch and publishes it with GitLab Pages. Anyone who can see the Pages site sees the\n"
    "records.")


def gitlab_pages_job(install: str, main: str) -> dict:
    return {GITLAB_PAGES_JOB: {
        "image": "python:3.11",
        "rules": [{"if": f'$CI_COMMIT_BRANCH == "{main}"'}],
        "variables": {"GIT_DEPTH": "0", "SVT_INSTALL": install},
        "script": ['pip install "$SVT_INSTALL"', f"svt --repo . site {PAGES_DIR}"],
        "artifacts": {"paths": [PAGES_DIR]},
    }}


def with_site_extra(install: str) -> str:
    """svt_install with the ``site`` extra: ``svt-records==1.0`` becomes
    ``svt-records[site]==1.0``, ``svt-records@URL`` ``svt-records[site] @ URL`` (pip before
    23.3 reads "name@URL" without spaces as a path), a URL
    ``svt-records[site] @ URL``, a folder ``FOLDER[site]``."""
    direct = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?@(\S+)", install)
    if direct:
        extras = [e.strip() for e in (direct.group(2) or "").split(",") if e.strip()]
        extras += [] if "site" in extras else ["site"]
        return f"{direct.group(1)}[{','.join(extras)}] @ {direct.group(3)}"  # PEP 508 spaces
    named = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?\s*([=<>!~].*)?", install)
    if named and not named.group(1).endswith((".", "/")) and "/" not in install.split("=")[0]:
        extras = [e.strip() for e in (named.group(2) or "").split(",") if e.strip()]
        extras += [] if "site" in extras else ["site"]
        return f"{named.group(1)}[{','.join(extras)}]{named.group(3) or ''}"
    if "://" in install or install.startswith("git+"):
        return f"svt-records[site] @ {install}"
    return f"{install}[site]"


def _top_level_keys(text: str) -> set[str]:
    return {b[0] for b in _blocks(text) if b[0] is not None}


def pages_files(install: str, main: str, gitlab_ci: str | None,
                forges: tuple[str, ...] = FORGES) -> dict[str, bytes]:
    """The Pages CI of each of ``forges``: a GitHub workflow of its own, and the GitLab
    ``pages`` job added at the end of ``gitlab_ci`` (the current .gitlab-ci.yml text, None
    when there is none; left out when it has a ``pages`` job already)."""
    _checked(install, main)
    site_install = with_site_extra(install)
    files = {}
    if "github" in forges:
        files[PAGES_GITHUB_FILE] = github_pages(site_install, main).encode()
    job = _document(PAGES_GITLAB_HEADER, gitlab_pages_job(site_install, main))
    if "gitlab" not in forges:
        pass
    elif gitlab_ci is None:
        files[GITLAB_FILE] = job.encode()
    elif GITLAB_PAGES_JOB not in _top_level_keys(gitlab_ci):
        files[GITLAB_FILE] = (gitlab_ci.rstrip("\n") + "\n\n" + job).encode()
    return files


# ---- svt init --forms: recording through GitHub issue forms -------------------------------

def github_issue_workflow(install: str, main: str, authors: list[str] | tuple[str, ...]) -> str:
    from .issueflow import HEADER, issue_workflow
    return _document(HEADER, issue_workflow(_setup_steps(install), main, authors))


def forms_files(install: str, main: str,
                authors: list[str] | tuple[str, ...] | None = None) -> dict[str, bytes]:
    """The issue forms and the workflow that records them (``authors``: svt.yaml's
    issue_authors, None for the default)."""
    from .forms import issue_forms
    from .issueflow import DEFAULT_AUTHORS, ISSUE_WORKFLOW
    _checked(install, main)
    workflow = github_issue_workflow(install, main, authors or DEFAULT_AUTHORS)
    return {**issue_forms(), ISSUE_WORKFLOW: workflow.encode()}


# ---- svt upgrade: svt's CI files written anew ---------------------------------------------

def _blocks(text: str) -> list[tuple[str | None, str]]:
    """A YAML file as its top-level entries: (key, text), each with the comment lines just
    before it and the blank lines after it; (None, text) for what comes before the first."""
    out: list[tuple[str | None, str]] = []
    pending: list[str] = []  # comments and blanks not yet given to an entry
    for line in text.splitlines(keepends=True):
        top = line[:1] not in ("", " ", "\t", "#", "\n", "\r", "-")
        if top:
            key = line.split(":", 1)[0].strip().strip("\"'")
            # comments directly before the key are its own; blank lines before them are not
            cut = len(pending)
            while cut and pending[cut - 1].lstrip().startswith("#"):
                cut -= 1
            if pending[:cut]:
                if out:
                    out[-1] = (out[-1][0], out[-1][1] + "".join(pending[:cut]))
                else:
                    out.append((None, "".join(pending[:cut])))
            out.append((key, "".join(pending[cut:]) + line))
            pending = []
        elif out and out[-1][0] is not None and line.strip() and not line.startswith("#"):
            out[-1] = (out[-1][0], out[-1][1] + "".join(pending) + line)
            pending = []
        else:
            pending.append(line)
    if pending:
        out.append((None, "".join(pending)))
    return out


def _ends(text: str) -> str:
    return text.rstrip("\n") + "\n"


def refreshed_ci(read: Callable[[str], str | None], install: str, main: str,
                 authors: list[str] | tuple[str, ...] | None = None) -> dict[str, bytes]:
    """svt's CI files as this svt writes them, for the ones the store has (``read``: a file's
    text, None when absent): the GitHub workflows svt wrote (the issue workflow with
    ``authors``, svt.yaml's issue_authors), and svt's jobs in .gitlab-ci.yml (the store's
    own jobs there are kept as they are). Only what differs."""
    from .issueflow import DEFAULT_AUTHORS, ISSUE_WORKFLOW
    _checked(install, main)
    out: dict[str, bytes] = {}
    site = with_site_extra(install)
    issue = (read(ISSUE_WORKFLOW) or "").startswith(WRITTEN_BY) and github_issue_workflow(
        install, main, authors or DEFAULT_AUTHORS)
    for path, text in ((GITHUB_FILE, github_validate(install, main)),
                       (PAGES_GITHUB_FILE, github_pages(site, main)),
                       (ISSUE_WORKFLOW, issue or "")):
        old = read(path)
        if old is not None and old.startswith(WRITTEN_BY) and old != text:
            out[path] = text.encode()
    old = read(GITLAB_FILE)
    if old is not None:
        jobs = {GITLAB_JOBS[0]: _document(GITLAB_HEADER, {
                    GITLAB_JOBS[0]: gitlab_validate_jobs(install, main)[GITLAB_JOBS[0]]}),
                GITLAB_JOBS[1]: yamlio.dump({
                    GITLAB_JOBS[1]: gitlab_validate_jobs(install, main)[GITLAB_JOBS[1]]}),
                GITLAB_PAGES_JOB: _document(PAGES_GITLAB_HEADER, gitlab_pages_job(site, main))}
        parts = []
        for key, block in _blocks(old):
            svt_pages = key == GITLAB_PAGES_JOB and WRITTEN_BY + "init --pages" in block
            if key is not None and (key in GITLAB_JOBS or svt_pages):
                trail = block[len(block.rstrip("\n")):]
                parts.append(_ends(jobs[key]) + (trail[1:] if len(trail) > 1 else ""))
            else:
                parts.append(block)
        text = "".join(parts)
        if text != old:
            out[GITLAB_FILE] = text.encode()
    return out


# ---- CODEOWNERS --------------------------------------------------------------------------

CODEOWNERS_HEADER = (
    "# Written by `svt init`: who must approve changes to the rules the records are checked\n"
    "# against: schemas, settings, attributes, hooks, the CI files and this file. Binding only\n"
    "# with branch protection (see docs/how-to/review.md). Owners come from maintainers in svt.yaml.\n")
OLD_NOTE = "# add maintainers (svt init --maintainer @NAME) and uncomment:\n"  # as older svt wrote it
NO_OWNER_NOTE = (
    "# Nobody is named yet, so nobody owns these files and svt validate warns: name the\n"
    "# maintainers with `svt upgrade --maintainer @NAME` (it fills in the lines below).\n")
PLACEHOLDER = "# /{path} @maintainer"


def _example(path: str) -> str:
    """A file a CODEOWNERS line for ``path`` must cover (a folder: a file in it)."""
    return path + "x" if path.endswith("/") else path


def _owner_line(path: str, maintainers: list[str] | tuple[str, ...]) -> str:
    return f"/{path} {' '.join(maintainers)}" if maintainers else PLACEHOLDER.format(path=path)


def owner_files(forges: tuple[str, ...] = FORGES) -> tuple[str, ...]:
    """The CODEOWNERS file svt writes for each of ``forges``."""
    return tuple(f for f in CODEOWNERS_FILES if f.split("/")[0].lstrip(".") in forges)


def codeowners(maintainers: list[str] | tuple[str, ...],
               ci_paths: tuple[str, ...] = (),
               forges: tuple[str, ...] = FORGES) -> dict[str, bytes]:
    """CODEOWNERS for GitHub and GitLab (those of ``forges``), owning every rule-bearing
    file and ``ci_paths``; without maintainers, placeholders (and svt validate warns that
    nobody owns the CI)."""
    paths = list(OWNED) + [p for p in ci_paths if not any(
        _example(p).startswith(o) or p == o for o in OWNED)]
    text = CODEOWNERS_HEADER + ("" if maintainers else NO_OWNER_NOTE) + "".join(
        _owner_line(p, maintainers) + "\n" for p in paths)
    return {path: text.encode() for path in owner_files(forges)}


def _placeholders_filled(lines: list[str]) -> str:
    """CODEOWNERS text with svt's placeholders read as lines (to tell what they cover)."""
    return "\n".join(l[2:] if l.startswith("# /") and l.endswith(" @maintainer") else l
                     for l in lines)


def codeowners_update(read: Callable[[str], str | None], ci_paths: list[str],
                      maintainers: list[str] | tuple[str, ...],
                      forges: tuple[str, ...] = FORGES) -> dict[str, bytes]:
    """What CODEOWNERS needs so that every rule-bearing file and each of ``ci_paths`` has a
    line: a missing file is written whole; in one that exists, a path nobody owns gets its
    line (filling in svt's placeholder, if there is one) when ``maintainers`` are known, a
    placeholder otherwise. Lines that name owners are never changed."""
    out: dict[str, bytes] = {}
    for file in owner_files(forges):
        old = read(file)
        if old is None:
            out[file] = codeowners(maintainers, tuple(ci_paths))[file]
            continue
        lines = old.splitlines()
        for path in list(OWNED) + list(ci_paths):
            if owners("\n".join(lines), _example(path)):
                continue
            placeholder = PLACEHOLDER.format(path=path)
            if maintainers:
                if placeholder in lines:
                    lines[lines.index(placeholder)] = _owner_line(path, maintainers)
                else:
                    lines.append(_owner_line(path, maintainers))
            elif not owners(_placeholders_filled(lines), _example(path)):
                lines.append(placeholder)
        text = "\n".join(lines) + "\n"
        if maintainers:
            text = text.replace(NO_OWNER_NOTE, "").replace(OLD_NOTE, "")
        if text != old:
            out[file] = text.encode()
    return out
