"""Install svt into a venv of its own from a wheel, as a user's release is installed, for
benchmarks/original.py (an editable install adds 5-15 ms of start-up per command that users
of a released svt never pay).

    python benchmarks/installed.py /tmp/svt-venv              # this checkout's files now
    python benchmarks/installed.py /tmp/svt-before --rev HEAD  # a commit (e.g. the baseline)
    python benchmarks/installed.py /tmp/svt-before --apply without-my-change.patch
        # the working tree without one change (others' edits in progress on both sides)

The source is copied first, so the checkout is never built in (no build/ or egg-info
appears in it, which other people may be working in): with ``--rev``, ``git archive REV``;
without, the files git tracks or would track (``git ls-files -c -o --exclude-standard``) as
they are on disk, uncommitted edits included. ``pip wheel --no-deps`` builds the wheel from
that copy, and ``pip install WHEEL[analysis]`` installs it, with its dependencies, into
``python -m venv DEST`` (replaced if it exists). ``DEST/svt-source.txt`` says what was
installed; original.py prints it.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def copy_source(checkout: Path, rev: str | None, dest: Path, patch: Path | None = None) -> str:
    """Copy the source into ``dest``; a line saying what it is. ``patch``: applied to the
    copy (``git apply``), e.g. one that takes a change back."""
    git = ["git", "-C", str(checkout)]
    if rev is not None:
        sha = subprocess.run(git + ["rev-parse", "--verify", f"{rev}^{{commit}}"], check=True,
                             capture_output=True, text=True).stdout.strip()
        archive = dest.with_suffix(".tar")
        subprocess.run(git + ["archive", "-o", str(archive), sha], check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
        return f"commit {sha}"
    names = subprocess.run(git + ["ls-files", "-z", "-c", "-o", "--exclude-standard"],
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        src = checkout / name
        if src.is_file() and not src.is_symlink():  # tracked files deleted on disk: left out
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    if patch is not None:
        subprocess.run(["git", "apply", str(patch.absolute())],
                       cwd=dest, check=True)
    head = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"], check=True,
                           capture_output=True, text=True).stdout.count("\n")
    applied = f", then {patch.name} applied" if patch else ""
    return f"working tree of {head} ({dirty} tracked files changed{applied})"


def install(venv: Path, checkout: Path, rev: str | None, python: str,
            patch: Path | None = None) -> str:
    with tempfile.TemporaryDirectory(prefix="svt-wheel-") as tmp:
        src, wheels = Path(tmp) / "src", Path(tmp) / "wheels"
        src.mkdir()
        what = copy_source(checkout, rev, src, patch)
        if venv.exists():
            shutil.rmtree(venv)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "-q"]
        subprocess.run(pip + ["wheel", "--no-deps", str(src), "-w", str(wheels)], check=True)
        (wheel,) = wheels.glob("*.whl")
        subprocess.run(pip + ["install", f"{wheel}[analysis]"], check=True)
    line = f"svt from a wheel of the {what}"
    (venv / "svt-source.txt").write_text(line + "\n")
    return line


def install_kind(venv: Path, dist: str) -> str:
    """'regular' or 'editable' (from the distribution's direct_url.json), or 'unknown'."""
    for direct in venv.glob(f"lib/python*/site-packages/{dist}-*.dist-info/direct_url.json"):
        info = json.loads(direct.read_text())
        return "editable" if info.get("dir_info", {}).get("editable") else "regular"
    found = list(venv.glob(f"lib/python*/site-packages/{dist}-*.dist-info"))
    return "regular" if found else "unknown"  # installed from an index: no direct_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venv", type=Path, help="the venv to create (replaced if it exists)")
    parser.add_argument("--rev", help="a commit to install instead of the working tree")
    parser.add_argument("--apply", type=Path, metavar="PATCH",
                        help="a patch to apply to the working tree's copy: one that takes a"
                             " change back measures it apart from others in progress")
    parser.add_argument("--checkout", type=Path, default=CHECKOUT)
    parser.add_argument("--python", default=sys.executable,
                        help="the Python that makes the venv (default: this one)")
    args = parser.parse_args()
    if args.rev and args.apply:
        parser.error("--apply changes a copy of the working tree: give it without --rev")
    print(install(args.venv.absolute(), args.checkout, args.rev, args.python, args.apply))


if __name__ == "__main__":
    main()
