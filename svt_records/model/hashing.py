"""SHA-1 and SHA-256 of small byte strings without loading OpenSSL.

``hashlib`` loads OpenSSL's libcrypto on import (about 2.5 ms, more than the rest of a
short-id lookup); Python's own ``_sha1``/``_sha256`` modules load in a fifth of that and
give the same digests. They are slower per byte (a 4,000-entry tree object: 0.8 ms against
0.1), so large inputs still go to ``hashlib``, and so do those of a few kilobytes once
something else loaded it (a write: git's index is hashed with it).
"""
from __future__ import annotations

import sys
from typing import Any, Callable

_SMALL = 1 << 20  # bytes: above this, OpenSSL's speed pays for its import
_LOADED = 1 << 12  # bytes: above this, hashlib's speed pays where it is loaded already


def _by_hashlib(data: bytes) -> bool:
    return len(data) > _SMALL or (len(data) > _LOADED and "hashlib" in sys.modules)


def _builtin(name: str, module_names: tuple[str, ...]) -> Callable[[bytes], Any]:
    for module_name in module_names:
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        return getattr(module, name)
    import hashlib
    return getattr(hashlib, name)


def sha1_hex(data: bytes) -> str:
    """The hex SHA-1 of ``data`` (git's object ids)."""
    if _by_hashlib(data):
        import hashlib
        return hashlib.sha1(data).hexdigest()
    return _builtin("sha1", ("_sha1",))(data).hexdigest()


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    if _by_hashlib(data):
        import hashlib
        return hashlib.sha256(data).hexdigest()
    return _builtin("sha256", ("_sha256", "_sha2"))(data).hexdigest()  # _sha2: Python 3.12+
