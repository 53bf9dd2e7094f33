"""svt positions."""
from __future__ import annotations

import click

from . import open_db
from .render import (FORMAT_OPTION, echo, echo_data, skipped_records, table, to_csv, to_json,
                     verdict_text, verdict_types)


@click.command()
@click.option("--run-period", metavar="R",
              help="The positions as run period R had them (the last component installed"
                   " there for R, and until when).")
@click.option("--at", metavar="DATE",
              help="The positions as they were at DATE (ISO 8601; a day alone: its end).")
@FORMAT_OPTION
def positions(run_period: str | None, at: str | None, fmt: str) -> None:
    """Every detector position in detector order (layers 0-7, top/bottom, axial/stereo,
    slot/hole, then FEB1-FEB12 and the positions svt.yaml's detector: section adds), with
    the component there, since when, the latest verdict of each of its test types
    (iv_curve ✗ · noise_test ✓; CSV: a column verdicts.TYPE each) and its health: fail
    when any type's latest verdict failed.

    \b
    Examples:
      svt positions
      svt positions --run-period 2025_spring_run
      svt positions --at 2025-03-14 --format csv
    """
    from ..index.positions import FIELDS, survey
    db = open_db()
    with skipped_records() as skipped:
        found = survey(db, run_period=run_period, at=at)
        skipped += found.skipped
        for name, ids in found.clashes.items():
            echo(f"warning: {len(ids)} components claim position {name} ({', '.join(ids)}):"
                 " each has a row; svt validate explains", err=True)
        _print(found.rows, FIELDS, fmt, run_period)


def _print(rows: list[dict], fields_known: tuple[str, ...], fmt: str,
           run_period: str | None) -> None:
    if fmt == "json":
        echo_data(to_json(rows))
        return
    fields = [f for f in fields_known if f != "until" or run_period]
    if fmt == "csv":  # one column per test type: its latest verdict
        from ..model.verdicts import verdict_cells
        types = verdict_types(r["verdicts"] for r in rows)
        at = fields.index("verdicts")
        headers = fields[:at] + [f"verdicts.{t}" for t in types] + fields[at + 1:]
        echo(to_csv([[r[f] for f in fields[:at]] + verdict_cells(r["verdicts"], types)
                     + [r[f] for f in fields[at + 1:]] for r in rows], headers), nl=False)
        return
    short = ("since", "until", "tested")  # dates: the day is enough on screen
    echo(table([[(r[f] or "")[:10] if f in short else verdict_text(r[f]) if f == "verdicts"
                 else r[f] for f in fields] for r in rows],
               [f.upper().replace("_", " ") for f in fields]))
    filled = len({r["position"] for r in rows if r["component"]})
    total = len({r["position"] for r in rows})
    clashing = len(rows) - total
    echo(f"{filled} of {total} position(s) filled"
         + (f"; {clashing} more component(s) claim a filled one (a clash)" if clashing else ""))
