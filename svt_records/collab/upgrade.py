"""`svt upgrade`: a store takes this svt's rules in one commit, reviewed as a rule change.

A store's ``schemas/`` are its own authority, so a key svt learns later (a new field, a
pattern) reaches a store made before only through this one path: svt's current schemas
merged with the store's own additions (:mod:`..rules.schemaupgrade`), svt's CI files as this
svt writes them (the store's own jobs and workflows are left alone), CODEOWNERS lines for
every rule-bearing file, and ``svt_install`` moved to this release when it pins an older one.
The commit changes rule-bearing files, so CI passes it only with a maintainer's approval.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import NamedTuple

from .. import __version__
from ..files import schema, yamlio
from ..model.errors import InvalidInput
from ..rules.rulefiles import OWNER_RE, ci_files, config_problems
from ..rules.schemaupgrade import FileUpgrade, upgraded
from ..store.base import StoreBase
from ..store.layout import CONFIG_FILE
from ..store.txn import Change
from .forge import DEFAULT_INSTALL, codeowners_update, refreshed_ci

PINNED_RELEASE = re.compile(r"svt-records==([0-9][0-9A-Za-z.+-]*)")


class Plan(NamedTuple):
    """What `svt upgrade` writes: the change, each schema file's merge, and notes."""
    change: Change
    schemas: list[FileUpgrade]
    notes: list[str]
    settings: list[str]  # the keys of svt.yaml it changes


def plan(store: StoreBase, maintainers: tuple[str, ...] = ()) -> Plan:
    """The upgrade of ``store`` as one change (nothing written)."""
    for name in maintainers:
        if not OWNER_RE.fullmatch(name):
            raise InvalidInput(f"--maintainer {name!r} is no owner CODEOWNERS can name: give"
                               " @user, @org/team or an email address")
    store.require()
    root = Path(store.root)
    read_config = store.read(CONFIG_FILE, kind="config")
    config = dict(read_config.data)
    notes: list[str] = []
    change = Change(f"upgrade: take svt {__version__}'s schemas and CI files (a rule change:"
                    " a maintainer approves it)")
    files = upgraded(store.schema_dir)
    for f in files:
        if f.text is not None:
            rel = f"schemas/{f.name}"
            change.contents[rel] = f.text.encode("utf-8")
            if (root / rel).is_file():
                change.expected[rel] = (root / rel).read_bytes()
    install = config.get("svt_install") or DEFAULT_INSTALL
    pinned = PINNED_RELEASE.fullmatch(install) if isinstance(install, str) else None
    if pinned and pinned.group(1) != __version__:
        config["svt_install"] = install = DEFAULT_INSTALL
    elif install != DEFAULT_INSTALL:
        notes.append(f"CI installs {install} (svt_install in svt.yaml): the CI files written"
                     f" now need svt {__version__} or later there")
    if maintainers:
        known = list(config.get("maintainers") or [])
        config["maintainers"] = known + [m for m in maintainers if m not in known]
    _check_config(config, files, Path(store.schema_dir))
    settings = [k for k in config if config[k] != read_config.data.get(k)]
    if settings:
        store.stage_replace(change, read_config, config, "config")

    def read(path: str) -> str | None:
        return yamlio.read_text(root / path) if (root / path).is_file() else None

    main = config.get("main_branch") or store.main_branch
    for path, data in refreshed_ci(read, install, main, config.get("issue_authors")).items():
        change.contents[path] = data
        change.expected[path] = read(path) or ""
    ci = sorted(set(ci_files(str(root))) | {p for p in change.contents
                                            if p.startswith(".github/") or p == ".gitlab-ci.yml"})
    if ci:
        for path, data in codeowners_update(read, ci, config.get("maintainers") or ()).items():
            change.contents[path] = data
            if (root / path).is_file():
                change.expected[path] = yamlio.read_text(root / path)
    elif maintainers:
        notes.append("this store has no CI files, so no CODEOWNERS was written")
    return Plan(change, files, notes, settings)


def _check_config(config: dict, files: list[FileUpgrade], store_dir: Path) -> None:
    """svt.yaml must pass the upgraded config schema and svt's own checks."""
    found = list(config_problems(config))
    with tempfile.TemporaryDirectory(prefix="svt-upgrade-") as tmp:
        for f in files:
            text = f.text if f.text is not None else \
                (store_dir / f.name).read_text(encoding="utf-8")
            Path(tmp, f.name).write_text(text, encoding="utf-8")
        found += schema.check(config, "config", tmp, reference=True)
    if found:
        path, message = found[0]
        raise InvalidInput(f"{CONFIG_FILE}: {message}; svt's current schemas need it: correct"
                           f" {CONFIG_FILE} (and commit it), then run svt upgrade again")


def upgrade(store: StoreBase, maintainers: tuple[str, ...] = (),
            dry_run: bool = False) -> tuple[Plan, str | None]:
    """Plan the upgrade and commit it (not with ``dry_run``): (plan, commit or None when
    there is nothing to change)."""
    found = plan(store, maintainers)
    if dry_run or not found.change.contents:
        return found, None
    return found, store.commit(found.change)


def describe(found: Plan) -> list[str]:
    """What the upgrade writes, a line each, for the command's output and the commit body."""
    lines = []
    for f in found.schemas:
        if f.text is None:
            continue
        lines.append(f"schemas/{f.name}: svt's current schema" + "".join(
            f"; {label} {', '.join(items[:4])}{' ...' if len(items) > 4 else ''}"
            for label, items in (("adds", f.added), ("keeps the store's", f.kept),
                                 ("replaces the store's", f.replaced)) if items))
    for path in sorted(found.change.contents):
        if not path.startswith("schemas/"):
            lines.append(f"{path}: {_what(path, found.settings)}")
    return lines


def _what(path: str, settings: list[str]) -> str:
    if path == CONFIG_FILE:
        return "sets " + " and ".join(settings)
    if "CODEOWNERS" in path:
        return "lines for the rule-bearing files nobody owned"
    return "svt's CI as this svt writes it (the store's own jobs are kept)"


__all__ = ["Plan", "plan", "upgrade", "describe"]
