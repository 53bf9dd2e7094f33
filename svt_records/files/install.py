"""How to install svt (or one of its extras) as this very installation was installed.

A hint such as ``pip install "svt-records[site]"`` works only in a shell where the venv
that holds svt is active, and only if the package is on the index. This module writes the
command that works wherever it is pasted: the interpreter that runs svt (``sys.executable
-m pip``), and the requirement that reproduces this installation, read from PEP 610's
``direct_url.json`` of the installed distribution: ``-e <checkout>[extra]`` for an editable
install, ``svt-records[extra]@git+<url>@<commit>`` for one from git, the archive or folder
it came from, or ``svt-records[extra]==<version>`` for one from an index.

It reads package metadata (importlib.metadata, slow to import): call it only when a message
that needs it is produced. Every message that names an extra gets its command here
(:func:`pip_command`); analysis/, which may not look, raises
:class:`~svt_records.model.errors.MissingExtra` and the CLI completes it (:func:`message`).
"""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlparse

from ..model.errors import MissingExtra

DIST_NAME = "svt-records"
PACKAGE = Path(__file__).resolve().parents[1]  # the svt_records folder this code runs from


class Source(NamedTuple):
    """Where this svt was installed from, as a pip requirement."""

    requirement: str  # one pip argument, extras included: a folder, a URL... (whitespace only
    # in "svt-records[extra] @ URL", so that without an extra it fits svt_install)
    editable: bool  # pip needs ``-e`` before ``requirement`` (a checkout installed editable)
    local: bool  # a path on this machine: another machine (CI) cannot install from it


def install_source(extra: str | None = None) -> Source | None:
    """The requirement that reinstalls this very svt, with ``extra`` (e.g. ``"site"``) if
    given; None when no installed distribution holds this code and it is no checkout."""
    found = _read_installation()
    if found is None:
        return None
    version, direct = found
    extras = f"[{extra}]" if extra else ""
    if not direct or not isinstance(direct.get("url"), str):  # from an index
        return Source(f"{DIST_NAME}{extras}=={version}", False, False) if version else None
    url: str = direct["url"]
    local = urlparse(url).scheme == "file"
    dir_info, vcs = direct.get("dir_info"), direct.get("vcs_info")
    if isinstance(dir_info, dict) and dir_info.get("editable"):
        return Source(f"{_path(url)}{extras}", True, local)
    if isinstance(vcs, dict) and vcs.get("commit_id"):
        url = f"{vcs.get('vcs', 'git')}+{url}@{vcs['commit_id']}"
    subdirectory = direct.get("subdirectory")
    if isinstance(subdirectory, str) and subdirectory:
        url += f"#subdirectory={subdirectory}"
    # pip before 23.3 reads "name@url" as a path: the URL alone names svt, and with an extra
    # the direct reference keeps PEP 508's spaces ("name[extra] @ url"; one quoted argument)
    return Source(f"{DIST_NAME}{extras} @ {url}" if extras else url, False, local)


def install_spec(extra: str | None = None) -> str | None:
    """The pip requirement spec that reproduces this installation, with ``extra`` if given:
    ``svt-records[site] @ git+https://host/svt.git@<commit>`` (from git; without an extra,
    the URL alone),
    ``-e /path/to/checkout[site]`` (an editable checkout: two pip arguments, and a path of
    this machine only), ``svt-records[site]==0.1.0`` (from an index); None if it cannot be
    known. Unquoted: :func:`pip_command` quotes it for a shell. (For a CI file, use
    :func:`install_source`, whose ``local`` says whether another machine can install it.)"""
    source = install_source(extra)
    if source is None:
        return None
    return f"-e {source.requirement}" if source.editable else source.requirement


def pip_command(extra: str | None = None) -> str:
    """The full command that installs ``extra`` (or svt itself) into the Python that runs
    this svt, quoted for a POSIX shell: e.g. ``/opt/venv/bin/python -m pip install -e
    '/home/me/svt[site]'``."""
    source = install_source(extra)
    if source is None:
        requirement = f"{DIST_NAME}[{extra}]" if extra else DIST_NAME
        source = Source(requirement, False, False)
    editable = "-e " if source.editable else ""
    return (f"{shlex.quote(sys.executable)} -m pip install {editable}"
            f"{shlex.quote(source.requirement)}")


def message(error: BaseException) -> str:
    """The message of ``error``, with the install command filled in where it names an extra
    (an error raised where the installation could not be looked at)."""
    if isinstance(error, MissingExtra) and error.command is None:
        error.command = pip_command(error.extra)
    return str(error)


def _path(url: str) -> str:
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url


def _read_installation() -> tuple[str, dict[str, Any] | None] | None:
    """The version and PEP 610 ``direct_url.json`` data (None: installed from an index) of
    the svt-records distribution this code runs from. A checkout run without an
    installation of it counts as an editable install of that folder. None: neither."""
    import importlib.metadata

    dists = []
    for dist in importlib.metadata.distributions(name=DIST_NAME):
        try:
            direct = json.loads(dist.read_text("direct_url.json") or "null")
        except (OSError, ValueError):
            direct = None
        dists.append((dist, direct if isinstance(direct, dict) else None))
    for dist, direct in dists:  # an editable install of the checkout this code is in
        folder = _path(direct.get("url", "")) if direct and isinstance(
            direct.get("dir_info"), dict) and direct["dir_info"].get("editable") else ""
        if folder and PACKAGE.is_relative_to(Path(folder).resolve()):
            return dist.version, direct
    if (PACKAGE.parent / "pyproject.toml").is_file():  # a checkout (on PYTHONPATH, say)
        return "", {"url": PACKAGE.parent.as_uri(), "dir_info": {"editable": True}}
    for dist, direct in dists:  # installed into site-packages: the files are this code
        located = Path(str(dist.locate_file(f"{PACKAGE.name}/__init__.py")))
        if located.resolve() == PACKAGE / "__init__.py":
            return dist.version, direct
    return None
