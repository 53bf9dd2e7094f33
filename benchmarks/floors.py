"""Measure the floors under svt's commands on a store: what any svt command, or any write,
pays before it does its own work (issue 16 explains its misses with these).

    python benchmarks/floors.py benchmarks/stores/10000 [--runs 15]

Rows, each the median wall time of --runs runs after a warm-up, in the same run:
- Python starting in this venv (``python -c pass``);
- importing svt's command line (``import svt_records.cli``), and ``svt --help``;
- one git process (``git rev-parse HEAD``);
- proving the query index fresh: one stat per component and year folder, as every query
  does before it answers (in-process, after the imports);
- ``git update-index`` adding one entry to a copy of the store's git index, which rewrites
  all of it, as every svt write does (GIT_INDEX_FILE points at the copy: the store is not
  changed).
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

from run import ENV  # benchmarks/run.py: the environment svt runs in there


def timed(argv: list[str], runs: int, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> float:
    times = []
    for i in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env or ENV, cwd=cwd)
        if i:  # the first run warms caches
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def folder_stats(store: Path, runs: int) -> tuple[int, float]:
    records = store / "records"
    folders = [str(records / t / c) for t in os.listdir(records) if (records / t).is_dir()
               for c in os.listdir(records / t)]
    folders += [os.path.join(f, y) for f in folders for y in os.listdir(f)
                if os.path.isdir(os.path.join(f, y))]
    times = []
    for i in range(runs + 1):
        started = time.perf_counter()
        for f in folders:
            os.stat(f)
        if i:
            times.append(time.perf_counter() - started)
    return len(folders), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    store, r = args.store.absolute(), args.runs
    py = sys.executable
    rows = [
        ("Python starts (python -c pass)", timed([py, "-c", "pass"], r)),
        ("svt's CLI imported (import svt_records.cli)",
         timed([py, "-c", "import svt_records.cli"], r)),
        ("svt --help", timed([py, "-m", "svt_records", "--help"], r)),
        ("one git process (git rev-parse HEAD)",
         timed(["git", "rev-parse", "HEAD"], r, cwd=store)),
    ]
    count, seconds = folder_stats(store, r)
    rows.append((f"the freshness proof: stat of {count:,} component and year folders",
                 seconds))
    work = Path(tempfile.mkdtemp(prefix="svt-floors-"))
    try:
        index = work / "index"
        shutil.copy(store / ".git" / "index", index)
        blob = subprocess.run(["git", "rev-parse", "HEAD:svt.yaml"], cwd=store, check=True,
                              capture_output=True, text=True).stdout.strip()
        env = dict(ENV, GIT_INDEX_FILE=str(index))
        size = index.stat().st_size / 1e6
        names = iter(range(10 ** 6))
        times = []
        for i in range(r + 1):
            argv = ["git", "update-index", "--add", "--cacheinfo",
                    f"100644,{blob},bench-floor/{next(names)}"]
            started = time.perf_counter()
            subprocess.run(argv, check=True, cwd=store, env=env)
            if i:
                times.append(time.perf_counter() - started)
        rows.append((f"git update-index adding one entry ({size:.1f} MB index rewritten)",
                     statistics.median(times)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Floors at {store.name}; median of {r} runs after a warm-up.\n")
    print("| floor | time (ms) |\n|---|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.1f} |")


if __name__ == "__main__":
    main()
