"""svt add, list, show, summary, location."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from . import StoreChoice, open_db, report_notes
from ..model.registry import format_value
from ..model.verdicts import HEALTH, verdict_cells
from .complete import COMPONENT_ID, complete_position
from .render import (FORMAT_OPTION, done, echo, echo_data, skipped_records, table, to_csv,
                     to_json, verdict_text, verdict_types)

if TYPE_CHECKING:  # the store module is imported when a command runs
    from ..index.queries import Verdicts
    from ..store.base import StoreBase

def _attr(values: tuple[str, ...]) -> dict:
    from ..model import parse_attribute
    return dict(parse_attribute(text) for text in values)


@click.command()
@click.option("--id", "component_id", help="Component id, e.g. HPK-SN123456.",
              type=COMPONENT_ID)
@click.option("--type", "ctype", type=StoreChoice("component_types"), help="Component type (new components).")
@click.option("--serial", help="Serial number.")
@click.option("--asset-tag", help="Asset tag.")
@click.option("--manufacturer", help="Manufacturer, e.g. Hamamatsu.")
@click.option("--manufacture-date", help="Manufacture date (free text, e.g. 2024-06).")
@click.option("--location", help='Where it is, e.g. "Clean Room".')
@click.option("--status", type=StoreChoice("statuses"), help="Status (new components: incoming).")
@click.option("--notes", help="Free-text notes.")
@click.option("--attr", "attrs", multiple=True, metavar="KEY=VALUE",
              help="An attribute (repeatable), e.g. --attr channel_count=512.")
@click.option("--from-csv", "from_csv", type=click.Path(dir_okay=False),
              help="Add or update many components from a CSV file (columns id, type, serial,"
                   " manufacturer, location, status, notes; other columns become attributes),"
                   " in one commit.")
def add(component_id: str | None, ctype: str | None, serial: str | None,
        asset_tag: str | None, manufacturer: str | None, manufacture_date: str | None,
        location: str | None, status: str | None, notes: str | None, attrs: tuple[str, ...],
        from_csv: str | None) -> None:
    """Add a component, or update the given fields of an existing one.

    \b
    Examples:
      svt add --id HPK-SN123456 --type module --manufacturer Hamamatsu \\
              --location "Clean Room" --status incoming
      svt add --id MODULE-L1-001 --status qualified      # update one field
    """
    if from_csv:
        if component_id or ctype or attrs:
            raise click.UsageError("--from-csv takes everything from the file: leave out --id,"
                                   " --type and the other fields")
        from ..exchange.bulk import add_from_csv
        db = open_db()
        commit, created, updated, present = add_from_csv(db, from_csv)
        report_notes(db)
        done(f"Added {created}, updated {updated} component(s) from {from_csv};"
             f" {present} already present", commit)
        return
    if not component_id:
        raise click.UsageError("give --id ID (or --from-csv FILE)")
    db = open_db()
    fields = {"type": ctype, "serial_number": serial, "asset_tag": asset_tag,
              "manufacturer": manufacturer, "manufacture_date": manufacture_date,
              "location": location, "status": status, "notes": notes}
    _, created = db.save_component(component_id, fields, attributes=_attr(attrs))
    report_notes(db)
    done(f"{'Added' if created else 'Updated'} {component_id}", db.last_commit)


@click.command("list")
@click.option("--type", "ctype", type=StoreChoice("component_types"), help="Only this type.")
@click.option("--status", type=StoreChoice("statuses"), help="Only this status.")
@click.option("--location", help="Only at this location (case-insensitive).")
@click.option("--position", help="Only the component installed at this position.",
              shell_complete=complete_position)
@click.option("--attr", "attrs", multiple=True, metavar="KEY[=VALUE]",
              help="Only components with this attribute value, or (KEY alone) with this"
                   " attribute at all; repeatable: all must hold.")
@click.option("--health", type=click.Choice(HEALTH),
              help="Only components of this health: fail (the latest test of some type"
                   " failed), pass, \"no verdict\" or untested.")
@FORMAT_OPTION
def list_cmd(ctype: str | None, status: str | None, location: str | None,
             position: str | None, attrs: tuple[str, ...], health: str | None,
             fmt: str) -> None:
    """List components, optionally filtered, each with the latest verdict of each of its
    test types (iv_curve ✗ · noise_test ✓) and its health: fail when any type's latest
    verdict failed. JSON gives them as "verdicts" ({"iv_curve": "fail"}) and "health";
    CSV as a health column and a verdicts.TYPE column per test type.

    \b
    Examples:
      svt list
      svt list --type module --status spare
      svt list --health fail                # components whose latest test of a type failed
      svt list --attr channel_count=512 --attr firmware
      svt list --format csv > components.csv
    """
    from ..index.queries import TABLE_COLUMNS, Index
    db = open_db()
    index = Index(db)
    by_type = fmt != "table"  # the table shows the verdict line alone
    if attrs:  # the full records hold the attributes
        keep = db.attribute_filter(attrs)
        rows, verdicts = index.components_with_verdicts(ctype, status, location, position,
                                                        by_type=by_type)
        rows = [r for r in rows if keep(r)]
        if fmt != "json":
            rows = [tuple(r.get(c) for c in TABLE_COLUMNS) for r in rows]
    else:
        rows, verdicts = index.components_with_verdicts(
            ctype, status, location, position, by_type=by_type,
            columns=None if fmt == "json" else TABLE_COLUMNS)
    with skipped_records() as skipped:
        skipped += index.skipped
        note_hidden(db)
        for cid, paths in index.shared_ids():
            echo(f"warning: {cid} has {len(paths)} records ({', '.join(paths)}): each is"
                 " listed; svt validate explains", err=True)
        _print_list(rows, verdicts, list(TABLE_COLUMNS), fmt, health,
                    bool(ctype or status or location or position or attrs or health))


def _print_list(rows: list, verdicts: dict[str, Verdicts], headers: list[str], fmt: str,
                health: str | None, filtered: bool) -> None:
    """``rows``: records (JSON), else tuples of ``headers`` (the id first); ``verdicts``:
    Index.verdicts (a component without a test has none: untested)."""
    from ..index.queries import UNTESTED
    found = [verdicts.get(r["id"] if fmt == "json" else r[0], UNTESTED) for r in rows]
    if health:
        kept = [i for i, v in enumerate(found) if v.health == health]
        rows, found = [rows[i] for i in kept], [found[i] for i in kept]
    if fmt == "json":
        echo_data(to_json([dict(r, verdicts=v.by_type, health=v.health)
                           for r, v in zip(rows, found)]))
        return
    if fmt == "csv":
        types = verdict_types(v.by_type for v in found)
        echo(to_csv([[*r, v.health, *verdict_cells(v.by_type, types)]
                     for r, v in zip(rows, found)],
                    headers + ["health"] + [f"verdicts.{t}" for t in types]), nl=False)
        return
    if not rows:
        echo("No components match." if filtered
             else "No components yet: add one with svt add --id ID --type TYPE")
        return
    echo(table([[*r, v.health, v.line] for r, v in zip(rows, found)],
               [h.upper().replace("_", " ") for h in headers] + ["HEALTH", "VERDICTS"]))
    echo(f"{len(rows)} component(s)")


def note_hidden(db: StoreBase) -> None:
    """Say how many components a sparse checkout leaves out of a listing."""
    hidden = db.hidden_by_sparse_checkout()
    if hidden:
        echo(f"note: {hidden} component(s) lie outside this clone's sparse checkout and"
             " are not shown (git sparse-checkout add records/<type> includes them)",
             err=True)


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--commits", default=5, show_default=True, help="How many recent commits to show.")
@click.option("--since", metavar="DATE", help="Only tests, logs and other events from DATE on.")
@click.option("--until", metavar="DATE", help="Only events up to DATE (a day alone: all of it).")
def show(component_id: str, fmt: str, commits: int, since: str | None,
         until: str | None) -> None:
    """Show a component: identity, state, health (the latest verdict of each test type:
    fail when any failed), assembly, tests, installations, logs, history."""
    from ..model import date_window
    window = date_window(since, until) if since or until else None
    db = open_db()
    info = db.describe(component_id, commits=commits, window=window)
    if fmt == "json":
        echo_data(to_json(info))
        return
    rec = info["component"]
    out = [f"{rec['id']}  ({rec['type']})", ""]
    fields = [("Status", rec.get("status")), ("Location", rec.get("location")),
              ("Position", rec.get("position")), ("Run period", rec.get("run_period")),
              ("Installed", rec.get("installed_date")), ("Serial", rec.get("serial_number")),
              ("Asset tag", rec.get("asset_tag")), ("Manufacturer", rec.get("manufacturer")),
              ("Manufactured", rec.get("manufacture_date")), ("Created", rec.get("created")),
              ("Record", info["record"])]
    out += [f"  {k + ':':<14}{v}" for k, v in fields if v]
    out.append(f"  {'Health:':<14}{info['health']}"
               + (f"  ({verdict_text(info['verdicts'])})" if info["verdicts"] else ""))
    if rec.get("notes"):
        out += ["", "Notes:"] + [f"  {line}" for line in rec["notes"].splitlines()]
    asm = info["assembly"]
    if rec["type"] == "module" or asm:
        out += ["", "Assembly:"]
        if rec["type"] == "module":
            out.append(f"  Sensor:       {asm.get('sensor', '(none)')}")
            out.append(f"  Hybrid:       {asm.get('hybrid', '(none)')}")
        if asm.get("module"):
            out.append(f"  On module:    {asm['module']}")
    if rec.get("attributes"):
        out += ["", "Attributes:"] + [f"  {k}: {format_value(v)}" for k, v in rec["attributes"].items()]
    from ..model.registry import SECTIONS, show_lines
    defined = None  # the test definitions, read at the first test shown
    for section in sorted(SECTIONS, key=lambda s: s.place):  # each kind declares its lines
        items = info[section.current or section.key]
        if section.counted:
            out += ["", f"{section.title} ({len(items)}):"]
        elif items:
            out += ["", f"{section.title}:"]
        for item in items:
            out += show_lines(section, item)
            if item.get("kind") == "test":  # what placeholder limits would say of it
                from ..analysis.testtypes import definitions
                from ..store.testrun import verdict_notes
                defined = definitions(db.config) if defined is None else defined
                out += [f"      {line}" for line in verdict_notes(db.config, item, defined)]
    out += ["", "Recent commits:"]
    for c in info["commits"]:
        out.append(f"  {c['sha'][:10]}  {c['date']}  {c['author']}: {c['subject']}")
    echo("\n".join(out))


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--since", metavar="DATE", help="Count and list only tests from DATE on.")
@click.option("--until", metavar="DATE", help="Only tests up to DATE (a day alone: all of it).")
def summary(fmt: str, since: str | None, until: str | None) -> None:
    """Counts by type and status, what is installed where, recent tests, connections."""
    from ..model import date_window
    window = date_window(since, until) if since or until else None
    db = open_db()
    from ..api.queries import summary as summarize
    with skipped_records() as skipped:
        data = summarize(db, window=window, skipped=skipped)
        note_hidden(db)
        _print_summary(data, fmt)


def _print_summary(data: dict, fmt: str) -> None:
    if fmt == "json":
        echo_data(to_json(data))
        return
    out = [f"Components: {data['total']}", ""]
    statuses = sorted(data["by_status"])
    if data["by_type"]:
        rows = [[t] + [counts.get(s, 0) or "" for s in statuses] + [sum(counts.values())]
                for t, counts in data["by_type"].items()]
        out.append(table(rows, ["TYPE"] + [s.upper() for s in statuses] + ["TOTAL"]))
    out += ["", "Installed:"]
    if not data["installed"]:
        out.append("  (nothing installed)")
    for period, rows in data["installed"].items():
        out.append(f"  {period}: {len(rows)}")
        out += [f"    {r['position']:<28}{r['id']} ({r['type']})" for r in rows]
    out += ["", "Tests by type:"]
    if not data["tests"]:
        out.append("  (no tests recorded)")
    for name, t in data["tests"].items():
        out.append(f"  {name:<20}{t['count']:>5} recorded, {t['pass']} pass, {t['fail']} fail")
    if data["recent_tests"]:
        out += ["", "Recent tests:"]
        out += [f"  {r['date']}  {r['component']:<20}{r['test_type']:<16}{r['result'] or '-'}"
                for r in data["recent_tests"]]
    out += ["", f"Connections: {data['connections']}"]
    echo("\n".join(out))


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@click.argument("place")
@click.option("--by", "moved_by", help="Who moved it (default: your git name).")
@click.option("--notes", help="Why, or anything worth noting.")
@click.option("--date", help="When (ISO 8601; default now).")
def location(component_id: str, place: str, moved_by: str | None, notes: str | None,
             date: str | None) -> None:
    """Record that component ID is now at PLACE (e.g. "Clean Room Storage")."""
    db = open_db()
    db.set_location(component_id, place, moved_by=moved_by, notes=notes, date=date)
    report_notes(db)
    done(f"Moved {component_id} to {place}", db.last_commit)
