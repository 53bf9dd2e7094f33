"""Moving a component's records: retype (its type changes) and move-events (two parts
that were given one id)."""
from __future__ import annotations

import click

from . import StoreChoice, open_db, report_notes
from .complete import COMPONENT_ID
from .render import done, echo


@click.command()
@click.argument("component_id", metavar="ID", type=COMPONENT_ID)
@click.argument("new_type", metavar="TYPE", type=StoreChoice("component_types"))
def retype(component_id: str, new_type: str) -> None:
    """Change the type of component ID to TYPE: its folder moves.

    A component's records live in records/<type>/<ID>/, so a new type moves its
    component.yaml (with the new type), every event and every stored file to
    records/TYPE/ID/, in one commit (svt undo takes it back). Moving the folder by hand
    with git mv while another clone records a test leaves that test under the old folder,
    where svt show does not see it; svt validate names such stragglers, and running
    svt retype ID TYPE again moves them into place.

    A component that is installed (svt remove it first) or assembled (svt disassemble
    first) is refused: its position or module would no longer fit.

    \b
    Example:
      svt retype S-0042 hybrid    # S-0042 was added as a sensor by mistake
      svt validate                # stragglers: "records/sensor/S-0042/ holds events of ..."
      svt retype S-0042 hybrid    # moves them to records/hybrid/S-0042/
    """
    db = open_db()
    commit, moved = db.retype(component_id, new_type)
    report_notes(db)
    done(f"{component_id} is a {new_type}: moved {len(moved)} file(s) to"
         f" records/{new_type}/{component_id}/", commit)


@click.command("move-events")
@click.argument("from_id", metavar="FROM", type=COMPONENT_ID)
@click.argument("to_id", metavar="TO", type=COMPONENT_ID)
@click.option("--created", required=True, metavar="STAMP",
              help="The part whose events move: the component_created stamp in its events,"
                   " as svt validate names it.")
def move_events(from_id: str, to_id: str, created: str) -> None:
    """Move the events of one part from FROM to TO, when two parts share one id.

    Two clones that each add the same new id make two parts; a merge joins their records,
    and svt validate then says that events were "recorded on the FROM created STAMP, but
    FROM's record was created ...". Give that part a new id (svt add --id TO --type TYPE, with
    its serial number), then move its events: each event whose component_created is STAMP
    (with its stored files) moves to TO's folder and names TO, in one commit.

    \b
    Example:
      svt add --id S1-2 --type sensor --serial 222
      svt move-events S1 S1-2 --created 2025-03-01T10:00:00+00:00
      svt validate
    """
    db = open_db()
    commit, moved = db.move_events(from_id, to_id, created)
    report_notes(db)
    events = sum(1 for old, _ in moved if old.endswith(".yaml"))
    done(f"moved {events} event(s) of {from_id} ({len(moved)} file(s)) to {to_id}", commit)
    for old, new in moved:
        echo(f"  {old} -> {new}")
