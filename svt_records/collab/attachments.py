"""Fetching the files people attach to an issue form (`svt from-issue`): the only network
code of svt, loaded by that command alone.

Only GitHub's attachment addresses are fetched (``https://github.com/user-attachments/...``
and the repository's own ``/assets/`` and ``/files/``), and a redirect only to the hosts
GitHub serves them from; each file is capped (the store's ``max_file_mb``) before and while
it is read, refused when a browser would run it (HTML, XML, an SVG with active content),
and written under a path-safe name into a new folder of the caller's, never outside it and
never through a link. A private repository's attachments are served to no workflow token,
so there svt fetches nothing and says where to upload the files instead.
"""
from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, NamedTuple
from urllib.parse import unquote, urlsplit

from ..model.errors import InvalidInput
from ..model.names import is_path_safe
from ..rules.safety import ACTIVE_SUFFIXES, SVG_SUFFIX, svg_activity
from .forms import Link

MAX_FILES = 20  # attachments of one issue
MAX_REDIRECTS = 5
MAX_URL = 2048  # characters of an attachment's address (GitHub's are < 200)
TIMEOUT = 60  # seconds, per connection
# where github.com sends an attachment's address (signed, short-lived links)
GITHUB_FILE_HOSTS = frozenset({
    "github.com", "private-user-images.githubusercontent.com",
    "objects.githubusercontent.com", "user-images.githubusercontent.com",
    "github-production-user-asset-6210df.s3.amazonaws.com"})
SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
            "image/webp": ".webp", "text/csv": ".csv", "text/plain": ".txt",
            "application/pdf": ".pdf", "application/zip": ".zip"}
_ACTIVE_TYPES = re.compile(r"(text/html|xml|application/xhtml|javascript)", re.IGNORECASE)


class Allowed(NamedTuple):
    """What may be fetched: addresses starting with one of ``prefixes``, redirects only to
    ``hosts`` (host[:port]) by one of ``schemes``."""
    prefixes: tuple[str, ...]
    hosts: frozenset[str]
    schemes: tuple[str, ...] = ("https",)


def github_allowed(repository: str) -> Allowed:
    """GitHub's attachment addresses, for the repository ``OWNER/NAME``."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        raise InvalidInput(f"--repository {repository[:60]!r} is no GitHub OWNER/NAME")
    base = "https://github.com/"
    return Allowed((f"{base}user-attachments/assets/", f"{base}user-attachments/files/",
                    f"{base}{repository}/assets/", f"{base}{repository}/files/"),
                   GITHUB_FILE_HOSTS)


def _in_attachments(url: str, allowed: Allowed) -> bool:
    """Whether ``url`` is an address under one of the prefixes, and stays there however
    often a server decodes it: no "..", "\\", empty part, query or fragment, plain or
    percent-encoded (%2e%2e, %2f, %5c, %252e)."""
    prefix = next((p for p in allowed.prefixes if url.startswith(p)), None)
    if prefix is None or len(url) > MAX_URL:
        return False
    rest = decoded = url[len(prefix):]
    while unquote(decoded) != decoded:  # %252e is %2e to a server that decodes twice
        decoded = unquote(decoded)
    return (bool(rest) and ".." not in decoded and decoded.count("/") == rest.count("/")
            and not any(c in decoded for c in "?#\\")
            and all(part.strip() for part in decoded.split("/")))


def check_links(links: list[Link], allowed: Allowed) -> None:
    """Refuse, before anything is fetched or written, a link that is no attachment."""
    if len(links) > MAX_FILES:
        raise InvalidInput(f"the issue links {len(links)} files; svt takes at most {MAX_FILES}"
                           " from one issue: split them over several issues")
    for link in links:
        if not _in_attachments(link.url, allowed):
            raise InvalidInput(f"{link.url[:80]} is no file attached to this issue: drag the"
                               " file itself into the form (svt fetches only GitHub's"
                               " attachment links)")


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def __init__(self, allowed: Allowed) -> None:
        self.allowed = allowed

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        parts = urlsplit(newurl)
        if parts.scheme not in self.allowed.schemes or parts.netloc not in self.allowed.hosts:
            raise InvalidInput(f"an attachment's address sent svt to {parts.netloc or newurl!r},"
                               " which is not where GitHub keeps attachments; nothing fetched")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(allowed: Allowed) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.HTTPSHandler(), urllib.request.HTTPHandler(),
                    _Redirects(allowed), urllib.request.HTTPErrorProcessor(),
                    urllib.request.HTTPDefaultErrorHandler()):
        opener.add_handler(handler)
    return opener


def _name(link: Link, content_type: str, index: int, taken: set[str]) -> str:
    """A path-safe file name: the link's, else its address's last part, else attachment-N,
    with a suffix from the type GitHub served when it has none."""
    last = urlsplit(link.url).path.rsplit("/", 1)[-1]
    name = next((n for n in (link.name, last) if is_path_safe(n) and "." in n[1:]), "")
    if not name:
        name = f"attachment-{index}" + SUFFIXES.get(content_type, ".bin")
    while name in taken:
        name = f"{index}-{name}"
    taken.add(name)
    return name


def _read_capped(response: IO[bytes], limit: int, url: str) -> bytes:
    length = response.headers.get("Content-Length")  # type: ignore[attr-defined]
    if length and length.isdigit() and int(length) > limit:
        raise InvalidInput(f"{url[:80]} is {int(length) / 1048576:.1f} MiB, over the store's"
                           f" limit of {limit / 1048576:.0f} MiB (max_file_mb): nothing stored")
    data = response.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{url[:80]} is over the store's limit of {limit / 1048576:.0f} MiB"
                           " (max_file_mb): nothing stored")
    return data


def fetch(links: list[Link], folder: Path, *, max_bytes: int,
          allowed: Allowed) -> list[Path]:
    """Fetch each link into ``folder`` (a new, empty folder of the caller's): the files'
    paths, in the links' order. Raises InvalidInput for a link that is no attachment, a
    redirect elsewhere, a file over ``max_bytes``, active content or a failed download."""
    check_links(links, allowed)
    opener = _opener(allowed)
    taken: set[str] = set()
    out = []
    for index, link in enumerate(links, 1):
        request = urllib.request.Request(link.url, headers={"User-Agent": "svt-from-issue"})
        try:
            with opener.open(request, timeout=TIMEOUT) as response:
                content_type = (response.headers.get("Content-Type") or "").split(";")[0]
                data = _read_capped(response, max_bytes, link.url)
        except urllib.error.HTTPError as exc:
            raise InvalidInput(f"{link.url[:80]} could not be fetched (HTTP {exc.code}): in a"
                               " private repository upload the files to the branch instead")
        except (urllib.error.URLError, OSError) as exc:
            raise InvalidInput(f"{link.url[:80]} could not be fetched ({exc}): try again")
        name = _name(link, content_type.strip().lower(), index, taken)
        active = (name.lower().endswith(ACTIVE_SUFFIXES) or _ACTIVE_TYPES.search(content_type)
                  or (name.lower().endswith(SVG_SUFFIX) and svg_activity(data)))
        if active:
            raise InvalidInput(f"{link.name or link.url[:80]} is a file a browser would run"
                               " (HTML, XML or an active SVG): svt stores no such attachment")
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        out.append(folder / name)
    return out
