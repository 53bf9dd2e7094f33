"""Time svt's commands on a generated store and print a Markdown table against the targets.

    python benchmarks/run.py benchmarks/stores/10000 [--runs 5]

Each command runs as its own process (wall time, median of --runs after one warm-up);
peak memory is the largest resident set of any run (svt or a git it waited for). Commands
that change the store run on a copy, so the generated store stays reusable. The rows after
the write commands: a full index rebuild (index deleted), the first list in a real
`git clone` made just before (not with --in-place), a branch switch that changes 1,000
component records (what a pull of them does to the work tree), and 1,000 records edited in
place.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SVT = [sys.executable, "-m", "svt_records"]
# as on a user's machine: Python caches compiled modules (some sandboxes turn that off)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
PNG = bytes.fromhex(  # a 1x1 image, stored with the test results
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e221bc330000000049454e44ae426082")


def run(args: list[str], cwd: Path | None = None, allowed: tuple[int, ...] = (0,)
        ) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one svt process; any other exit stops the run, so a
    failed command is never timed as if it had worked."""
    wrapper = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    proc = subprocess.run(wrapper + SVT + args, cwd=cwd, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - started
    if proc.returncode not in allowed:
        raise SystemExit(f"svt {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    rss = int(proc.stderr.strip().splitlines()[-1]) if wrapper else 0
    return elapsed, rss


def measure(name: str, make_args, runs: int, before=None, allowed: tuple[int, ...] = (0,)
            ) -> tuple[str, float, int]:
    times, peak = [], 0
    for i in range(runs + 1):
        if before:
            before(i)
        elapsed, rss = run(make_args(i), allowed=allowed)
        peak = max(peak, rss)
        if i:  # the first run warms caches
            times.append(elapsed)
    return name, statistics.median(times), peak


def a_test_id(store: Path, module: str) -> str:
    """The id `svt show` prints beside the module's first test (`svt show-test` takes it)."""
    from svt_records.store.layout import event_id
    for path in sorted((store / "records" / "module" / module).glob("*/*.yaml")):
        if "\nkind: test\n" in path.read_text():
            return event_id(path.relative_to(store).as_posix())
    raise SystemExit(f"{module} has no test")


def define_test_types(store: Path) -> None:
    """Give a generated store svt's schemas and test definitions (issue 15) if it predates
    them, plus iv_curve_noplot: iv_curve's analysis without its plot."""
    import yaml  # svt's dependency; only for this set-up
    from svt_records.model.registry import package_schema_dir
    from svt_records.analysis.testtypes import DEFAULT_TEST_TYPES
    for schema in package_schema_dir().glob("*.schema.json"):
        shutil.copy(schema, store / "schemas" / schema.name)
    config_path = store / "svt.yaml"
    config = yaml.safe_load(config_path.read_text())
    types = dict(DEFAULT_TEST_TYPES, **(config.get("test_types") or {}))
    types["iv_curve_noplot"] = dict(types["iv_curve"], analysis=dict(
        types["iv_curve"]["analysis"], plot=False))
    config["test_types"] = json.loads(json.dumps(types))  # no shared parts: no YAML anchors
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.org",
                    "commit", "-qam", "bench: test definitions"], cwd=store, check=True)


def analysis_rows(crepo: list[str], copy: Path, work: Path, module: str, tag: str,
                  r: int) -> list:
    """Issue 15: `svt test --data` analysing an IV file (numpy), with and without its plot
    (matplotlib), and `svt reanalyze` per event."""
    define_test_types(copy)
    iv = work / "iv.csv"
    iv.write_text("Voltage [V],Current [nA],Temperature [C]\n" + "".join(
        f"{-v},{-(1 + v / 50) * (1 if v < 250 else 10 ** ((v - 250) / 10)):.6g},21.5\n"
        for v in range(0, 301, 2)))
    rows = [
        (measure("svt test --data (IV analysis, no plot)", lambda i: crepo + [
            "test", module, "--type", "iv_curve_noplot", "--data", str(iv)], r), 0.5),
        (measure("svt test --data (IV analysis and plot)", lambda i: crepo + [
            "test", module, "--type", "iv_curve", "--data", str(iv)], r), 1.0)]
    events = 10
    ids = [f"BENCH-{tag}-IV{n}" for n in range(events)]
    for cid in ids:
        run(crepo + ["add", "--id", cid, "--type", "sensor"])
        run(crepo + ["test", cid, "--type", "iv_curve", "--data", str(iv)])
    config = copy / "svt.yaml"

    def retune(i: int) -> None:  # a changed definition: every event gets new values
        text = config.read_text()
        voltage = ("180.0", "170.0") if i % 2 == 0 else ("170.0", "180.0")
        config.write_text(text.replace(f"operating_voltage: {voltage[0]}",
                                       f"operating_voltage: {voltage[1]}"))
        subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.org",
                        "commit", "-qam", "bench: operating voltage"], cwd=copy, check=True)
    name, seconds, rss = measure("svt reanalyze", lambda i: crepo + [
        "reanalyze", "--type", "iv_curve", *ids], r, before=retune)
    rows.append(((f"svt reanalyze, per event ({events} events with plots)", seconds / events,
                  rss), 0.5))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-validate", action="store_true")
    parser.add_argument("--in-place", action="store_true",
                        help="change the given store itself instead of a copy (very large"
                             " stores, where copying takes longer than the benchmark)")
    parser.add_argument("--skip-site", action="store_true",
                        help="leave out svt site (needs the site extra)")
    parser.add_argument("--site-runs", type=int, default=1,
                        help="runs of the full svt site build (about a minute each)")
    parser.add_argument("--only-analysis", action="store_true",
                        help="only the rows of the IV analysis (issue 15), on a copy")
    parser.add_argument("--slow-runs", type=int, default=3,
                        help="runs of the commands that take seconds (validate, rebuild)")
    args = parser.parse_args()
    store = args.store.absolute()
    n = sum(1 for _ in (store / "records" / "module").iterdir()) if (store / "records").exists() else 0
    repo = ["--repo", str(store)]
    module = sorted(p.name for p in (store / "records" / "module").iterdir())[n // 2]
    results = []
    r = args.runs
    if args.only_analysis:  # a copy, the analysis rows and nothing else
        work = Path(tempfile.mkdtemp(prefix="svt-bench-"))
        shutil.copytree(store, work / "store", symlinks=True)
        subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=work / "store")
        crepo = ["--repo", str(work / "store")]
        # for comparison on the same (possibly busy) machine: a test that analyses nothing
        results = [(measure("svt test (no analysis)", lambda i: crepo + [
            "test", module, "--type", "iv_curve", "--pass", "--voltage", "100"], r), 0.30)]
        results += analysis_rows(crepo, work / "store", work, module,
                                 str(int(time.time()))[-5:], r)
        report(store, n, r, results)
        shutil.rmtree(work, ignore_errors=True)
        return
    results.append((measure("svt --help", lambda i: ["--help"], r), 0.12))
    results.append((measure("svt list", lambda i: repo + ["list"], r), 0.40))
    results.append((measure("svt list --type module", lambda i: repo + ["list", "--type", "module"], r), 0.18))
    # issue 26: the components whose latest test of some type failed (health from the index)
    results.append((measure("svt list --health fail", lambda i: repo + ["list", "--health", "fail"],
                            r), None))
    results.append((measure(f"svt show {module}", lambda i: repo + ["show", module], r), 0.18))
    test_id = a_test_id(store, module)  # issue 16: no slower than show
    results.append((measure(f"svt show-test {test_id}", lambda i: repo + ["show-test", test_id],
                            r), 0.18))
    results.append((measure("svt summary", lambda i: repo + ["summary"], r), 0.18))
    # the present from the component records; a run period replays every install and remove
    results.append((measure("svt positions", lambda i: repo + ["positions"], r), 0.15))
    results.append((measure("svt positions --run-period 2024_fall_run",
                            lambda i: repo + ["positions", "--run-period", "2024_fall_run"], r),
                    None))
    # every commit that touched one component, walking the whole history (a commit per
    # generated component: 10,000 commits in the 10,000 store)
    results.append((measure(f"svt history {module}", lambda i: repo + ["history", module], r),
                    0.30))
    # one label (SVG, its QR code made by segno), written outside the store
    labels_out = tempfile.mkdtemp(prefix="svt-bench-labels-")
    results.append((measure(f"svt label {module}", lambda i: repo + [
        "label", module, "--out", labels_out], r), 0.30))
    shutil.rmtree(labels_out, ignore_errors=True)

    work = Path(tempfile.mkdtemp(prefix="svt-bench-"))
    copy = work / "store"
    if args.in_place:
        copy = store
    else:
        shutil.copytree(store, copy, symlinks=True)
        # a copy changes every file's inode; refresh git's stat cache as a fresh clone has it
        subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=copy)
    crepo = ["--repo", str(copy)]
    png = work / "plot.png"
    png.write_bytes(PNG)
    tag = str(int(time.time()))[-5:]  # in place, earlier runs' components exist
    add = measure("svt add (new component)", lambda i: crepo + [
        "add", "--id", f"BENCH-{tag}-{i:03d}", "--type", "feb", "--status", "spare"], r)
    results.append((add, 0.30))
    results.append((measure("svt test (with a plot)", lambda i: crepo + [
        "test", module, "--type", "iv_curve", "--pass", "--voltage", "100", "--image", str(png)],
        r), 0.30))
    results += analysis_rows(crepo, copy, work, module, tag, r)
    results.append((measure("svt install", lambda i: crepo + [
        "install", f"BENCH-{tag}-{i:03d}", f"FEB{int(tag) % 70 * 10 + 200 + i}"], r), 0.30))
    # each run undoes a component added just before it (untimed); the target: twice a write
    results.append((measure("svt undo (of an add)", lambda i: crepo + ["undo"], r,
                            before=lambda i: run(crepo + [
                                "add", "--id", f"BENCH-{tag}-U{i:03d}", "--type", "feb"])),
                    round(2 * add[1], 3)))
    # issue 25: a component's type changes, its record and events move (one commit); each
    # run retypes a component added just before it (untimed); the target: twice a write
    results.append((measure("svt retype", lambda i: crepo + [
        "retype", f"BENCH-{tag}-R{i:03d}", "cable"], r,
        before=lambda i: run(crepo + ["add", "--id", f"BENCH-{tag}-R{i:03d}", "--type", "feb"])),
        round(2 * add[1], 3)))
    # issue 27: a log recorded from a GitHub issue form's body (as the workflow runs it)
    body = work / "issue-body.md"
    body.write_text(f"### Component\n\n{module}\n\n### Entry\n\nLog entry\n\n### Text\n\n"
                    "Bond wire lifted on channel 12\n\n### Log type\n\nissue\n\n"
                    "### Severity\n\nwarning\n\n### Photos\n\n_No response_\n\n"
                    "### When\n\n_No response_")
    results.append((measure("svt from-issue (a log form, no files)", lambda i: crepo + [
        "from-issue", str(body), "--author", "bench", "--issue", str(i + 1),
        "--no-download"], r), round(2 * add[1], 3)))
    if not args.skip_validate:
        results.append((measure("svt validate (everything)", lambda i: crepo + ["validate"],
                                args.slow_runs, allowed=(0, 1)), 15.0))
        results.append((measure("svt validate --since HEAD~1", lambda i: crepo + [
            "validate", "--since", "HEAD~1"], r, allowed=(0, 1)), 0.5))

    # svt sync with nothing to do: the copy pushes to a bare remote on this disk (fetch, no
    # change, no push)
    remote = work / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(copy), str(remote)], check=True)
    subprocess.run(["git", "-C", str(copy), "remote", "add", "bench-origin", str(remote)],
                   check=True)
    subprocess.run(["git", "-C", str(copy), "fetch", "-q", "bench-origin"], check=True)
    subprocess.run(["git", "-C", str(copy), "branch", "-q", "--set-upstream-to",
                    "bench-origin/main"], check=True)
    results.append((measure("svt sync (nothing to do, local remote)",
                            lambda i: crepo + ["sync"], r), 0.5))
    subprocess.run(["git", "-C", str(copy), "remote", "remove", "bench-origin"], check=True)
    if not args.skip_site:
        # the site: a full build into an empty folder, then a rebuild after one component
        # changed (its page, the store-wide pages; validate --since the last build)
        site = work / "site"
        results.append((measure("svt site OUT (full build)", lambda i: crepo + [
            "site", str(site)], args.site_runs,
            before=lambda i: shutil.rmtree(site, ignore_errors=True)), 90.0))
        results.append((measure("svt site OUT (rebuild after one change)", lambda i: crepo + [
            "site", str(site)], r, before=lambda i: run(crepo + [
                "add", "--id", module, "--status", ("testing", "qualified")[i % 2]])), 5.0))
        # the filter keystroke in the browser: svt site OUT, then benchmarks/site_browser.py OUT

    index = copy / ".git" / "svt" / "index.sqlite"
    results.append((measure("list after deleting the index (full rebuild)",
                            lambda i: crepo + ["list"], args.slow_runs,
                            before=lambda i: index.unlink(missing_ok=True)), 3.0))
    if not args.in_place:  # a real clone, timed right after it (copying 100,000 takes minutes)
        clone = work / "clone"

        def fresh_clone(i: int) -> None:
            shutil.rmtree(clone, ignore_errors=True)
            subprocess.run(["git", "clone", "-q", str(copy), str(clone)], check=True)
        results.append((measure("first list in a fresh `git clone` (index rebuild)",
                                lambda i: ["--repo", str(clone), "list"], args.slow_runs,
                                before=fresh_clone), 3.0))
        shutil.rmtree(clone, ignore_errors=True)
    comps = sorted((copy / "records" / "module").iterdir())[:1000]
    git = ["git", "-C", str(copy)]
    # a pull of 1,000 changed records: commit them on a side branch, then switch back and forth
    subprocess.run(git + ["checkout", "-q", "-B", "bench-pulled"], check=True)
    for c in comps:
        path = c / "component.yaml"
        path.write_text(path.read_text().replace("location: ", "location: Pulled ", 1))
    subprocess.run(git + ["-c", "user.name=Bench", "-c", "user.email=bench@example.org", "commit",
                          "-qam", "bench: 1,000 changed records"], check=True)
    subprocess.run(git + ["checkout", "-q", "-"], check=True)
    results.append((measure("list after checking out 1,000 changed files (as after a pull)",
                            lambda i: crepo + ["list"], args.slow_runs,
                            before=lambda i: subprocess.run(git + [
                                "checkout", "-q", "bench-pulled" if i % 2 == 0 else "-"],
                                check=True)), None))
    subprocess.run(git + ["checkout", "-q", "-f", "main"], check=True)

    def edit(i: int) -> None:  # a real in-place content change, as an editor would make
        for c in comps:
            path = c / "component.yaml"
            lines = path.read_text().splitlines(keepends=True)
            path.write_text("".join(f"location: Bench edit {i}\n" if l.startswith("location:")
                                    else l for l in lines))
    results.append((measure("list after 1,000 files edited (refresh)",
                            lambda i: crepo + ["list"], args.slow_runs, before=edit), None))
    shutil.rmtree(work, ignore_errors=True) if not args.in_place else None

    report(store, n, r, results)


def report(store: Path, n: int, r: int, results: list) -> None:
    commits = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=store,
                             capture_output=True, text=True).stdout.strip()
    print(f"Store: {store.name} ({n} modules of {sum(1 for _ in (store / 'records').glob('*/*'))}"
          f" components, {commits} commits); median of {r} runs after a warm-up.\n")
    print("| command | time (s) | target (s) | peak RSS (MB) | |")
    print("|---|---:|---:|---:|---|")
    for (name, seconds, rss), target in results:
        verdict = "" if target is None else ("PASS" if seconds <= target else "MISS")
        shown = "–" if target is None else f"{target:.2f}"
        print(f"| {name} | {seconds:.3f} | {shown} | {rss / 1024:.0f} | {verdict} |")


if __name__ == "__main__":
    main()
