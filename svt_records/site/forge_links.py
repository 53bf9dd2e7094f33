"""The links from a record's page to its source on the forge: view the YAML, its history,
edit it; on GitHub, the issue forms that record a test, a log or a move (issue 27); on
GitLab, the Web IDE and the `svt` command to paste.

Only a remote on GitHub or GitLab (:func:`svt_records.git.remote.web_project`) gets links,
the commit links among them (:attr:`Forge.commits`); any other remote gets none. Every part that comes from a record
or a setting (paths, ids, the branch) is URL-quoted, and the links are put in pages only as
attribute values that jinja2 escapes: no record text reaches a URL unquoted.
"""
from __future__ import annotations

import os
import re
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from ..git.remote import web_project

# the issue forms `svt init --forms` writes (issue 27 section 2), each with an input whose id
# is "component"; a link is shown only when the store has the form's file
FORMS_DIR = ".github/ISSUE_TEMPLATE"
FORMS = {"test": "svt-test.yml", "log": "svt-log.yml", "status": "svt-status.yml"}
_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")


@dataclass(frozen=True)
class Forge:
    """A store's project on GitHub or GitLab: its web address, its main branch, and the
    issue forms the store holds (GitHub)."""

    kind: str  # "github" or "gitlab"
    web: str  # https://host/group/project, each part quoted
    project: str  # group/project (quoted)
    branch: str  # quoted, "/" kept
    forms: tuple[str, ...] = ()  # the keys of FORMS whose file the store has

    @property
    def commits(self) -> str:
        """The prefix of a commit's web address (the sha follows)."""
        return f"{self.web}/-/commit/" if self.kind == "gitlab" else f"{self.web}/commit/"

    def _file(self, verb: str, path: str) -> str:
        sep = "/-/" if self.kind == "gitlab" else "/"
        return f"{self.web}{sep}{verb}/{self.branch}/{quote(path)}"

    def links(self, path: str, folder: str | None = None) -> dict[str, str]:
        """view, history (of ``folder``, else of the file) and edit of the store file
        ``path``; on GitLab also ide (the Web IDE)."""
        out = {"view": self._file("blob", path),
               "history": self._file("commits", folder or path),
               "edit": self._file("edit", path)}
        if self.kind == "gitlab":
            out["ide"] = (f"{self.web}/-/ide/project/{self.project}/edit/{self.branch}/-/"
                          f"{quote(path)}")
        return out

    def form(self, key: str, component_id: str) -> str | None:
        """The address of the issue form ``key`` (FORMS) with the component filled in; None
        when the store has no such form or the forge is not GitHub."""
        if self.kind != "github" or key not in self.forms:
            return None
        return f"{self.web}/issues/new?" + urlencode({"template": FORMS[key],
                                                      "component": component_id})


def forge(remote_url: str | None, branch: str, root: Path | None = None) -> Forge | None:
    """The forge of a remote URL (None for a remote on neither GitHub nor GitLab, or one
    whose host is no plain host name); ``root``: the store, whose issue forms are looked
    for (never following a link)."""
    project = web_project(remote_url)
    if project is None:
        return None
    kind, web = project
    host, _, path = web.removeprefix("https://").partition("/")
    if not _HOST.match(host) or not path:
        return None
    path = "/".join(quote(part, safe="") for part in path.split("/") if part)
    forms: tuple[str, ...] = ()
    if kind == "github" and root is not None:
        forms = tuple(key for key, name in FORMS.items()
                      if _is_file(root / FORMS_DIR / name))
    return Forge(kind, f"https://{host}/{path}", path, quote(branch, safe="/"), forms)


@dataclass(frozen=True)
class SiteProject:
    """The store's project as one build links it, worked out once per build (one `git
    config` call) and passed down to every page: the forge (None: no links to it, not even
    to commits)."""

    forge: Forge | None

    @property
    def commits(self) -> str | None:
        """The commit links' prefix (Forge.commits), or None."""
        return self.forge.commits if self.forge is not None else None

    def key(self) -> dict:
        """What every page's links to the forge are made from, as the site's manifest keeps
        it: the forge's kind, address, branch and issue forms present (a change of any means
        every page is made again; the commit links follow from the kind and address)."""
        where = self.forge
        return {"forge": None if where is None else
                [where.kind, where.web, where.project, where.branch, list(where.forms)]}


def site_project(remote_url: str | None, branch: str, root: Path) -> SiteProject:
    """The store's project of a remote URL (its `origin`), main branch and folder."""
    return SiteProject(forge(remote_url, branch, root))


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode) and \
            not any(os.path.islink(p) for p in (path.parent, path.parent.parent))
    except OSError:
        return False


def commands(component_id: str, test_types: list[str]) -> list[str]:
    """The `svt` commands that record a test or a log of a component, to paste (GitLab has
    no issue forms): the id is shell-quoted."""
    cid = shlex.quote(component_id)
    out = [f"svt test {cid} --type {shlex.quote(t)} --data FILE" for t in test_types[:3]]
    if not out:
        out.append(f"svt test {cid} --type TYPE --data FILE")
    out.append(f'svt log {cid} "what happened" --image photo.jpg')
    return out
