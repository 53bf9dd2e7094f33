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

from urllib.parse import quote

from ..model.errors import InvalidInput

INSTALL_SITE = 'pip install "svt-records[site]"'
COMPONENTS_DIR = "components"


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
        raise InvalidInput(f"svt site needs {' and '.join(missing)}: {INSTALL_SITE}")


def component_page(component_id: str) -> str:
    """The page of a component, relative to the site's root (ids are svt ids: letters,
    digits and ``._+-``; ``+`` is written %2B in the link)."""
    return f"{COMPONENTS_DIR}/{quote(component_id)}.html"
