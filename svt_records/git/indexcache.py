"""Where each entry of git's index begins, for git/indexwrite.py: worked out by a walk of
the entries, or kept in ``.git/svt/index-entries`` from one svt write to the next and proven
before use, so that an update needs no Python loop over 77,000 entries (10,000 components).

The kept table is used for the very file it was written for (its size and trailer, the SHA-1
of its content, are the same), or for a file of the same layout (git rewrote the stat data,
not the entries): one ``struct`` made of the kept flags fetches every entry's 2 bytes of flags
in C, and equal flags at every kept offset prove the offsets, since each next entry begins
where the flags say. The cache tree's nodes are kept beside it. A file that is not what it
says (its CRC-32, its sizes) is ignored.
"""
from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import struct
import sys
import zlib
from array import array
from pathlib import Path
from typing import NamedTuple, Union

from .indexfile import EXTENDED, FLAGS_AT, HEADER, NAME_AT, pad

Buffer = Union[bytes, mmap.mmap]  # an index file's bytes, read or mapped
CACHE_NAME = "index-entries"


class Unhandled(Exception):
    """git must do this update: a form of the index this does not model."""


class Table(NamedTuple):
    """Where each entry begins, its 2 bytes of flags, its mtime (seconds), where they end."""
    starts: array
    flags: bytes
    mtimes: array
    end: int
    top: int  # no mtime is above this

    def at(self, i: int) -> int:  # where entry i begins, or the entries end
        return self.starts[i] if i < len(self.starts) else self.end

    def length(self, i: int) -> int:  # of entry i's name
        return self.flags[2 * i + 1] | (self.flags[2 * i] & 15) << 8

    def size(self, i: int) -> int:
        return NAME_AT + self.length(i) + pad(self.length(i))


class Tree(NamedTuple):
    """The TREE nodes in order (depth first): where each begins, nodes below it, depth."""
    starts: array
    below: array
    depth: array


def shifted(values: array, delta: int) -> array:
    """``values`` (unsigned 32-bit) each plus ``delta``, without a Python loop: the array
    read as one big integer, plus ``delta`` times 1 in every 32-bit field (no field
    carries: every result fits)."""
    if not delta or not values:
        return array("I", values)
    n = len(values)
    whole = int.from_bytes(values.tobytes(), sys.byteorder)
    ones = int.from_bytes((1).to_bytes(4, sys.byteorder) * n, sys.byteorder)
    out = array("I")
    out.frombytes((whole + delta * ones).to_bytes(4 * n, sys.byteorder))
    return out


def joined(parts: list[array]) -> array:
    return array(parts[0].typecode, b"".join(part.tobytes() for part in parts))


def walk(data: Buffer, count: int) -> Table:
    """Every entry's start, flags and mtime, entry by entry (the slow way: about 20 ms at
    77,000 entries)."""
    starts, flags, mtimes = array("I"), bytearray(), array("I")
    at, end = HEADER, len(data) - 20
    for _ in range(count):
        pair = data[at + FLAGS_AT:at + NAME_AT]
        length = (pair[0] & 15) << 8 | pair[1] if at + NAME_AT <= end else 0xFFF
        if pair[0] & (EXTENDED >> 8) or length == 0xFFF:
            raise Unhandled("an extended entry, a long name, or entries cut short")
        starts.append(at)
        flags += pair
        mtimes.append(int.from_bytes(data[at + 8:at + 12], "big"))
        at += NAME_AT + length + pad(length)
    if at > end:
        raise Unhandled("entries cut short")
    return Table(starts, bytes(flags), mtimes, at, max(mtimes, default=0))


# The cache: magic, the index file's size and trailer, entry count, where the entries end,
# their highest mtime, the TREE payload's SHA-1 and node count, then the arrays (in this
# machine's byte order), then the CRC-32 of all that.

_HEAD = struct.Struct("=8sQ20sIII20sI")
_MAGIC = b"svtiw1" + sys.byteorder[0].encode() + b"\0"


def write_cache(cache_dir: Path | None, file: tuple[int, bytes], count: int, table: Table,
                 tree: Tree | None, payload: bytes) -> None:
    """The table of the index file of this (size, trailer) (temporary file, renamed: best
    effort)."""
    if cache_dir is None or len(table.starts) != count:
        return
    digest = hashlib.sha1(payload).digest() if tree is not None else bytes(20)
    nodes = len(tree.starts) if tree is not None else 0
    # the arrays written as they are (no copy joins them: a write runs on a thread of its
    # own, and its copies of a megabyte would hold the GIL the command needs)
    parts: list[bytes | array] = [
        _HEAD.pack(_MAGIC, file[0], file[1], count, table.end, table.top, digest,
                   nodes),
        table.starts, table.flags, table.mtimes,
        *((tree.starts, tree.below, tree.depth) if tree is not None else ())]
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    tmp = cache_dir / f".{CACHE_NAME}.{os.getpid()}"
    try:
        with open(tmp, "xb") as fh:
            for part in parts:
                fh.write(part)
            fh.write(crc.to_bytes(4, "big"))
        os.replace(tmp, cache_dir / CACHE_NAME)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _array(typecode: str, part: memoryview) -> array:
    """An array of ``part``'s bytes (array(typecode, view) would read a view as numbers)."""
    out = array(typecode)
    out.frombytes(part)
    return out


def read_cache(cache_dir: Path | None, data: Buffer, count: int
                ) -> tuple[Table | None, dict[bytes, Tree], bool] | None:
    """The table of ``data``'s entries if the cache proves it: written for this very file
    (size, trailer), or one of the same layout (the flags at every cached offset are the
    cached ones, and they say where each next entry begins); the cached TREE by its SHA-1."""
    try:
        raw = (cache_dir / CACHE_NAME).read_bytes() if cache_dir is not None else b""
    except OSError:
        return None
    view = memoryview(raw)  # its parts are copied once, into the arrays
    if len(raw) < _HEAD.size + 4 or zlib.crc32(view[:-4]) != int.from_bytes(raw[-4:], "big"):
        return None
    magic, size, trailer, stored, end, top, digest, nodes = _HEAD.unpack_from(raw)
    sizes = (4 * stored, 2 * stored, 4 * stored, 4 * nodes, 4 * nodes, 2 * nodes)
    if magic != _MAGIC or _HEAD.size + sum(sizes) + 4 != len(raw):
        return None
    ends = [_HEAD.size + sum(sizes[:k]) for k in range(7)]
    parts = [view[ends[k]:ends[k + 1]] for k in range(6)]
    starts, mtimes = _array("I", parts[0]), _array("I", parts[2])
    trees = {digest: Tree(_array("I", parts[3]), _array("I", parts[4]), _array("H", parts[5]))
             } if nodes else {}
    if stored != count or end > len(data) - 20 or (count and (
            starts[0] != HEADER or starts[-1] + NAME_AT > end)):
        return None, trees, False
    table = Table(starts, bytes(parts[1]), mtimes, end, top)
    if size == len(data) and trailer == data[-20:]:
        return table, trees, True  # the file this cache was written for
    flags = array("H", table.flags)  # each entry's flags and mtime where the table says
    if sys.byteorder == "little":  # it begins, fetched in C by one struct of them all
        flags.byteswap()
    skips = {f: f"{NAME_AT + (f & 0xFFF) + pad(f & 0xFFF) - 54}xI48xH" for f in set(flags)}
    fields = struct.Struct(">8xI48xH" + "".join(map(skips.__getitem__, flags[:-1])))
    found = fields.unpack_from(data, HEADER) if count else ()
    if array("H", found[1::2]) != flags or (count and HEADER + fields.size != starts[-1] + NAME_AT):
        return None, trees, False
    now = array("I", found[0::2])  # git may have refreshed the stat data
    return table._replace(mtimes=now, top=max(now, default=0)), trees, False
