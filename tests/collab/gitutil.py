"""Plain git for the collaboration tests: the output, stripped, or the test fails with git's
own words."""
from __future__ import annotations

import subprocess
from pathlib import Path


def git(path: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True)
    if proc.returncode:
        raise AssertionError(f"git {' '.join(args)}: {proc.stdout}{proc.stderr}")
    return proc.stdout.strip()


def two_clones(tmp_path: Path, origin: Path) -> tuple[Path, Path, Path]:
    """A bare remote made from the store ``origin``, and two clones of it, a and b (two
    test stands)."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(bare))
    a, b = tmp_path / "a", tmp_path / "b"
    git(tmp_path, "clone", "-q", str(bare), str(a))
    git(tmp_path, "clone", "-q", str(bare), str(b))
    return bare, a, b
