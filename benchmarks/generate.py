"""Generate a synthetic svt store of realistic shape, at any size, for benchmarks.

    python benchmarks/generate.py --components 10000 [--tests-per-component 5] [--out DIR]
    python benchmarks/generate.py --components 10000 --iv-files 1000   # for svt site

Modules with sensors and hybrids assembled onto them, FEBs, cables and power supplies; IV
curves and noise scans with measurements (some with a small plot), installs at valid
positions, removals and logs. Every file is rendered by svt's own writer, so it is exactly
what `svt` would have written. The history is built with `git fast-import`, one commit per
component (plus the store's creation), so `git log -- <component>` walks a history as long as
the store is large, as it would after years of one commit per change.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from svt_records import model  # noqa: E402
from svt_records.api.database import Database  # noqa: E402
from svt_records.store.layout import render_record

from run import PNG  # noqa: E402  (benchmarks/run.py: the 1x1 image stored with tests)
MIX = ["module"] * 8 + ["sensor"] * 3 + ["hybrid"] * 3 + ["feb"] * 2 + ["cable"] * 2 + \
    ["mpod_module", "optical_board"]
MODULE_POSITIONS = [f"Layer{l}_{d}_{o}" for l in range(4) for d in ("top", "bottom")
                    for o in ("axial", "stereo")] + \
    [f"Layer{l}_{d}_{o}_{s}" for l in range(4, 8) for d in ("top", "bottom")
     for o in ("axial", "stereo") for s in ("slot", "hole")]
ZONE = timezone(timedelta(hours=-5))


def plan(n: int, tests: int, rng: random.Random, iv_files: int = 0) -> dict[str, dict]:
    """Every component's record and events (as data), cross-links consistent."""
    ids_by_type: dict[str, list[str]] = {}
    comps: dict[str, dict] = {}
    start = datetime(2023, 1, 1, 8, 0, tzinfo=ZONE)
    for i in range(n):
        ctype = MIX[i % len(MIX)]
        cid = f"{ctype.upper().replace('_', '')}-{i:06d}"
        ids_by_type.setdefault(ctype, []).append(cid)
        created = start + timedelta(minutes=7 * i)
        comps[cid] = {"record": {"id": cid, "type": ctype, "status": rng.choice(
            ["spare", "qualified", "incoming", "testing"]), "location": rng.choice(
            ["Clean Room", "Hall B", "SLAC", "Storage"]), "manufacturer": rng.choice(
            ["HPK", "SLAC", "JLab"]), "serial_number": f"SN-{i:07d}",
            "attributes": {"batch": rng.randint(1, 40)},
            "created": model.format_date(created)}, "events": [], "when": created}
    sensors, hybrids = iter(ids_by_type.get("sensor", [])), iter(ids_by_type.get("hybrid", []))
    for cid in ids_by_type.get("module", []):
        c = comps[cid]
        s, h = next(sensors, None), next(hybrids, None)
        if s and h:
            c["record"].update(sensor=s, hybrid=h)
            comps[s]["record"]["module"] = cid
            comps[h]["record"]["module"] = cid
            c["events"].append(("assembly", c["when"] + timedelta(days=1),
                                {"sensor": s, "hybrid": h, "by": "Jane Doe"}))
    for cid, c in comps.items():
        for k in range(tests):
            when = c["when"] + timedelta(days=2 + 3 * k, minutes=k)
            if k % 2 == 0:
                ev = {"test_type": "iv_curve", "result": rng.choice(["pass"] * 9 + ["fail"]),
                      "measurements": {
                          "voltage": {"value": 100.0, "unit": "V"},
                          "current": {"value": round(rng.uniform(1e-7, 5e-6), 9), "unit": "A"},
                          "temperature": {"value": round(rng.uniform(-12, 22), 1), "unit": "C"}},
                      "tested_by": "Jane Doe", "setup": "probe station 2"}
            else:
                ev = {"test_type": "noise_test", "result": "pass",
                      "measurements": {"noise": rng.randint(1400, 1900),
                                       "bad_channels": sorted(rng.sample(range(640), 3))},
                      "tested_by": "John Doe"}
            c["events"].append(("test", when, ev))
        if iv_files and c["record"]["type"] == "module" and any(
                e[2].get("test_type") == "iv_curve" for e in c["events"] if e[0] == "test"):
            iv_files -= 1  # this module's latest IV test keeps its measured curve
            latest = [body for kind, _, body in c["events"]
                      if kind == "test" and body.get("test_type") == "iv_curve"][-1]
            latest["_iv"] = iv_curve(rng)
        c["events"].append(("log", c["when"] + timedelta(days=30),
                            {"log_type": "observation", "severity": "info",
                             "text": "Visual inspection fine", "logged_by": "John Doe"}))
    installable = [("module", MODULE_POSITIONS), ("feb", [f"FEB{i}" for i in range(1, 41)])]
    for ctype, positions in installable:
        for cid, position in zip(ids_by_type.get(ctype, []), positions):
            c = comps[cid]
            earlier = c["when"] + timedelta(days=20)  # a previous run: installed, then removed
            c["events"].append(("install", earlier, {"position": position,
                                                     "run_period": "2024_fall_run",
                                                     "installed_by": "John Doe"}))
            c["events"].append(("remove", earlier + timedelta(days=10), {
                "position": position, "run_period": "2024_fall_run", "reason": "end_of_run",
                "removed_by": "Jane Doe", "location": "Clean Room"}))
            when = c["when"] + timedelta(days=40)
            c["events"].append(("install", when, {"position": position,
                                                  "run_period": "2025_spring_run",
                                                  "installed_by": "John Doe"}))
            # where the removal left it (svt validate checks location against that event)
            c["record"].update(status="installed", position=position, location="Clean Room",
                               run_period="2025_spring_run",
                               installed_date=model.format_date(when))
    return comps


def iv_curve(rng: random.Random) -> bytes:
    """An IV scan as a probe station writes it (the CSV form svt_records.analysis.ivfile reads).

    A reverse-biased silicon sensor: the bulk generation current grows with the depleted
    depth, which goes as sqrt(V) up to the full-depletion voltage; past it the current
    plateaus, with a small ohmic slope from the surface current. One sensor in twenty breaks
    down before the end of the scan (the current then climbs exponentially)."""
    import math
    v_dep = rng.uniform(40.0, 90.0)          # full depletion, V
    i_dep = rng.uniform(2e-7, 3e-6)          # bulk current at full depletion, A
    slope = i_dep * rng.uniform(0.0005, 0.002)  # surface current, A per V past depletion
    v_bd = rng.uniform(150.0, 190.0) if rng.random() < 0.05 else None
    rows = []
    for v in range(0, 201, 5):
        current = i_dep * math.sqrt(min(v, v_dep) / v_dep) + slope * max(0.0, v - v_dep)
        if v_bd is not None and v > v_bd:
            current *= math.exp((v - v_bd) / 8.0)
        current *= 1 + rng.gauss(0.0, 0.01)  # the ammeter's noise
        temperature = 20.0 + rng.gauss(0.0, 0.1)
        rows.append(f"{v},{current:.4e},{temperature:.2f}")
    return ("# sensor IV scan, reverse bias (magnitudes)\nvoltage_V,current_A,temperature_C\n"
            + "\n".join(rows) + "\n").encode()


def render(comps: dict[str, dict], image_every: int) -> dict[str, list[tuple[str, bytes]]]:
    """Files of each component, as svt writes them."""
    out = {}
    n_test = 0
    for cid, c in comps.items():
        rec = c["record"]
        folder = f"records/{rec['type']}/{cid}"
        files = [(f"{folder}/component.yaml",
                  render_record(f"{folder}/component.yaml", rec, "component"))]
        used: set[str] = set()
        for kind, when, body in c["events"]:
            name = body.get("test_type", kind)
            stamp = model.date_stamp(when)
            base = f"{stamp}_{name}"
            seq = 2
            while base in used:
                base, seq = f"{stamp}_{name}-{seq}", seq + 1
            used.add(base)
            path = f"{folder}/{stamp[:4]}/{base}.yaml"
            curve = body.pop("_iv", None)
            event = {"kind": kind, "date": model.format_date(when), "component": cid, **body}
            if curve is not None:
                data = f"{base}_data.csv"
                event["files"] = [{"path": data, "kind": "data", "size": len(curve),
                                   "sha256": hashlib.sha256(curve).hexdigest(),
                                   "original_name": "iv.csv"}]
                files.append((f"{folder}/{stamp[:4]}/{data}", curve))
            elif kind == "test":
                n_test += 1
                if n_test % image_every == 0:
                    image = f"{base}_0.png"
                    event["files"] = [{"path": image, "kind": "image", "size": len(PNG),
                                       "sha256": hashlib.sha256(PNG).hexdigest(),
                                       "original_name": "plot.png"}]
                    files.append((f"{folder}/{stamp[:4]}/{image}", PNG))
            files.append((path, render_record(path, event, kind)))
        out[cid] = files
    return out


def fast_import(root: Path, files: dict[str, list[tuple[str, bytes]]], per_commit: int = 1) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                          text=True, check=True).stdout.strip()
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=root, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    stamp = 1700000000
    items = list(files.items())
    for n, start in enumerate(range(0, len(items), per_commit)):
        group = items[start:start + per_commit]
        message = f"add {group[0][0]}: generated".encode() if per_commit == 1 else \
            f"add {group[0][0]}..{group[-1][0]}: generated".encode()
        chunk = [b"commit refs/heads/main\n",
                 f"author Bench <bench@example.org> {stamp + n} +0000\n".encode(),
                 f"committer Bench <bench@example.org> {stamp + n} +0000\n".encode(),
                 f"data {len(message)}\n".encode(), message, b"\n"]
        if n == 0:
            chunk.append(f"from {head}\n".encode())
        for _, entries in group:
            for path, data in entries:
                chunk += [f"M 100644 inline {path}\n".encode(), f"data {len(data)}\n".encode(),
                          data, b"\n"]
        proc.stdin.write(b"".join(chunk))
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=root, check=True)


def bulk_commit(root: Path, files: dict[str, list[tuple[str, bytes]]], history: int) -> None:
    """Very large stores: every file in one commit (through a private index, as svt imports
    do), then ``history`` small commits elsewhere, so that `git log -- <component>` still
    walks a long history (the worst case: a path untouched by most commits)."""
    for entries in files.values():
        for path, data in entries:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    subprocess.run(["git", "add", "-A", "records"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", f"import: {len(files)} generated components"],
                   cwd=root, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                          text=True, check=True).stdout.strip()
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=root, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for n in range(history):
        line = f"{n}\n".encode()
        proc.stdin.write(b"".join([
            b"commit refs/heads/main\n",
            f"committer Bench <bench@example.org> {1700000000 + n} +0000\n".encode(),
            b"data 13\nbench history\n", f"from {head}\n".encode() if n == 0 else b"",
            b"M 100644 inline bench-history.txt\n", f"data {len(line)}\n".encode(), line,
            b"\n"]))
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=root, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--tests-per-component", type=int, default=5)
    parser.add_argument("--image-every", type=int, default=10,
                        help="every Nth test result has a small stored plot")
    parser.add_argument("--iv-files", type=int, default=0, metavar="N",
                        help="N modules get a measured IV curve (a CSV data file) with their"
                             " latest iv_curve test: N data files (for svt site's IV plots)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bulk-history", type=int, default=0, metavar="K",
                        help="one commit for all components, then K small commits (for very"
                             " large stores, where a commit per component takes hours)")
    parser.add_argument("--per-commit", type=int, default=1,
                        help="components per commit (fast-import rewrites each changed folder's"
                             " tree per commit, so 100,000 components want ~10)")
    args = parser.parse_args()
    out = (args.out or Path(__file__).parent / "stores" / str(args.components)).absolute()
    if out.exists():
        raise SystemExit(f"{out} exists; remove it first")
    started = time.monotonic()
    Database(out).initialize_schema(ci=False)
    comps = plan(args.components, args.tests_per_component, random.Random(args.seed),
                 args.iv_files)
    files = render(comps, args.image_every)
    if args.bulk_history:
        bulk_commit(out, files, args.bulk_history)
        commits = args.bulk_history + 2
    else:
        fast_import(out, files, args.per_commit)
        commits = -(-len(files) // args.per_commit) + 1
    count = sum(len(v) for v in files.values())
    print(f"{out}: {args.components} components, {count} files, {commits} commits,"
          f" {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
