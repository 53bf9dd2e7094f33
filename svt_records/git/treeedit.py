"""A git tree object edited in place: the few entries a commit changes, spliced into the
object's bytes, the rest never parsed one by one.

A type folder's tree holds an entry per component (40,000 modules at 100,000 components).
Parsing it into a dict, sorting it back and formatting every entry costs 30-40 ms there,
for a commit that changes one entry. :class:`TreeEdit` answers ``get``/``pop``/item
assignment like that dict, from the object's bytes (one regular expression finds the
entries and their lengths must add up to the object's; a lookup is a binary search in
git's order), and
:meth:`TreeEdit.content` splices the changed entries into the bytes. The result is the
bytes ``GitObjects._write_tree`` writes for the same entries (a test compares them). A
tree not in git's canonical form (a zero-padded mode, a name with a slash, entries out of
git's order or named twice, as a pull request may carry) is not edited here: :func:`edit`
returns None and the caller parses it as before.
"""
from __future__ import annotations

import operator
import re
from bisect import bisect_left
from itertools import islice, repeat
from typing import Iterator

TREE_MODE = b"40000"  # a folder's mode inside a git tree object
_MODES = rb"(?:100644|100755|120000|40000|160000)"
_ENTRY = re.compile(rb"(" + _MODES + rb") ([^\0/]+)\0.{20}", re.S)


def order_key(name: bytes, mode: bytes) -> bytes:
    """git's order of tree entries: a folder sorts as if its name ended in "/"."""
    return name + b"/" if mode == TREE_MODE else name


def edit(data: bytes) -> "TreeEdit | None":
    """A TreeEdit of a tree object's content, or None when it is not in canonical form."""
    found = _ENTRY.findall(data)
    if not found:
        return TreeEdit(data, (), (), []) if not data else None
    modes, names = zip(*found)
    # the entries found do not overlap: they cover every byte only if nothing lies between
    if sum(map(len, names)) + 28 * len(names) - modes.count(TREE_MODE) != len(data):
        return None
    # in git's order, each name once (a file and a folder of one name included): else the
    # caller's parser, which sorts and keeps one of each, as before (all in C, no loop here)
    keys = list(map(operator.add, names, map({TREE_MODE: b"/"}.get, modes, repeat(b""))))
    if not all(map(operator.lt, keys, islice(keys, 1, None))) or len(set(names)) != len(names):
        return None
    return TreeEdit(data, modes, names, keys)


class TreeEdit:
    """The entries of one tree object, {name: (mode, 20-byte id)} as a dict would give
    them, with changes kept aside until :meth:`content`."""

    def __init__(self, data: bytes, modes: tuple[bytes, ...], names: tuple[bytes, ...],
                 keys: list[bytes]) -> None:
        self.data, self.modes, self.names, self.keys = data, modes, names, keys
        self.changes: dict[bytes, tuple[bytes, bytes] | None] = {}

    def _index(self, name: bytes) -> int | None:
        """The position of the stored entry named ``name`` (a file or a folder)."""
        for key in (name, name + b"/"):
            i = bisect_left(self.keys, key)
            if i < len(self.names) and self.names[i] == name:
                return i
        return None

    def _offset(self, i: int) -> int:
        """Where stored entry ``i`` begins: every entry is mode, space, name, NUL, 20 bytes
        (a folder's mode has five digits, the others six)."""
        return sum(map(len, self.names[:i])) + 28 * i - self.modes[:i].count(TREE_MODE)

    def _stored(self, i: int) -> tuple[bytes, bytes]:
        at = self._offset(i) + len(self.modes[i]) + 1 + len(self.names[i]) + 1
        return self.modes[i], self.data[at:at + 20]

    def get(self, name: bytes) -> tuple[bytes, bytes] | None:
        """The entry named ``name`` now: (mode, 20-byte id), or None."""
        if name in self.changes:
            return self.changes[name]
        i = self._index(name)
        return None if i is None else self._stored(i)

    def pop(self, name: bytes, default: None = None) -> tuple[bytes, bytes] | None:
        """Drop the entry named ``name``, if any; what it was (as dict.pop(name, None))."""
        found = self.get(name)
        self.changes[name] = None
        return found

    def __setitem__(self, name: bytes, value: tuple[bytes, bytes]) -> None:
        self.changes[name] = value

    def __bool__(self) -> bool:
        kept = len(self.names) - sum(1 for n in self.changes if self._index(n) is not None)
        return kept + sum(1 for v in self.changes.values() if v is not None) > 0

    def content(self) -> bytes:
        """The tree object's new content, in git's order."""
        stops: list[tuple[int, int, bytes, bytes, tuple[bytes, bytes] | None]] = []
        for name, value in self.changes.items():
            i = self._index(name)
            if i is not None:  # the stored entry is left out (or replaced)
                stops.append((i, 1, b"", name, None))
            if value is not None:  # a new entry, before the stored one where it sorts
                key = order_key(name, value[0])
                stops.append((bisect_left(self.keys, key), 0, key, name, value))
        return b"".join(self._pieces(sorted(stops)))

    def _pieces(self, stops: list[tuple[int, int, bytes, bytes, tuple[bytes, bytes] | None]]
                ) -> Iterator[bytes]:
        at = 0  # the stored bytes before this are given out
        for i, kind, _, name, value in stops:
            end = self._offset(i) if i < len(self.names) else len(self.data)
            yield self.data[at:end]
            at = end
            if value is not None:
                yield b"%s %s\0%s" % (value[0], name, value[1])
            else:  # skip the stored entry
                at = end + len(self.modes[i]) + len(self.names[i]) + 22
        yield self.data[at:]
