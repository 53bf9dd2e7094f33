"""The stored files a component's page offers, copied into the site in a form no browser runs.

The site is published on the organisation's Pages origin, and every stored file may come
from a stranger's pull request. So (docs/security.md):

- **Images** (.png, .jpg, .jpeg, .gif, .webp) are copied under their own names and shown
  with ``<img>`` (a click opens the image itself).
- **SVG images** are shown with ``<img>`` only, in which no script runs, and never linked;
  an SVG with active content (:func:`svt_records.rules.safety.svg_activity`) is not shown
  at all and is offered like any other file below.
- **Every other file** is offered as a download under a neutral name: its own name when its
  type is one no browser or Pages server runs (:data:`PASSIVE_SUFFIXES`: data, text,
  documents, archives) and its first bytes are not markup; otherwise (HTML, XML, anything
  unknown, or a ".txt" that begins like a page) as ``<name>.zip``, a zip archive holding it.
  A zip is a download everywhere whatever it holds: GitHub Pages serves it as
  application/zip, and GitLab Pages, which guesses the type of a name it does not know
  from the first bytes, sees ``PK``. The reader unpacks the original file.

Every file is read without following a symbolic link (store/nofollow.py); a link stops the
build (:class:`~svt_records.store.nofollow.LinkRefused`).
"""
from __future__ import annotations

import os
import stat
import time
import zipfile
from typing import BinaryIO, NamedTuple
from urllib.parse import quote

from ..analysis.ivfile import TABLE_SUFFIXES
from ..rules.safety import MAX_SVG_BYTES, is_svg, svg_activity
from ..store.nofollow import NotRegular, open_stored
from .outputs import SiteOutputs

RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
# names served as a type no browser runs (and, for text, shown as text or downloaded)
# (the analyses' data tables, analysis/ivfile.py's TABLE_SUFFIXES, among them)
PASSIVE_SUFFIXES = RASTER_SUFFIXES + TABLE_SUFFIXES + (
    ".log", ".json", ".pdf", ".root", ".xls", ".ods", ".zip", ".gz", ".tgz", ".xz", ".bz2",
    ".npy", ".npz", ".h5", ".hdf5", ".tif", ".tiff", ".bmp")
ZIPPED = ".zip"  # the suffix of a file offered in a zip archive
HEAD = 512  # the bytes a server or browser sniffs a type from
BLOCK = 1 << 20


class Copy(NamedTuple):
    """A stored file a page offers: where it is in the store, the folder of OUT it goes
    to, that folder as the page links it, and the page's entry for it (filled in here)."""

    source: str  # relative to the store
    folder: str  # relative to OUT
    href: str  # the folder, relative to the page, quoted
    entry: dict


def publish(outputs: SiteOutputs, root: str, copy: Copy) -> str | None:
    """Copy ``copy.source`` into OUT in the form its page offers and fill in its entry:
    ``show`` ("image": shown and linked; "svg": shown, never linked; "download"; "missing")
    and ``href``. Returns the file's name in OUT, None when it is missing from the store."""
    entry = copy.entry
    name = entry["name"]
    try:
        fd = open_stored(root, copy.source)
    except (FileNotFoundError, NotRegular):  # (validate says so; a link stops the build)
        entry["show"], entry["href"] = "missing", None
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        head = fh.read(MAX_SVG_BYTES + 1 if is_svg(name) else HEAD)
        if is_svg(name):
            plain = svg_activity(head) is None
            show = "svg" if plain else "download"
        else:
            plain = name.lower().endswith(PASSIVE_SUFFIXES) and not _markup(head)
            show = "image" if plain and name.lower().endswith(RASTER_SUFFIXES) else "download"
        published = name if plain else name + ZIPPED
        rel = f"{copy.folder}/{published}"
        if not _fresh(outputs, rel, st, plain):
            if plain:
                _write_copy(outputs, rel, head, fh, st)
            else:
                _write_zip(outputs, rel, name, head, fh, st)
    entry.update(show=show, href=f"{copy.href}/{quote(published)}", zipped=not plain)
    return published


def _markup(head: bytes) -> bool:
    """Whether a file begins like a page (after a byte order mark and white space): a
    server that guesses types from content would call it HTML or XML."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x0c").startswith(b"<")


def _fresh(outputs: SiteOutputs, rel: str, st: os.stat_result, plain: bool) -> bool:
    """The copy in OUT is the last build's of this very file (a regular file, its time
    that of the stored file, and for a plain copy its size)."""
    try:
        have = os.lstat(outputs.out / rel)
    except OSError:
        return False
    return stat.S_ISREG(have.st_mode) and have.st_mtime_ns >= st.st_mtime_ns and \
        (have.st_size == st.st_size if plain else have.st_size > st.st_size)


def _write_copy(outputs: SiteOutputs, rel: str, head: bytes, fh: BinaryIO,
                st: os.stat_result) -> None:
    """(Never a hard link: linking changes the stored file's ctime, and git then takes
    every such file for edited until it re-reads it.)"""
    with outputs.writing(rel, times=(st.st_atime_ns, st.st_mtime_ns)) as out:
        out.write(head)
        for block in iter(lambda: fh.read(BLOCK), b""):
            out.write(block)


def _write_zip(outputs: SiteOutputs, rel: str, name: str, head: bytes, fh: BinaryIO,
               st: os.stat_result) -> None:
    t = time.localtime(max(st.st_mtime, 315532800))  # zip dates start in 1980
    info = zipfile.ZipInfo(name, (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min,
                                  t.tm_sec))
    info.compress_type = zipfile.ZIP_STORED
    with outputs.writing(rel, times=(st.st_atime_ns, st.st_mtime_ns)) as out:
        with zipfile.ZipFile(out, "w") as archive, archive.open(info, "w") as inner:
            inner.write(head)
            for block in iter(lambda: fh.read(BLOCK), b""):
                inner.write(block)


def prune(outputs: SiteOutputs, folder: str, keep: set[str]) -> None:
    """Remove from OUT/folder (a component's files) what this build did not publish there:
    a file deleted from the store, or one an older build published in another form."""
    base = outputs.out / folder
    try:
        years = [e for e in os.scandir(base) if e.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return
    for year in years:
        for e in os.scandir(year.path):
            rel = f"{folder}/{year.name}/{e.name}"
            if rel not in keep:
                outputs.remove(rel)
