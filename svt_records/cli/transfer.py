"""svt import-sqlite, export, results, backup, restore."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from . import StoreChoice, open_db, report_notes, stderr_is_terminal
from .render import (done, echo, echo_data, progress_bar, skipped_records, table, to_csv,
                     to_json)

if TYPE_CHECKING:
    from ..exchange.exporting import Grid


@click.command("import-sqlite")
@click.argument("database", type=click.Path(exists=True, dir_okay=False))
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False),
              help="The original tracker's test_data folder (default: test_data/ beside DATABASE).")
def import_sqlite(database: str, data_dir: str | None) -> None:
    """Import everything the original SQLite tracker holds: components, tests with their
    files, installations and removals, logs and comments, assembly, connections and photos.

    The database is only read. Dates keep their original values. Running it again imports
    nothing twice. One commit holds the whole import. Files are copied only from inside the
    data folder, by relative paths: absolute paths, '..' and symbolic links are skipped and
    listed.

    \b
    Example:
      svt import-sqlite ~/.hps_svt_tracker/svt_components.db
    """
    from ..exchange.legacy import count_rows, import_sqlite as run_import
    db = open_db()
    total = count_rows(__import__("pathlib").Path(database))
    if stderr_is_terminal() and total > 50:
        with progress_bar("Importing", total) as step:
            report = run_import(db, database, data_dir, progress=step)
    else:
        report = run_import(db, database, data_dir)
    report_notes(db)
    imported = ", ".join(f"{n} {k}" for k, n in sorted(report.imported.items())) or "nothing new"
    echo(f"Imported: {imported}")
    if report.already:
        echo("Already in the store: " + ", ".join(
            f"{n} {k}" for k, n in sorted(report.already.items())))
    if report.skipped:
        echo(f"Skipped {len(report.skipped)}:")
        for line in report.skipped:
            echo(f"  - {line}")
    if report.problems:
        echo(f"Problems the original data holds, imported as they were"
             f" ({len(report.problems)}; svt validate reports them until they are fixed):")
        for problem in report.problems:
            echo(f"  - {problem.message}\n      fix: {problem.fix}")
    if report.commit:
        echo(f"One commit: {report.commit[:10]}")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "yaml"]), default="json",
              show_default=True)
@click.option("--type", "ctype", type=StoreChoice("component_types"), help="Only this type.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of the screen.")
def export(fmt: str, ctype: str | None, output: str | None) -> None:
    """Export the store (or one type) for analysis.

    json and yaml hold every component with all its events; csv has one row per component
    (attributes as attr.<name> columns), which pandas.read_csv reads as it is.
    """
    from ..exchange.exporting import export_data
    db = open_db()
    with skipped_records() as skipped:
        data = export_data(db, ctype, skipped)
        _write_export(data, fmt, output)


def _write_export(data: list[dict], fmt: str, output: str | None) -> None:
    from ..exchange.exporting import flat_rows
    if fmt == "csv":
        header, rows = flat_rows(data)
        text = to_csv(rows, header)
    elif fmt == "yaml":
        from ..files.yamlio import dump
        text = dump({"components": data})
    else:
        text = to_json(data) + "\n"
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        echo(f"Exported {len(data)} component(s) to {output}")
    else:
        echo_data(text, nl=False)


@click.command()
@click.option("--type", "test_type", required=True, help="Test type, e.g. iv_curve.")
@click.option("--all", "everything", is_flag=True, help="Every result, not only the latest.")
@click.option("--pass", "passed", is_flag=True,
              help="Only components whose latest result passed (with --all: every pass).")
@click.option("--fail", "failed", is_flag=True,
              help="Only components whose latest result failed (with --all: every fail).")
@click.option("--since", metavar="DATE", help="Only results from DATE on (ISO 8601).")
@click.option("--until", metavar="DATE", help="Only results up to DATE (a day alone: all of it).")
@click.option("--component-type", type=StoreChoice("component_types"), help="Only components of this type.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
def results(test_type: str, everything: bool, passed: bool, failed: bool, since: str | None,
            until: str | None, component_type: str | None, fmt: str) -> None:
    """One row per component with its latest (or --all) result of a test type, one column
    per measurement (with its unit): the grid test coordinators ask for.

    \b
    Examples:
      svt results --type iv_curve --fail
      svt results --type iv_curve --all --since 2025-03-01 --until 2025-03-31
    """
    from ..exchange.exporting import results_grid
    from ..model import date_window
    if passed and failed:
        raise click.UsageError("--pass and --fail together: give one of them (or neither)")
    verdict = "pass" if passed else "fail" if failed else None
    window = date_window(since, until)
    db = open_db()
    with skipped_records() as skipped:
        grid = results_grid(db, test_type, everything, component_type, result=verdict,
                            window=window, skipped=skipped)
        _print_results(grid, fmt, test_type, everything, bool(verdict or since or until))


def _print_results(grid: Grid, fmt: str, test_type: str, everything: bool,
                   filtered: bool) -> None:
    header, rows = grid.header, grid.rows
    if fmt == "json":
        echo_data(to_json([dict(zip(header, row)) for row in rows]))
    elif fmt == "csv":
        echo(to_csv(rows, header), nl=False)
    elif not rows:
        echo(f"No {test_type} results match." if filtered
             else f"No {test_type} results yet.")
    else:  # for people: each measurement with SI prefixes (6.44 µA), its unit in the cell
        from ..model import format_si
        echo(table([[format_si(v, u) if u and isinstance(v, (int, float)) else v
                     for v, u in zip(row, grid.units)] for row in rows], header))
        components = len({row[0] for row in rows})
        echo(f"{len(rows)} result(s) of {components} component(s)" if everything
             else f"{components} component(s)")


@click.command()
@click.argument("path", type=click.Path())
def backup(path: str) -> None:
    """Write the whole store, with its history, images and data, to one file (a git
    bundle). `svt restore BUNDLE PATH` or `git clone BUNDLE PATH` brings it back."""
    db = open_db()
    done(f"Backup written to {db.backup_database(path)}")


@click.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False))
@click.argument("path", type=click.Path())
def restore(bundle: str, path: str) -> None:
    """Restore a backup (BUNDLE, from svt backup) into a new store at PATH."""
    from ..api.setup import restore_bundle
    root = restore_bundle(bundle, path)
    done(f"Restored the store into {root}; use it with svt --repo {root} ...")
