"""svt test-types, reanalyze."""
from __future__ import annotations

import click

from . import open_db, report_notes
from .complete import complete_id
from .render import done, echo, echo_data, to_json


@click.command("test-types")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def test_types(fmt: str) -> None:
    """List the test definitions of svt.yaml (test_types:): each type's analysis and its
    settings, its measurements with units and limits (per component type where they differ),
    what a result requires, and which figures are placeholders for the collaboration to set.

    `svt test` takes a verdict from these limits when given neither --pass nor --fail;
    docs/how-to/test-definitions.md explains the fields.
    """
    from ..analysis.testtypes import missing_requirements
    db = open_db()
    definitions = db.test_types()
    if fmt == "json":
        echo_data(to_json(db.config.get("test_types") or {}))
        return
    if not definitions:
        echo("svt.yaml defines no test types (test_types:); docs/how-to/test-definitions.md shows how.")
        return
    out = []
    for name, d in definitions.items():
        marked = d.is_placeholder

        def mark(path: str) -> str:
            return " (placeholder)" if marked(path) else ""
        out.append(f"{name}: {d.description}")
        if d.analysis:
            settings = ", ".join(f"{k} {str(v).lower() if isinstance(v, bool) else f'{v:g}'}"
                                 f"{mark('analysis.' + k)}"
                                 for k, v in d.settings.items() if v is not None)
            out.append(f"  analysis: {d.analysis}" + (f" ({settings})" if settings else ""))
        for limit in d.limits():
            spec = d.measurements[limit.name]
            bounds = [f"{b} {edge:g}{mark(path)}" for b, edge, path in limit.bounds()]
            unit = f" [{limit.unit}]" if limit.unit else ""
            out.append(f"  {limit.name}{unit}: {', '.join(bounds) or 'no limit'}")
            for ctype, own in (spec.get("by_type") or {}).items():
                out.append(f"    {ctype}: " + ", ".join(
                    f"{b} {own[b]:g}{mark(f'measurements.{limit.name}.by_type.{ctype}.{b}')}"
                    for b in ("min", "max") if b in own))
        needs = missing_requirements(d, {}, [])  # everything it requires
        if needs:
            out.append(f"  requires: {', '.join(needs)}")
    if any(d.placeholders for d in definitions.values()):
        out.append("\n(placeholder): a figure for the collaboration to set. A placeholder limit"
                   " gives no verdict, only advice; remove it from placeholders: in svt.yaml"
                   " once it is set.")
    echo("\n".join(out))


@click.command()
@click.argument("component_ids", nargs=-1, metavar="[ID...]", shell_complete=complete_id)
@click.option("--type", "test_type", required=True, help="The test type, e.g. iv_curve.")
def reanalyze(component_ids: tuple[str, ...], test_type: str) -> None:
    """Re-run the analysis of a test type on its results' stored data files (of the IDs, or
    of every component), after its definition in svt.yaml changed.

    Derived values, the analysis plot and a verdict the limits gave are updated in place, in
    one commit whose message lists each change; values typed by hand are never touched.

    \b
    Example:
      svt reanalyze --type iv_curve
      svt reanalyze --type iv_curve HPK-SN123456
    """
    db = open_db()
    commit, lines = db.reanalyze(test_type, component_ids=component_ids)
    report_notes(db)
    if commit is None:
        done(f"Nothing changed: every {test_type} result already holds what the analysis gives")
        return
    for line in lines:
        echo(f"  {line}")
    done(f"Reanalyzed {len(lines)} {test_type} result(s)", commit)
