"""SHA-1 and SHA-256 of small byte strings without loading OpenSSL.

``hashlib`` loads OpenSSL's libcrypto on import (about 2.5 ms, more than the rest of a
short-id lookup); Python's own ``_sha1``/``_sha256`` modules load in a fifth of that and
give the same digests. They are slower per byte, so large inputs still go to ``hashlib``.
"""
from __future__ import annotations

from typing import Any, Callable

_SMALL = 1 << 20  # bytes: above this, OpenSSL's speed pays for its import


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
    if len(data) > _SMALL:
        import hashlib
        return hashlib.sha1(data).hexdigest()
    return _builtin("sha1", ("_sha1",))(data).hexdigest()


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    if len(data) > _SMALL:
        import hashlib
        return hashlib.sha256(data).hexdigest()
    return _builtin("sha256", ("_sha256", "_sha2"))(data).hexdigest()  # _sha2: Python 3.12+
