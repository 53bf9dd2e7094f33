"""Time svt and the original SQLite tracker side by side, interleaved, and print the ratios.

    python benchmarks/installed.py /tmp/svt-venv                  # this checkout, a wheel
    python benchmarks/installed.py /tmp/svt-before --rev COMMIT   # the baseline, a wheel
    python benchmarks/original.py benchmarks/stores/10000 --original /work/orig-venv \\
        --svt /tmp/svt-venv [--baseline /tmp/svt-before] [--runs 7]

The original (github:mgignac/hps-svt-tracker) is installed in a venv of its own
(``python -m venv V && V/bin/pip install hps-svt-tracker-source``). Its SQLite file is built
once from the svt store's own component ids, types and statuses, with 5 test results
(one in ten with a stored plot) and a log entry per component and the installs, written with
the original's own schema (its ``Database.initialize_schema``) and SQL inserts of its column
layout; it is kept next to the store (``STORE-original/``) for later runs.

Every command runs as its own process, the way a user runs it (each program's ``svt``
script). The programs take turns command by command, in an order that turns by one each run
(a write's write-back slows whatever runs right after it), so a change in the machine's
load hits all of them alike; the first run of each command is a warm-up. ``--baseline`` is a folder holding an
older ``svt_records`` package (e.g. ``git archive COMMIT svt_records | tar -x -C DIR``),
run through PYTHONPATH with this svt's venv. Commands that change a store run on copies.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from installed import install_kind  # benchmarks/installed.py: how a venv holds a program
from run import ENV, PNG, a_test_id  # benchmarks/run.py: its environment and image
ORIGINAL_TYPES = {"module", "hybrid", "sensor", "feb", "cable", "optical_board", "mpod_module",
                  "mpod_crate", "flange_board", "other"}

BUILD = r'''
import json, os, sqlite3, sys
from hps_svt_tracker.database import Database
db_path, data_dir, rows_file = sys.argv[1:4]
db = Database(db_path, data_dir)
db.initialize_schema()
comps = json.load(open(rows_file))
tests = ["iv_curve", "noise_scan", "iv_curve", "pedestal", "iv_curve"]
with sqlite3.connect(db_path) as conn:
    conn.executemany(
        "INSERT INTO components (id, type, serial_number, manufacturer, installation_status,"
        " current_location, installed_position, attributes_json, notes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(c["id"], c["type"], c["id"], "Hamamatsu", c["status"], c["location"],
          c["position"], json.dumps({"batch": n % 17}), None) for n, c in enumerate(comps)])
    test_rows, file_rows, log_rows, installs = [], [], [], []
    test_id = 0
    for n, c in enumerate(comps):
        for k, kind in enumerate(tests):
            test_id += 1
            test_rows.append((test_id, c["id"], f"2024-0{k + 1}-1{n % 10}T10:00:00", kind, 1,
                              100.0 + k, 1.2e-6, 0.8, 21.5,
                              json.dumps({"leakage_current": {"value": 1.2e-6, "unit": "A"}}),
                              "bench", "stand A", "dry air", None))
            if (n * 5 + k) % 10 == 0:
                rel = f"2024/{c['id']}/2024010{k}_100000_{kind}/plot/iv.png"
                file_rows.append((test_id, "plot", rel, "iv.png", None, 67, None))
        log_rows.append((c["id"], "2024-02-01T09:00:00", "note", "info", "received", None,
                         None, "bench"))
        if c["position"]:
            installs.append((c["id"], c["position"], "2025-01-10T08:00:00", None, "bench",
                             "2025_spring_run"))
    conn.executemany(
        "INSERT INTO test_results (id, component_id, test_date, test_type, pass_fail,"
        " voltage_measured, current_measured, noise_level, temperature, measurements_json,"
        " tested_by, test_setup, test_conditions, notes) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", test_rows)
    conn.executemany(
        "INSERT INTO test_files (test_id, file_type, file_path, original_filename,"
        " description, file_size, metadata_json) VALUES (?, ?, ?, ?, ?, ?, ?)", file_rows)
    conn.executemany(
        "INSERT INTO maintenance_log (component_id, log_date, log_type, severity, description,"
        " resolution, resolved_date, logged_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", log_rows)
    conn.executemany(
        "INSERT INTO installation_history (component_id, position, installation_date,"
        " removal_date, installed_by, run_period) VALUES (?, ?, ?, ?, ?, ?)", installs)
print(len(comps), test_id)
'''


def components(store: Path) -> list[dict]:
    """Id, type, status, location and position of every component of the svt store (read
    from the top-level lines of its component.yaml, the form svt writes)."""
    found = []
    for type_dir in sorted(d for d in (store / "records").iterdir() if d.is_dir()):
        for comp in sorted(type_dir.iterdir()):
            fields = {"status": "spare", "location": None, "position": None}
            try:
                text = (comp / "component.yaml").read_text(encoding="utf-8")
            except OSError:
                continue
            for line in text.splitlines():
                key, sep, value = line.partition(": ")
                if sep and key in fields:
                    fields[key] = value.strip().strip("'\"")
            ctype = type_dir.name if type_dir.name in ORIGINAL_TYPES else "other"
            found.append({"id": comp.name, "type": ctype, **fields})
    return found


def build_original(store: Path, venv: Path) -> Path:
    """The original's home (.hps_svt_tracker/ with svt_components.db and test_data/)."""
    home = store.parent / f"{store.name}-original"
    db = home / ".hps_svt_tracker" / "svt_components.db"
    if db.exists():
        return home
    (home / ".hps_svt_tracker" / "test_data").mkdir(parents=True, exist_ok=True)
    rows = home / "components.json"
    import json
    rows.write_text(json.dumps(components(store)))
    started = time.perf_counter()
    subprocess.run([str(venv / "bin" / "python"), "-c", BUILD, str(db),
                    str(home / ".hps_svt_tracker" / "test_data"), str(rows)], check=True)
    print(f"built {db} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return home


class Program:
    """One program under test: a command prefix and an environment."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], store_args: list[str]):
        self.name = name
        self.argv = argv
        self.env = env
        self.store_args = store_args  # how it is told where its store is
        self.has_watch = False  # an svt with `svt watch` (the rows only it can run)
        self.times: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    def time(self, row: str | None, args: list[str], warm: bool) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run(self.argv + self.store_args + args, capture_output=True,
                              text=True, env=self.env, cwd=tempfile.gettempdir())
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        said = (proc.stdout + proc.stderr).splitlines()
        if proc.returncode != 0 or any(line.startswith("Error") for line in said):
            raise SystemExit(f"{self.name}: {' '.join(args)} failed ({proc.returncode}):"
                             f" {(proc.stderr or proc.stdout)[-500:]}")
        if not warm and row is not None:
            self.times.setdefault(row, []).append(elapsed)
            self.cpu.setdefault(row, []).append(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--original", type=Path, required=True, help="the original's venv")
    parser.add_argument("--svt", type=Path, help="svt's venv (benchmarks/installed.py);"
                        " default: this interpreter's")
    parser.add_argument("--baseline", type=Path, help="an older svt's venv"
                        " (benchmarks/installed.py --rev), or a folder holding svt_records")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--watch", action="store_true", help="start a watcher (svt watch) on"
                        " the store copy of each svt that has one; its CPU time is not counted")
    args = parser.parse_args()
    store = args.store.absolute()
    home = build_original(store, args.original.absolute())
    work = Path(tempfile.mkdtemp(prefix="svt-vs-original-"))
    png = work / "plot.png"
    png.write_bytes(PNG)

    orig_home = work / "original-home"
    shutil.copytree(home / ".hps_svt_tracker", orig_home / ".hps_svt_tracker")
    programs = [Program("original", [str(args.original.absolute() / "bin" / "svt")],
                        dict(ENV, HOME=str(orig_home)), [])]
    svt_venv = args.svt.absolute() if args.svt else Path(sys.executable).parent.parent
    installs = [f"original: {install_kind(args.original, 'hps_svt_tracker')} install in"
                f" {args.original}"]
    variants = [("svt", svt_venv, None)]
    if args.baseline is not None:
        if (args.baseline / "bin" / "svt").exists():
            variants.insert(0, ("svt before", args.baseline.absolute(), None))
        else:
            variants.insert(0, ("svt before", svt_venv, args.baseline.absolute()))
    watched: list[Program] = []  # the svts whose copy a watcher follows (--watch)
    for name, venv, source in variants:
        copy = work / name.replace(" ", "-")
        subprocess.run(["cp", "-a", str(store), str(copy)], check=True)  # much faster than
        # shutil.copytree for 77,000 files; a copy changes every file's inode; refresh git's stat cache as a clone has it
        subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=copy)
        env = dict(ENV)
        kind = install_kind(venv, "svt_records")
        if source is not None:
            env["PYTHONPATH"] = str(source)
            kind = f"PYTHONPATH={source} over the {kind} install"
        about = venv / "svt-source.txt"
        installs.append(f"{name}: {kind} install in {venv}"
                        + (f" ({about.read_text().strip()})" if about.exists() else ""))
        program = Program(name, [str(venv / "bin" / "svt")], env, ["--repo", str(copy)])
        program.has_watch = subprocess.run(program.argv + ["watch", "--help"], env=env,
                                           capture_output=True).returncode == 0
        if args.watch and not program.has_watch:
            installs[-1] += ", no watcher (this svt has none)"
        elif args.watch:
            started = subprocess.run(program.argv + program.store_args + ["watch"], env=env,
                                     capture_output=True, text=True)
            if started.returncode != 0:
                stop_watchers(watched)
                shutil.rmtree(work, ignore_errors=True)
                sys.exit(f"{name}: svt watch failed: {started.stderr.strip()}")
            installs[-1] += ", a watcher following its copy (svt watch)"
            watched.append(program)
        programs.append(program)

    mods = sorted(p.name for p in (store / "records" / "module").iterdir())
    module = mods[len(mods) // 2]
    tag = str(int(time.time()))[-5:]
    rows: list[str] = []
    floors = Program("floors", [], dict(ENV), [])
    try:
        floor_rows = floor_commands(svt_venv / "bin" / "python", work / "svt", work)
        run_all(programs, rows, module, png, tag, args.runs, a_test_id(store, module),
                floors, floor_rows)
    finally:
        stop_watchers(watched)
        shutil.rmtree(work, ignore_errors=True)
    report(programs, rows, store, args, installs)
    print(f"\nFloors, measured in the same run (interleaved with the rows above): median"
          f" wall time (CPU time), ms.\n\n| floor | time |\n|---|---:|")
    for row, _ in floor_rows:
        print(f"| {row} | {statistics.median(floors.times[row]) * 1000:.0f}"
              f" ({statistics.median(floors.cpu[row]) * 1000:.0f}) |")


def floor_commands(python: Path, store: Path, work: Path) -> list[tuple[str, list[str]]]:
    """What no svt command can do without, with svt's Python and this git: Python's start,
    click's import, and git's own work on svt's copy of the store (``update-index`` writes a
    copy of its git index, named by GIT_INDEX_FILE, so the store is not changed)."""
    index = work / "floor-index"
    shutil.copy(store / ".git" / "index", index)
    blob = subprocess.run(["git", "rev-parse", "HEAD:svt.yaml"], cwd=store, check=True,
                          capture_output=True, text=True).stdout.strip()
    adder = work / "floor-update-index.sh"
    adder.write_text(f'n=$(date +%s%N); GIT_INDEX_FILE={index} exec git -C {store}'
                     f' update-index --add --cacheinfo "100644,{blob},bench-floor/$n"\n')
    return [
        ("Python starts (python -c pass)", [str(python), "-c", "pass"]),
        ("Python starts and imports click", [str(python), "-c", "import click"]),
        ("one git process (git rev-parse HEAD)", ["git", "-C", str(store), "rev-parse",
                                                  "HEAD"]),
        ("git diff-files over records/ (git's part of the freshness proof)",
         ["git", "-C", str(store), "diff-files", "--name-only", "-z", "--", "records"]),
        ("git update-index of one path (git's part of every write)", ["sh", str(adder)]),
    ]


def stop_watchers(watched: list[Program]) -> None:
    for program in watched:
        subprocess.run(program.argv + program.store_args + ["watch", "--stop"],
                       env=program.env, capture_output=True)


def run_all(programs: list[Program], rows: list[str], module: str, png: Path, tag: str,
            runs: int, test_id: str, floors: Program | None = None,
            floor_rows: Sequence[tuple[str, list[str]]] = ()) -> None:
    for i in range(runs + 1):
        warm = i == 0
        for row, argv in floor_rows:
            assert floors is not None
            floors.time(row, argv, warm)
        for row, common, orig_only, svt_only in commands(module, png, tag, i, test_id):
            if row is not None and row not in rows:
                rows.append(row)
            # the order turns each run: a write's file-system write-back slows whatever
            # runs right after it (about 5 % for svt after svt), so no program always
            # follows the same one
            turn, order = i % len(programs), list(enumerate(programs))
            for n, p in order[turn:] + order[:turn]:
                mine = orig_only if p.name == "original" else svt_only
                if mine is None or (row == WATCH_ROW and not p.has_watch):
                    continue
                p.time(row, common(n) + mine, warm or row is None)


def report(programs: list[Program], rows: list[str], store: Path, args,
           installs: list[str]) -> None:
    load = os.getloadavg()
    for line in installs:
        print(f"- {line}")
    print()

    names = [p.name for p in programs]
    print(f"Store: {store.name}; median of {args.runs} runs after a warm-up, interleaved;"
          f" load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}. Each cell:"
          " wall time (CPU time of the process and the git processes it waited for), ms.\n")
    head = "| command | " + " | ".join(names) + " | svt / original |"
    if args.baseline is not None:
        head += " svt / before |"
    print(head)
    print("|---|" + "---:|" * (len(names) + 1 + (args.baseline is not None)))

    def ratio(p: Program, q: Program, row: str) -> str:
        if row not in p.times or row not in q.times:
            return "–"
        wall = statistics.median(p.times[row]) / statistics.median(q.times[row])
        cpu = statistics.median(p.cpu[row]) / statistics.median(q.cpu[row])
        return f"{wall:.2f} ({cpu:.2f})"

    by_name = {p.name: p for p in programs}
    for row in rows:
        cells = [f"{statistics.median(p.times[row]) * 1000:.0f}"
                 f" ({statistics.median(p.cpu[row]) * 1000:.0f})" if row in p.times else "–"
                 for p in programs]
        line = (f"| {row} | " + " | ".join(cells)
                + f" | {ratio(by_name['svt'], by_name['original'], row)} |")
        if args.baseline is not None:
            line += f" {ratio(by_name['svt'], by_name['svt before'], row)} |"
        print(line)


WATCH_ROW = "watch --status"


def commands(module: str, png: Path, tag: str, i: int, test_id: str = ""):
    """(row, common args by program number, the original's args or None, svt's or None)."""
    new = lambda n: f"BENCH-{tag}-{n}-{i:02d}"  # noqa: E731 - one id per program and run
    none = lambda n: []  # noqa: E731
    return [
        ("--help", none, ["--help"], ["--help"]),
        ("list", none, ["list"], ["list"]),
        ("list --type module", none, ["list", "--type", "module"],
         ["list", "--type", "module"]),
        (f"show {module}", none, ["show", module], ["show", module]),
        ("summary", none, ["summary"], ["summary"]),
        ("positions", none, None, ["positions"]),  # svt only: the original has none
        ("show-test ID", none, ["show-test", "25001"], ["show-test", test_id]),
        (WATCH_ROW, none, None, ["watch", "--status"]),  # svt only, and an svt that has it
        ("add (new component)", lambda n: ["add", "--id", new(n), "--type", "feb", "--status",
                                           "spare"], [], []),
        ("test", lambda n: ["test", module, "--type", "iv_curve", "--pass", "--voltage",
                            "100"], [], []),
        # the original cannot store files from its CLI: its `list` command shadows the
        # builtin its `test` calls on them
        ("test with a plot", lambda n: ["test", module, "--type", "iv_curve", "--pass",
                                        "--image", str(png)], None, []),
        ("install", lambda n: ["install", new(n), f"FEB{200 + 10 * n + i}"],
         ["--run-period", "2025_spring_run"], []),
        ("remove", lambda n: ["remove", new(n), "--reason", "end_of_run"], [], []),
    ] + [  # untimed set-up: the parts assemble puts together
        (None, lambda n, t=t: ["add", "--id", f"{new(n)}-{t[0].upper()}", "--type", t,
                               "--status", "spare"], [], [])
        for t in ("module", "sensor", "hybrid")
    ] + [
        ("assemble", lambda n: ["assemble", new(n) + "-M", "--sensor", new(n) + "-S",
                                "--hybrid", new(n) + "-H"], [], []),
    ]


if __name__ == "__main__":
    main()
