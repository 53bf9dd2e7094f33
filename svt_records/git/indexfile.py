"""Reading git's index file in-process: the staged entries of a few paths.

``GitWorktree.known_clean`` asks which blob and mode git's index stages for the files a
write replaces; asking ``git status`` re-reads the whole index (tens of ms at 10,000
components). This reads the index formats git writes (Documentation/gitformat-index.txt):

- versions 2 and 3: each name is stored whole, so a path's entry is found by searching the
  file for it (``mmap.find``), without walking 77,000 entries in Python;
- version 4: names are stored as the part that differs from the previous name, so all the
  entries are walked in order (svt does not set version 4);
- a split index (``core.splitIndex``): ``.git/index`` holds the entries changed since the
  shared index ``sharedindex.<hash>`` was written, and its ``link`` extension says which
  shared entries they replace or delete (two EWAH bitmaps of entry numbers). A shared index
  never changes (its name is its hash), so where each of its entries begins is worked out
  once and kept in ``.git/svt/`` beside the query index; a path's entry and its number are
  then found by bisection (git sorts the entries by name).

Anything else (a sparse index, an extension git marks as required that this does not know,
a file cut short) gives None: the caller asks git.
"""
from __future__ import annotations

import mmap
import os
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Iterable, NamedTuple

HEADER = 12
STAT = 40  # ctime, mtime (8 bytes each), dev, ino, mode, uid, gid, size (4 bytes each)
MODE_AT = 24  # within an entry
FLAGS_AT = STAT + 20  # after the stat data and the blob id: 2 bytes of flags
NAME_AT = FLAGS_AT + 2  # the name (after 2 more bytes of flags where EXTENDED is set)
ASSUME_VALID, EXTENDED = 0x8000, 0x4000


def pad(name_length: int) -> int:
    """The NULs after a name of ``name_length`` bytes in an entry of a version 2 or 3
    index (1 to 8: each entry ends on a multiple of 8 bytes)."""
    return 8 - (NAME_AT + name_length) % 8


class Entry(NamedTuple):
    """A stage-0 entry with no flag set: its mode (an int) and its blob id (20 bytes)."""
    mode: int
    sha: bytes


class Unreadable(Exception):
    """The index is in a form this does not read."""


def staged(git_dir: Path, paths: Iterable[str], cache_dir: Path | None = None
           ) -> dict[str, Entry] | None:
    """{path: Entry} for those of ``paths`` git's index stages at stage 0 with no flag set
    (not assumed unchanged, not skip-worktree or intent-to-add); paths with any other entry,
    or none, are left out. None when the index cannot be read (no index; a form not known)."""
    names = {p.encode("utf-8", "surrogateescape"): p for p in paths}
    try:
        with open(git_dir / "index", "rb") as fh, \
                mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            version = _version(data)
            if version in (2, 3) and not _may_be_split(git_dir):
                return _decode(_fields_of(data, version, _found(data, names, cache_dir)),
                               names)
            index = _walk(data, version)
            link = index.extensions.get(b"link")
            if link is None:
                return _decode(_fields_of(data, version, index.found(names)), names)
            return _decode(_split(git_dir, index, link, names, cache_dir), names)
    except (OSError, ValueError, Unreadable, IndexError):
        return None


# ---- the formats -------------------------------------------------------------------------

class _Walked(NamedTuple):
    """An index file walked entry by entry: (name, offset) of each, and its extensions."""
    data: "mmap.mmap | bytes"
    version: int
    entries: list[tuple[bytes, int]]
    extensions: dict[bytes, bytes]

    def found(self, names: Iterable[bytes]) -> dict[bytes, int]:
        """{name: where its entry begins} (the last, if a name has several stages)."""
        wanted = set(names)
        return {name: at for name, at in self.entries if name in wanted}


def _version(data: "mmap.mmap | bytes") -> int:
    if data[:4] != b"DIRC":
        raise Unreadable("no index signature")
    version = int.from_bytes(data[4:8], "big")
    if version not in (2, 3, 4):
        raise Unreadable(f"index version {version}")
    return version


def _may_be_split(git_dir: Path) -> bool:
    """Whether a shared index is there for .git/index to be split against (git leaves old
    ones for a while: then the index is walked to see)."""
    return any(n.startswith("sharedindex.") for n in os.listdir(git_dir))


def _fields(data: "mmap.mmap | bytes", at: int, version: int) -> tuple[int, bytes, int]:
    """(mode, blob id, flags) of the entry at ``at``; flags include the extended ones
    (shifted left 16) of version 3 and later."""
    mode = int.from_bytes(data[at + MODE_AT:at + MODE_AT + 4], "big")
    sha = bytes(data[at + STAT:at + STAT + 20])
    flags = int.from_bytes(data[at + FLAGS_AT:at + NAME_AT], "big")
    if flags & EXTENDED:
        if version < 3:
            raise Unreadable("an extended flag in a version 2 index")
        flags |= int.from_bytes(data[at + NAME_AT:at + NAME_AT + 2], "big") << 16
    return mode, sha, flags


def _fields_of(data: "mmap.mmap | bytes", version: int, found: dict[bytes, int]
               ) -> dict[bytes, tuple[int, bytes, int]]:
    return {name: _fields(data, at, version) for name, at in found.items()}


def _found(data: "mmap.mmap", names: Iterable[bytes], cache_dir: Path | None
           ) -> dict[bytes, int]:
    """Entries of a version 2 or 3 index that is not split: by bisection where svt's cache
    of where each entry begins proves itself for this file (indexcache: a few pages of the
    index read), else by a search through the whole file (8 ms at 10,000 components, most
    of it mapping the pages in)."""
    if cache_dir is not None and data[-20:] != bytes(20):  # (index.skipHash: no identity)
        from . import indexcache  # writes only, as this module's callers
        cached = indexcache.read_cache(cache_dir, data, int.from_bytes(data[8:12], "big"))
        if cached is not None and cached[0] is not None:
            return _bisect(data, cached[0].starts, names)
    return _search(data, names, None)


def _search(data: "mmap.mmap | bytes", names: Iterable[bytes],
            starts: "array | None") -> dict[bytes, int]:
    """Entries of a version 2 or 3 index found by searching for their names: the 2 bytes of
    flags of a stage-0 entry with no flag set (the name's length), the name, a NUL. With
    ``starts`` (where each entry begins) a match counts only where an entry begins."""
    out = {}
    for name in names:
        at = data.find(min(len(name), 0xFFF).to_bytes(2, "big") + name + b"\0", HEADER)
        start = at - FLAGS_AT
        if at < 0 or start < HEADER:
            continue
        if starts is not None:
            i = bisect_left(starts, start)
            if i == len(starts) or starts[i] != start:
                continue
        out[name] = start
    return out


def _bisect(data: "mmap.mmap | bytes", starts: "array", names: Iterable[bytes]
            ) -> dict[bytes, int]:
    """Entries of a version 2 or 3 index found by bisection (git sorts them by name, then
    stage), knowing where each begins: {name: where its first entry begins}."""
    def name_at(at: int) -> bytes:
        flags = data[at + FLAGS_AT] << 8 | data[at + FLAGS_AT + 1]
        begin = at + NAME_AT + (2 if flags & EXTENDED else 0)
        length = flags & 0xFFF
        return bytes(data[begin:begin + length if length < 0xFFF else data.find(b"\0", begin)])

    out = {}
    for name in names:
        i = bisect_left(starts, name, key=name_at)
        if i < len(starts) and name_at(starts[i]) == name:
            out[name] = starts[i]
    return out


def _walk(data: "mmap.mmap | bytes", version: int) -> _Walked:
    """Every entry's name and offset, and the extensions after them."""
    count = int.from_bytes(data[8:12], "big")
    entries: list[tuple[bytes, int]] = []
    at, previous = HEADER, b""
    end = len(data) - 20  # the file's hash (zeros with index.skipHash)
    for _ in range(count):
        flags = data[at + FLAGS_AT] << 8 | data[at + FLAGS_AT + 1]
        name_at = at + NAME_AT + (2 if flags & EXTENDED and version >= 3 else 0)
        if version == 4:  # the number of bytes to drop from the previous name, then the rest
            byte = data[name_at]
            drop, name_at = byte & 127, name_at + 1
            while byte & 128:
                byte = data[name_at]
                drop, name_at = ((drop + 1) << 7) | (byte & 127), name_at + 1
            stop = data.find(b"\0", name_at)
            if stop < 0 or drop > len(previous):
                raise Unreadable("a version 4 name cut short")
            name = previous[:len(previous) - drop] + bytes(data[name_at:stop])
            next_at = stop + 1
        else:
            length = flags & 0xFFF
            stop = name_at + length if length < 0xFFF else data.find(b"\0", name_at)
            name = bytes(data[name_at:stop])
            next_at = at + ((stop - at + 8) & ~7)  # 1 to 8 NULs after the name
        if next_at > end:
            raise Unreadable("entries cut short")
        entries.append((name, at))
        at, previous = next_at, name
    extensions: dict[bytes, bytes] = {}
    while at + 8 <= end:
        signature, size = bytes(data[at:at + 4]), int.from_bytes(data[at + 4:at + 8], "big")
        if at + 8 + size > end:
            raise Unreadable("an extension cut short")
        if b"A"[0] <= signature[0] <= b"Z"[0]:  # optional: what it says only saves work
            pass
        elif signature == b"link":
            extensions[signature] = bytes(data[at + 8:at + 8 + size])
        else:  # "sdir" (a sparse index), or one newer than this reader
            raise Unreadable(f"index extension {signature!r}")
        at += 8 + size
    return _Walked(data, version, entries, extensions)


def _split(git_dir: Path, index: _Walked, link: bytes, names: dict[bytes, str],
           cache_dir: Path | None) -> dict[bytes, tuple[int, bytes, int]]:
    """The entries of ``names`` in a split index: the shared index's, those it replaces
    taken from .git/index and those it deletes dropped, and .git/index's added ones. The
    replacing entries come first in .git/index, in the order of the entry numbers they
    replace (their names may be left empty); the added ones follow."""
    shared_id = link[:20].hex()
    if shared_id == "0" * 40:  # nothing shared
        return _fields_of(index.data, index.version, index.found(names))
    deleted, used = _ewah(link[20:])
    replaced, _ = _ewah(link[20 + used:])
    by_number = dict(zip(sorted(replaced), (at for _, at in index.entries)))
    added = index.entries[len(replaced):]
    out: dict[bytes, tuple[int, bytes, int]] = {}
    with open(git_dir / f"sharedindex.{shared_id}", "rb") as fh, \
            mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as shared:
        version = _version(shared)
        if version == 4:
            walked = _walk(shared, version)
            starts = array("I", (at for _, at in walked.entries))
            found = walked.found(names)
        else:
            starts = _entry_starts(shared, shared_id, cache_dir)
            found = _bisect(shared, starts, names)
        for name, at in found.items():
            number = bisect_left(starts, at)
            if number in deleted:
                continue
            if number in replaced:
                out[name] = _fields(index.data, by_number[number], index.version)
            else:
                out[name] = _fields(shared, at, version)
    for name, at in added:
        if name in names:
            out[name] = _fields(index.data, at, index.version)
    return out


def _entry_starts(shared: "mmap.mmap | bytes", shared_id: str, cache_dir: Path | None
                  ) -> "array":
    """Where each entry of the (version 2 or 3) shared index begins: kept in
    ``cache_dir/sharedindex.<hash>.starts`` once worked out (a shared index never changes)."""
    cached = cache_dir / f"sharedindex.{shared_id}.starts" if cache_dir else None
    if cache_dir is not None and cached is not None:
        try:
            starts = array("I")
            starts.frombytes(cached.read_bytes())
            if len(starts) == int.from_bytes(shared[8:12], "big"):
                return starts
        except (OSError, ValueError):
            pass
    starts = array("I", (at for _, at in _walk(shared, _version(shared)).entries))
    if cache_dir is not None and cached is not None:
        try:
            for old in cache_dir.glob("sharedindex.*.starts"):  # git replaced them
                old.unlink(missing_ok=True)
            tmp = cached.with_name(f".{cached.name}.{os.getpid()}")
            tmp.write_bytes(starts.tobytes())
            os.replace(tmp, cached)
        except OSError:
            pass  # kept next time, perhaps
    return starts


def _ewah(data: bytes) -> tuple[set[int], int]:
    """The set bits of an EWAH bitmap (git's ewah/ewah_io.c), and the bytes it took: 32 bits
    of size in bits, 32 bits of word count, the 64-bit words, 32 bits of the last run
    word's position. Each run word says: bit 0, repeated (bits 1-32) words of it, then
    (bits 33-63) literal words follow."""
    words = int.from_bytes(data[4:8], "big")
    used = 8 + 8 * words + 4
    if len(data) < used:
        raise Unreadable("an EWAH bitmap cut short")
    bits: set[int] = set()
    position, i = 0, 0
    while i < words:
        rlw = int.from_bytes(data[8 + 8 * i:16 + 8 * i], "big")
        i += 1
        run_bit, run_words, literals = rlw & 1, (rlw >> 1) & 0xFFFFFFFF, rlw >> 33
        if run_bit:
            bits.update(range(position, position + 64 * run_words))
        position += 64 * run_words
        for _ in range(literals):
            if i >= words:
                raise Unreadable("an EWAH bitmap cut short")
            word = int.from_bytes(data[8 + 8 * i:16 + 8 * i], "big")
            i += 1
            while word:
                low = word & -word
                bits.add(position + low.bit_length() - 1)
                word ^= low
            position += 64
    return bits, used


def _decode(found: dict[bytes, tuple[int, bytes, int]], names: dict[bytes, str]
            ) -> dict[str, Entry]:
    """Stage 0 with no flag: the entries a clean file can have."""
    return {names[name]: Entry(mode, sha) for name, (mode, sha, flags) in found.items()
            if flags & ~0xFFF == 0}
