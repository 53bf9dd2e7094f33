"""The files a store's checks follow, and what svt checks of them itself.

A pull request controls every file of a store, its ``schemas/`` and ``svt.yaml`` too, so what
protects svt and its CI is built in here rather than read from the store: which files bear
rules (a change to any of them is a rule change, :mod:`.rulechanges`), what a branch name and
an install spec written into CI files may look like, and who owns the CI files (CODEOWNERS).
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store.base import StoreBase

APPROVAL_LABEL = "rules-approved"  # a maintainer's label: the branch may change the rules
ALLOW_FLAG = "--allow-rule-changes"  # validate: a maintainer approved the rule change
NEED_FLAG = "--rules-need-approval"  # validate (CI): any rule change is an error unless allowed

# a change to any of these changes the rules: what is checked (schemas, svt.yaml), how git
# treats files (.gitattributes anywhere), which checks run (hooks, CI) and who approves
GITLAB_CI = ".gitlab-ci.yml"
# what CODEOWNERS gives the maintainers, in the order it lists them (collab/forge writes it)
OWNED_PATHS = ("schemas/", "svt.yaml", ".gitattributes", ".pre-commit-config.yaml", ".github/",
               ".gitlab/", GITLAB_CI)
RULE_FOLDERS = tuple(p for p in OWNED_PATHS if p.endswith("/"))
RULE_FILES = tuple(p for p in OWNED_PATHS if not p.endswith("/")) + ("CODEOWNERS",
                                                                     "docs/CODEOWNERS")

GITHUB_WORKFLOWS = ".github/workflows"
# where each forge looks for CODEOWNERS, in its order (the first found is the one it reads)
GITHUB_OWNERS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
GITLAB_OWNERS = ("CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")

# A branch name svt writes into CI files: what git allows (git check-ref-format --branch),
# narrowed to characters that mean nothing to YAML, a shell, GitHub's branch filters or
# GitLab's rules. The same pattern is in schemas/config.schema.json (main_branch).
BRANCH_RE = re.compile(r"(?!.*(?:\.\.|//|/\.|\.lock/))(?!.*(?:\.lock|/|\.)$)(?!HEAD$)"
                       r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}")
INSTALL_RE = re.compile(r"[^\s\"'`$\\]{1,500}")  # svt_install: what pip installs in CI
# a CODEOWNERS owner, as config.schema.json's maintainers say: @user, @org/team or an email
OWNER_RE = re.compile(r"@[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_./-]*)?"
                      r"|[^@\s]+@[^@\s]+")


def is_rule_file(path: str) -> bool:
    """A file the checks of a store follow (schemas, settings, attributes, hooks, CI, owners)."""
    return (path.startswith(RULE_FOLDERS) or path in RULE_FILES
            or path.rsplit("/", 1)[-1] == ".gitattributes")


def branch_problem(name: Any) -> str | None:
    """Why ``name`` cannot be the main branch svt writes into CI files; None if it can."""
    if isinstance(name, str) and BRANCH_RE.fullmatch(name):
        return None
    return (f"main_branch {name!r} is not a branch name svt writes into CI files: use letters,"
            " digits and . _ - / (no .., no // and no leading -), e.g. main")


def install_problem(spec: Any) -> str | None:
    """Why ``spec`` cannot be what CI installs with pip; None if it can."""
    if isinstance(spec, str) and INSTALL_RE.fullmatch(spec):
        return None
    return (f"svt_install {spec!r} cannot go into CI files: write it without spaces, quotes,"
            " $ or backslashes, e.g. svt-records==0.1.0 or git+https://github.com/ORG/svt@v0.1.0")


def config_problems(data: dict) -> list[tuple[tuple, str]]:
    """svt.yaml's values that CI files take, checked by svt whatever the store's schema says:
    (field path, message) pairs."""
    found = []
    if "main_branch" in data and branch_problem(data["main_branch"]):
        found.append((("main_branch",), str(branch_problem(data["main_branch"]))))
    if "svt_install" in data and install_problem(data["svt_install"]):
        found.append((("svt_install",), str(install_problem(data["svt_install"]))))
    return found


# ---- CODEOWNERS --------------------------------------------------------------------------

def _pattern(pattern: str) -> re.Pattern:
    """A CODEOWNERS pattern (gitignore-like) as a regular expression over store paths."""
    anchored = "/" in pattern.rstrip("/")
    folder = pattern.endswith("/")
    body = pattern.strip("/")
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    tail = "/.*" if folder else "" if body.endswith("*") else "(?:/.*)?"
    return re.compile(("" if anchored else "(?:.*/)?") + "".join(out) + tail)


def owners(text: str, path: str) -> list[str]:
    """Who owns ``path`` by a CODEOWNERS file's text: the last entry that matches it wins (in
    each GitLab section; any section's owners count). Empty: nobody."""
    sections: dict[str, list[str]] = {}
    section, defaults = "", []
    for raw in text.splitlines():
        line = raw.replace("\\ ", "\0").split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("[", "^[")):  # GitLab: [Section][N] @default-owners
            section = line.split("]", 1)[0].lstrip("^[").lower()
            defaults = [w for w in line.rsplit("]", 1)[1].split() if not w.startswith("[")]
            continue
        pattern, *who = line.split()
        pattern = pattern.replace("\0", " ")
        exclude = pattern.startswith("!")
        if _pattern(pattern.lstrip("!")).fullmatch(path):
            sections[section] = [] if exclude else (who or defaults)
    return [o for who in sections.values() for o in who]


def ci_files(root: str) -> list[str]:
    """The CI files of the store at ``root``: GitHub workflows and .gitlab-ci.yml."""
    found = []
    try:
        with os.scandir(os.path.join(root, GITHUB_WORKFLOWS)) as entries:
            found = sorted(f"{GITHUB_WORKFLOWS}/{e.name}" for e in entries
                           if e.name.endswith((".yml", ".yaml")))
    except OSError:
        pass
    if os.path.isfile(os.path.join(root, GITLAB_CI)):
        found.append(GITLAB_CI)
    return found


def _read(root: str, rel: str) -> str | None:
    try:
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def unowned_ci_files(root: str) -> list[tuple[str, str | None]]:
    """(CI file, the CODEOWNERS file its forge reads, None if none) for every CI file no
    owner is named for."""
    out = []
    for path in ci_files(root):
        where = GITHUB_OWNERS if path.startswith(".github/") else GITLAB_OWNERS
        found = next(((rel, text) for rel in where
                      if (text := _read(root, rel)) is not None), None)
        if found is None or not owners(found[1], path):
            out.append((path, found[0] if found else None))
    return out


def store_notes(store: "StoreBase") -> None:
    """What `svt validate` tells about the store's rule files besides the problems of its
    records: schemas older than svt's (a note), CI files nobody owns (a warning)."""
    from .schemaupgrade import older_than_svt
    root = str(store.root)
    older = older_than_svt(store.schema_dir)
    if older:
        store.notes.append(f"this store's schemas/ are older than this svt's ({older}): run"
                           " `svt upgrade` to take svt's current schemas (the store's own"
                           " additions are kept), and merge that as a rule change")
    unowned = unowned_ci_files(root)
    if unowned:
        names = ", ".join(path for path, _ in unowned)
        store.warnings.append(f"nobody owns the CI files {names} (no CODEOWNERS entry with an"
                              " owner), so a pull request may change the checks it is checked"
                              " by without a maintainer's review: name the maintainers with"
                              " `svt upgrade --maintainer @NAME`")
