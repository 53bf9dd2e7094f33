"""svt test, show-test, install, remove, assemble, disassemble, log, comment, attach, connect,
disconnect, connections."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from . import StoreChoice, open_db, report_notes
from ..model.registry import MODULE_PARTS
from .complete import COMPONENT_ID, complete_position
from .render import (FORMAT_OPTION, done, echo, echo_data, skipped_records, table, to_csv,
                     to_json)

if TYPE_CHECKING:  # the library is imported when a command runs
    from ..api.database import Database

DATE_HELP = "When it happened (ISO 8601, e.g. 2025-03-14T10:22; default now)."


@click.command()
@click.argument("component_id", metavar="ID", required=False, type=COMPONENT_ID)
@click.option("--type", "test_type", help="Test type, e.g. iv_curve, noise_test.")
@click.option("--pass", "passed", is_flag=True, help="The test passed.")
@click.option("--fail", "failed", is_flag=True, help="The test failed.")
@click.option("--voltage", type=float, help="Bias voltage in V.")
@click.option("--current", type=float, help="Leakage current in A (e.g. 2.3e-6).")
@click.option("--temp", type=float, help="Temperature in degrees C.")
@click.option("--noise", type=float, help="Noise (ENC) in electrons.")
@click.option("--measure", "measures", multiple=True, metavar="NAME=VALUE[UNIT]",
              help="Another measurement (repeatable): a number with an optional unit"
                   " (--measure leakage=2.3uA, --measure enc=1500e) or integers"
                   " (--measure bad_channels=47,128); the README lists the units.")
@click.option("--images", "--image", "images", multiple=True, metavar="FILE",
              type=click.Path(),  # svt says what is wrong with a path
              help="An image to store with the result (repeatable); plots: --plot.")
@click.option("--data", "--raw-data", "data_files", multiple=True, metavar="FILE",
              type=click.Path(),  # svt says what is wrong with a path
              help="A raw data file to store with the result (repeatable); when svt.yaml"
                   " defines an analysis for the type (svt test-types), the first is"
                   " analysed: derived values, a plot, and a verdict from the limits.")
@click.option("--plot", "plots", multiple=True, metavar="FILE",
              help="A plot or processed output to store with the result (repeatable).")
@click.option("--log-file", "log_files", multiple=True, metavar="FILE",
              help="A log file of the test to store with the result (repeatable).")
@click.option("--tested-by", help="Who ran the test (default: your git name).")
@click.option("--setup", help="Test setup, e.g. the test stand.")
@click.option("--conditions", help="Test conditions.")
@click.option("--notes", help="Free-text notes.")
@click.option("--date", help=DATE_HELP)
@click.option("--from-csv", "from_csv", type=click.Path(dir_okay=False),
              help="Record many results from a CSV file (columns component, type, result, date,"
                   " tested_by, notes, images, data; other columns are measurements, e.g."
                   " 'current [A]'), in one commit.")
def test(component_id: str | None, test_type: str | None, passed: bool, failed: bool,
         voltage: float | None, current: float | None, temp: float | None,
         noise: float | None, measures: tuple[str, ...], images: tuple[str, ...],
         data_files: tuple[str, ...], plots: tuple[str, ...], log_files: tuple[str, ...],
         tested_by: str | None, setup: str | None, conditions: str | None,
         notes: str | None, date: str | None, from_csv: str | None) -> None:
    """Record a test result of component ID, with its measurements, plots and data.

    Without --pass or --fail, the limits of svt.yaml's definition of the type (svt
    test-types) give the verdict; a verdict given by hand that they contradict is recorded
    with a warning.

    Files are copied beside the result as <YYYY>/<YYYYMMDD_HHMMSS>_<type>_<tag>_<n>.<ext>
    (images, plots, log files) and ..._<type>_<tag>_data.<ext> (raw data), each with its
    kind, size and sha256.

    \b
    Example:
      svt test HPK-SN123456 --type iv_curve --pass --voltage 60 --current 2.3e-6 \\
           --temp -9.0 --images iv_curve.png --tested-by "Jane Doe"
    """
    from ..model import STANDARD_MEASURES, parse_measurement
    from ..model.errors import InvalidInput, SvtError
    if from_csv:
        if component_id or test_type:
            raise click.UsageError("--from-csv takes everything from the file: leave out ID"
                                   " and --type")
        from ..exchange.bulk import tests_from_csv
        db = open_db()
        commit, count, present = tests_from_csv(db, from_csv)
        report_notes(db)
        done(f"Recorded {count} result(s) from {from_csv}; {present} already present", commit)
        return
    if not component_id or not test_type:
        raise click.UsageError("give the component ID and --type TYPE (or --from-csv FILE)")
    if passed and failed:
        raise click.UsageError("--pass and --fail together: give one of them (or neither)")
    values: dict = {}
    for name, value in (("voltage", voltage), ("current", current), ("temperature", temp),
                        ("noise", noise)):
        if value is not None:
            values[name] = {"value": value, "unit": STANDARD_MEASURES[name]}
    for text in measures:
        try:
            name, measured = parse_measurement(text)
        except SvtError:
            raise
        except ValueError:  # Python reads integers of at most 4,300 digits
            raise InvalidInput(f"--measure {text[:30]}…: too many digits for a number; write a"
                               " large number as a float (e.g. 1.5e+30)") from None
        values[name] = measured
    db = open_db()
    rel = db.record_test(component_id, test_type, passed=True if passed else False if failed else None,
                         measurements=values, images=images, data_files=data_files,
                         plots=plots, log_files=log_files, tested_by=tested_by, notes=notes, setup=setup, conditions=conditions,
                         date=date)
    report_notes(db)
    for line in verdict_lines(db.load(rel)):
        echo(line)
    done(f"Recorded {test_type} of {component_id}: {rel}", db.last_commit)


def verdict_lines(event: dict, values: bool = True) -> list[str]:
    """What the analysis derived (its ``values`` too) and what the limits say of a test."""
    from ..model.values import format_measurement
    out = []
    analysis = event.get("analysis") or {}
    measures = event.get("measurements") or {}
    if analysis and not values:
        out.append(f"Analysis {analysis['name']} v{analysis['version']} derived the values"
                   " marked (derived)")
    elif analysis:
        derived = ", ".join(f"{n} {format_measurement(measures[n])}"
                            for n in analysis.get("values", []) if n in measures)
        out.append(f"Analysis {analysis['name']} v{analysis['version']}: {derived or 'no values'}")
    limits = event.get("limits") or {}
    if limits:
        failed = "; ".join(limits.get("failed") or [])
        says = limits["verdict"].upper() + (f" ({failed})" if failed else "")
        if limits.get("decided"):
            out.append(f"Result from the limits: {says}")
        elif limits["verdict"] != event.get("result"):
            out.append(f"Result {str(event.get('result')).upper()} given by hand; the limits"
                       f" say {says}")
    return out


@click.command("show-test")
@click.argument("test_id", metavar="TEST_ID")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def show_test(test_id: str, fmt: str) -> None:
    """Show one test in full: component, type, date, verdict, who ran it, every
    measurement with its unit, each stored file (kind, name, size, path) and the notes.

    TEST_ID is the id `svt show` prints beside each test (e.g. 3f9a0c, or MOD-1:3f9a0c
    when several components have a test of that id), the path of the test's record, or,
    after `svt import-sqlite`, the original tracker's test number.
    """
    from ..api.queries import find_test
    db = open_db()
    with skipped_records() as skipped:  # files of that id that do not load, beside it
        ev = find_test(db, test_id, skipped)
        _print_test(db, ev, fmt)


def _print_test(db: "Database", ev: dict, fmt: str) -> None:
    from ..model.registry import FILE_KIND_LABELS, format_size
    from ..model.values import format_measurement
    if fmt == "json":
        echo_data(to_json(ev))
        return
    result = {"pass": "PASS", "fail": "FAIL"}.get(ev.get("result") or "", "-")
    out = [f"Test {ev['id']}  ({ev['component']}:{ev['id']})", ""]
    fields = [("Component", ev["component"]), ("Type", ev["test_type"]), ("Date", ev["date"]),
              ("Result", result), ("Tested by", ev.get("tested_by")), ("Setup", ev.get("setup")),
              ("Conditions", ev.get("conditions")), ("Original id", ev.get("legacy_id")),
              ("Record", ev["_path"])]
    out += [f"  {k + ':':<14}{v}" for k, v in fields if v is not None]
    measures = ev.get("measurements") or {}
    derived = set((ev.get("analysis") or {}).get("values") or ())
    out += ["", f"Measurements ({len(measures)}):"]
    out += [f"  {name}: {format_measurement(value)}{'  (derived)' if name in derived else ''}"
            for name, value in measures.items()]
    from ..store.testrun import verdict_notes  # what placeholder limits say, and rest on
    verdict = verdict_lines(ev, values=False) + verdict_notes(db.config, ev)
    if verdict:
        out += [""] + verdict
    out += ["", f"Files ({len(ev['files'])}):"]
    for f in ev["files"]:
        kind = FILE_KIND_LABELS.get(f["kind"], f["kind"])
        out.append(f"  {kind}  {f.get('original_name') or f['path']}  {format_size(f['size'])}")
        out.append(f"      {f['full_path']}")
        if f.get("description"):
            out.append(f"      {f['description']}")
    if ev.get("notes"):
        out += ["", "Notes:"] + [f"  {line}" for line in ev["notes"].splitlines()]
    echo("\n".join(out))


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@click.argument("position", shell_complete=complete_position)
@click.option("--run-period", help='Run period, e.g. "2025_spring_run".')
@click.option("--installed-by", help="Who installed it (default: your git name).")
@click.option("--notes", help="Free-text notes.")
@click.option("--date", help=DATE_HELP)
def install(component_id: str, position: str, run_period: str | None, installed_by: str | None,
            notes: str | None, date: str | None) -> None:
    """Install component ID at POSITION.

    Modules take LayerN_{top|bottom}_{axial|stereo} (layers 0-3) or
    LayerN_{top|bottom}_{axial|stereo}_{slot|hole} (layers 4-7); FEBs take FEBN.
    A position holds one component at a time.

    \b
    Example:
      svt install HPK-SN123456 Layer1_top_axial --run-period 2025_spring_run
    """
    db = open_db()
    db.install(component_id, position, run_period=run_period, installed_by=installed_by,
               notes=notes, date=date)
    report_notes(db)
    done(f"Installed {component_id} at {position}", db.last_commit)


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@click.option("--reason", help='Why, e.g. "end_of_run".')
@click.option("--removed-by", help="Who removed it (default: your git name).")
@click.option("--location", help="Where it goes now, e.g. \"Clean Room Storage\".")
@click.option("--status", type=StoreChoice("statuses", exclude=("installed",)),
              help="Status after removal (default: spare if it was installed).")
@click.option("--notes", help="Free-text notes.")
@click.option("--date", help=DATE_HELP)
def remove(component_id: str, reason: str | None, removed_by: str | None, location: str | None,
           status: str | None, notes: str | None, date: str | None) -> None:
    """Remove installed component ID from its position."""
    db = open_db()
    db.remove(component_id, reason=reason, removed_by=removed_by, location=location, notes=notes,
              date=date, status=status)
    report_notes(db)
    done(f"Removed {component_id}", db.last_commit)


@click.command()
@click.argument("module_id", metavar="MODULE", type=COMPONENT_ID)
@click.option("--sensor", help="Sensor id to attach.", type=COMPONENT_ID)
@click.option("--hybrid", help="Hybrid id to attach.", type=COMPONENT_ID)
@click.option("--assembled-by", help="Who assembled it (default: your git name).")
@click.option("--notes", help="Free-text notes.")
@click.option("--date", help=DATE_HELP)
def assemble(module_id: str, sensor: str | None, hybrid: str | None, assembled_by: str | None,
             notes: str | None, date: str | None) -> None:
    """Assemble a sensor and/or a hybrid onto MODULE (either part alone works too)."""
    db = open_db()
    db.assemble(module_id, sensor_id=sensor, hybrid_id=hybrid, assembled_by=assembled_by,
                notes=notes, date=date)
    report_notes(db)
    parts = " and ".join(p for p in (sensor, hybrid) if p)
    done(f"Assembled {parts} onto {module_id}", db.last_commit)


@click.command()
@click.argument("module_id", metavar="MODULE", type=COMPONENT_ID)
@click.option("--disassembled-by", help="Who did it (default: your git name).")
@click.option("--notes", help="Why, and what becomes of the parts.")
@click.option("--only", type=click.Choice(MODULE_PARTS),
              help="Detach only this part (default: both).")
@click.option("--date", help=DATE_HELP)
def disassemble(module_id: str, disassembled_by: str | None, notes: str | None,
                only: str | None, date: str | None) -> None:
    """Detach the sensor and hybrid of MODULE; they stay in the store, free to reuse."""
    db = open_db()
    db.disassemble(module_id, disassembled_by=disassembled_by, notes=notes, date=date,
                   parts=(only,) if only else MODULE_PARTS)
    report_notes(db)
    done(f"Disassembled {module_id}", db.last_commit)


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@click.argument("text")
@click.option("--type", "log_type", default="note", show_default=True,
              type=StoreChoice("log_types"))
@click.option("--severity", default="info", show_default=True, type=StoreChoice("severities"))
@click.option("--by", "--logged-by", "logged_by", help="Who logs it (default: your git name).")
@click.option("--resolution", help="How an issue was resolved (issues and repairs).")
@click.option("--image", "images", multiple=True, metavar="FILE",
              help="A photo to store with the entry (repeatable).")
@click.option("--date", help=DATE_HELP)
def log(component_id: str, text: str, log_type: str, severity: str, logged_by: str | None,
        resolution: str | None, images: tuple[str, ...], date: str | None) -> None:
    """Add a log entry TEXT to component ID.

    \b
    Example:
      svt log MODULE-L1-001 "Monitoring noise levels" --type observation
      svt log MODULE-L1-001 "Bond wire lifted" --type issue --image bond.jpg
    """
    db = open_db()
    db.add_log(component_id, text, log_type=log_type, severity=severity, logged_by=logged_by,
               date=date, resolution=resolution, images=images)
    report_notes(db)
    done(f"Logged {log_type} for {component_id}", db.last_commit)


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@click.argument("text")
@click.option("--by", "author", help="Who says it (default: your git name).")
@click.option("--date", help=DATE_HELP)
def comment(component_id: str, text: str, author: str | None, date: str | None) -> None:
    """Add a comment TEXT to component ID."""
    db = open_db()
    db.add_comment(component_id, text, author=author, date=date)
    report_notes(db)
    done(f"Commented on {component_id}", db.last_commit)


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@click.argument("files", nargs=-1, required=True, metavar="FILE...",
                type=click.Path())
@click.option("--description", help="What the files show.")
@click.option("--by", "uploaded_by", help="Who adds them (default: your git name).")
@click.option("--date", help=DATE_HELP)
def attach(component_id: str, files: tuple[str, ...], description: str | None,
           uploaded_by: str | None, date: str | None) -> None:
    """Store photos or documents of component ID that belong to no test."""
    db = open_db()
    rel = db.attach(component_id, list(files), description=description, uploaded_by=uploaded_by,
                    date=date)
    report_notes(db)
    done(f"Attached {len(files)} file(s) to {component_id}: {rel}", db.last_commit)


@click.command()
@click.argument("a", metavar="A", type=COMPONENT_ID)
@click.argument("b", metavar="B", type=COMPONENT_ID)
@click.option("--type", "connection_type", default="signal", show_default=True,
              help="Connection type, e.g. signal, power, optical.")
@click.option("--cable", help="The cable component that makes the connection.",
              type=COMPONENT_ID)
@click.option("--notes", help="Free-text notes.")
@click.option("--by", help="Who connected them (default: your git name).")
@click.option("--date", help=DATE_HELP)
def connect(a: str, b: str, connection_type: str, cable: str | None, notes: str | None,
            by: str | None, date: str | None) -> None:
    """Record that components A and B are connected (optionally through a cable)."""
    db = open_db()
    db.connect(a, b, connection_type=connection_type, cable=cable, notes=notes, by=by, date=date)
    report_notes(db)
    done(f"Connected {a} and {b} ({connection_type})", db.last_commit)


@click.command()
@click.argument("a", metavar="A|CONNECTION_ID", type=COMPONENT_ID)
@click.argument("b", metavar="[B]", required=False, type=COMPONENT_ID)
@click.option("--type", "connection_type", help="Only this connection type (default: all).")
@click.option("--notes", help="Free-text notes.")
@click.option("--by", help="Who disconnected them (default: your git name).")
@click.option("--date", help=DATE_HELP)
def disconnect(a: str, b: str | None, connection_type: str | None, notes: str | None,
               by: str | None, date: str | None) -> None:
    """Undo the connection(s) between A and B, or the one connection CONNECTION_ID
    (as `svt connections` prints it, e.g. FEB-042~HPK-SN123456~signal)."""
    if b is None and connection_type:
        raise click.UsageError("--type goes with A B; a CONNECTION_ID already names its type")
    db = open_db()
    if b is None:
        db.remove_connection(a, notes=notes, by=by, date=date)
    else:
        db.disconnect(a, b, connection_type=connection_type, notes=notes, by=by, date=date)
    report_notes(db)
    done(f"Disconnected {a}" if b is None else f"Disconnected {a} and {b}", db.last_commit)


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@FORMAT_OPTION
def connections(component_id: str, fmt: str) -> None:
    """List the connections of component ID, each with its id (A~B~TYPE), which
    `svt disconnect` takes."""
    db = open_db()
    links = db.connections(component_id)
    if fmt == "json":
        echo_data(to_json(links))
        return
    rows = [[link["id"], link["from"], link["to"], link["type"], link.get("cable"),
             link.get("since")] for link in links]
    headers = ["id", "from", "to", "type", "cable", "since"]
    if fmt == "csv":
        echo(to_csv(rows, headers), nl=False)
    elif not rows:
        echo(f"{component_id} has no connections.")
    else:
        echo(table(rows, [h.upper() for h in headers]))
