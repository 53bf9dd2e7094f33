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
