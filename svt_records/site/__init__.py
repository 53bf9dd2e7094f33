"""`svt site OUT`: a static web site of the store (home, components, component pages, the
detector map, tests with plots, the validation report), for GitHub/GitLab Pages or a folder.

jinja2 and matplotlib come from the ``site`` extra; :func:`require_extras` says how to
install them. Every link in the site is relative, so it works under a sub-path and from the
file system. The component page's address, ``components/<ID>.html``, is stable: printed
labels point at it (:func:`component_page`). ``labels`` lays out the printed QR labels
that ``svt label`` writes and the site shows.

Every record is untrusted input (docs/security.md): ``stored`` publishes stored files in a
form no browser runs, ``outputs`` writes only plain paths inside OUT, and ``refusals`` says
what the build refuses before it writes anything (links, names that cannot be file names,
an OUT the store tracks).

May import: model, files, git, analysis, store, index, rules, collab, api, exchange.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from ..model.errors import MissingExtra

COMPONENTS_DIR = "components"
# The mode every file svt publishes is created with, less the umask as for any program's
# files (0644 under the usual 022): the site's pages and plots, and labels, which the team
# and a web server read. (tempfile.mkstemp's 0600 would leave them to their writer alone.)
FILE_MODE = 0o666
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def new_file(folder: Path, prefix: str, suffix: str = "") -> Path:
    """A new, empty file in ``folder``, created with :data:`FILE_MODE`: a temporary name
    to write to and then rename into place."""
    import secrets
    for _ in range(100):
        path = folder / f"{prefix}{secrets.token_hex(8)}{suffix}"
        try:  # O_EXCL: never an existing file, nor a link in the way
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise FileExistsError(f"no free temporary name in {folder}")


def require_extras() -> None:
    """Refuse in one line, saying what to install, when jinja2 or matplotlib is missing."""
    import importlib.util
    missing = []
    try:
        import jinja2  # noqa: F401  (the pages need it at once; matplotlib only for plots)
    except ImportError:
        missing.append("jinja2")
    if importlib.util.find_spec("matplotlib") is None:
        missing.append("matplotlib")
    if missing:
        from ..files.install import pip_command
        raise MissingExtra(f"svt site needs {' and '.join(missing)}", "site", pip_command("site"))


def component_page(component_id: str) -> str:
    """The page of a component, relative to the site's root (ids are svt ids: letters,
    digits and ``._+-``; ``+`` is written %2B in the link)."""
    return f"{COMPONENTS_DIR}/{quote(component_id)}.html"
