"""Time `svt site`: the full build and the rebuild after one change, and print a table.

    python benchmarks/generate.py --components 10000 --iv-files 1000 --out /tmp/site-10000
    python benchmarks/site.py /tmp/site-10000 [--runs 3] [--full-runs 3]

Issue 27's target: at 10,000 components with 1,000 IV files, the full build within 90 s and
a rebuild after one change within 5 s. The store is copied first (the changes are commits).
Rows:

- the full build: ``svt site OUT --full`` into an empty OUT;
- the rebuild with nothing changed;
- the rebuild after one change, of three kinds, each timed on its own: a component's status
  (``svt add --id X --status ...``), a test with an IV data file (``svt test X --type
  iv_curve --data iv.csv``: a new IV plot) and a log entry (``svt log``). The change itself is
  not timed.

Each command runs as its own process (``python -m svt_records`` of this interpreter; with
``--source DIR``, the ``svt_records`` in DIR through PYTHONPATH, e.g. an older version for a
"before" column). Cells are medians in seconds; the peak resident set is the largest of any
run.
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

from generate import iv_curve  # benchmarks/generate.py: the same IV curves
from run import ENV  # benchmarks/run.py: its environment

TARGETS = {"full": 90.0, "change": 5.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--runs", type=int, default=3, help="rebuilds of each kind timed")
    parser.add_argument("--full-runs", type=int, default=3, help="full builds timed")
    parser.add_argument("--source", type=Path,
                        help="a folder holding the svt_records to time (default: this one's)")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="also run one rebuild after a status change under cProfile into"
                             " FILE (not timed)")
    args = parser.parse_args()
    import random
    env = dict(ENV)
    if args.source:
        env["PYTHONPATH"] = str(args.source.absolute())
    work = Path(tempfile.mkdtemp(prefix="svt-site-bench-"))
    store, out = work / "store", work / "site"
    subprocess.run(["cp", "-a", str(args.store), str(store)], check=True)
    # a copy changes every file's inode: refresh git's stat cache, as a fresh clone has it
    subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=store)
    svt = [sys.executable, "-m", "svt_records", "--repo", str(store)]
    peak = 0

    def timed(argv: list[str]) -> float:
        nonlocal peak
        wrapper = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
        started = time.perf_counter()
        proc = subprocess.run(wrapper + argv, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            sys.exit(f"{' '.join(argv[3:])} failed ({proc.returncode}): {proc.stderr[-500:]}")
        if wrapper:
            peak = max(peak, int(proc.stderr.strip().splitlines()[-1]))
        return wall

    def untimed(argv: list[str]) -> None:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(argv[3:])} failed ({proc.returncode}): {proc.stderr[-500:]}")

    modules = sorted(p.name for p in (store / "records" / "module").iterdir())
    rng = random.Random(27)
    iv = work / "iv.csv"
    statuses = ("testing", "qualified")
    changes = {
        "status": lambda i: svt + ["add", "--id", modules[len(modules) // 2],
                                   "--status", statuses[i % 2]],
        "iv": lambda i: svt + ["test", modules[(7 * i + 11) % len(modules)], "--type",
                               "iv_curve", "--pass", "--data", str(iv)],
        "log": lambda i: svt + ["log", modules[(13 * i + 5) % len(modules)],
                                f"bench note {i}"],
    }
    rows: list[tuple[str, list[float], float | None]] = []
    try:
        fulls = []
        for _ in range(args.full_runs):
            shutil.rmtree(out, ignore_errors=True)
            fulls.append(timed(svt + ["site", str(out), "--full"]))
        rows.append(("svt site OUT --full (empty OUT)", fulls, TARGETS["full"]))
        timed(svt + ["site", str(out)])  # warm-up: the first rebuild after the full one
        rows.append(("svt site OUT (nothing changed)",
                     [timed(svt + ["site", str(out)]) for _ in range(args.runs)], None))
        names = {"status": "svt add --id X --status S", "iv": "svt test X --data iv.csv",
                 "log": "svt log X TEXT"}
        for kind, change in changes.items():
            times = []
            for i in range(args.runs):
                iv.write_bytes(iv_curve(rng))
                untimed(change(i))
                times.append(timed(svt + ["site", str(out)]))
            rows.append((f"svt site OUT after {names[kind]}", times, TARGETS["change"]))
        if args.profile:
            untimed(changes["status"](args.runs))
            untimed([sys.executable, "-m", "cProfile", "-o", str(args.profile.absolute()),
                     "-m", "svt_records", "--repo", str(store), "site", str(out)])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    components = sum(1 for folder in (args.store / "records").iterdir() if folder.is_dir()
                     for _ in folder.iterdir())
    iv_files = sum(1 for _ in (args.store / "records").rglob("*_data.csv"))
    load = os.getloadavg()
    print(f"Store: {args.store.name} ({components} components, {iv_files} IV data files);"
          f" load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f};"
          f" peak RSS {peak // 1024} MB. Wall seconds, median (min-max).\n")
    print("| command | runs | median | min-max | target |")
    print("|---|---:|---:|---:|---:|")
    for name, times, target in rows:
        verdict = "" if target is None else \
            f"{target:g} {'ok' if statistics.median(times) <= target else 'MISSED'}"
        print(f"| {name} | {len(times)} | {statistics.median(times):.2f} |"
              f" {min(times):.2f}-{max(times):.2f} | {verdict} |")


if __name__ == "__main__":
    main()
