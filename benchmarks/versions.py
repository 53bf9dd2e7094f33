"""Time svt's long commands under two versions of svt_records, interleaved, and print the ratio.

    python benchmarks/versions.py benchmarks/stores/10000 --baseline OLD_SVT_SOURCE \\
        [--runs 3] [--commands validate site]

For checks of the form "at 10,000 components, `svt validate` and the full site build take
no more than 10 % longer than before the change": both versions run in the same session, on
their own copy of the store, taking turns command by command and run by run, so a change in
the machine's load hits both alike. ``--baseline`` is a folder holding an older
``svt_records`` (e.g. ``git archive COMMIT svt_records | tar -x -C DIR``), run through
PYTHONPATH with this svt's venv; this svt runs the same way (PYTHONPATH of this checkout), so
the two differ only in their code. The site is built into an empty folder each time.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import ENV  # benchmarks/run.py: its environment

CHECKOUT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "validate": lambda out: ["validate"],
    "site": lambda out: ["site", str(out)],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--baseline", type=Path, required=True,
                        help="a folder holding an older svt_records")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commands", nargs="+", choices=sorted(COMMANDS),
                        default=sorted(COMMANDS))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="svt-versions-"))
    versions = {"before": args.baseline.absolute(), "after": CHECKOUT}
    times: dict[tuple[str, str], list[float]] = {}
    try:
        copies = {}
        for name in versions:
            copies[name] = work / name
            subprocess.run(["cp", "-a", str(args.store), str(copies[name])], check=True)
            subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=copies[name])
        for run in range(args.runs + 1):  # the first run warms the caches and is not counted
            for command in args.commands:
                for name, source in versions.items():
                    out = work / f"site-{name}"
                    shutil.rmtree(out, ignore_errors=True)
                    argv = [sys.executable, "-m", "svt_records", "--repo", str(copies[name]),
                            *COMMANDS[command](out)]
                    env = dict(ENV, PYTHONPATH=str(source))
                    started = time.perf_counter()
                    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
                    wall = time.perf_counter() - started
                    if proc.returncode not in (0, 1):  # validate says 1 for problems found
                        sys.exit(f"{name}: {' '.join(argv[3:])} failed ({proc.returncode}):"
                                 f" {proc.stderr.strip()[-500:]}")
                    if run:
                        times.setdefault((command, name), []).append(wall)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"Store: {args.store.name}; median of {args.runs} runs after a warm-up, interleaved;"
          f" load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}. Wall seconds.\n")
    print("| command | before | after | after / before |")
    print("|---|---:|---:|---:|")
    for command in args.commands:
        before = statistics.median(times[(command, "before")])
        after = statistics.median(times[(command, "after")])
        print(f"| svt {' '.join(COMMANDS[command](Path('OUT')))} | {before:.2f} | {after:.2f}"
              f" | {after / before:.2f} |")


if __name__ == "__main__":
    main()
