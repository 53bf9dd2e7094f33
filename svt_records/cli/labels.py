"""svt label."""
from __future__ import annotations

import click

from . import StoreChoice, open_db
from .complete import COMPONENT_ID


@click.command()
@click.argument("ids", nargs=-1, metavar="[ID...]", type=COMPONENT_ID)
@click.option("--out", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The folder to write the labels to.")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf"]), default="svg",
              show_default=True, help="Labels: svg or png; sheets (--sheet): svg or pdf.")
@click.option("--size", metavar="WxHmm", help="One label's size (default 50x25mm).")
@click.option("--sheet", is_flag=True, help="Lay the labels out on printable pages.")
@click.option("--type", "ctype", type=StoreChoice("component_types"),
              help="With --sheet: only components of this type.")
@click.option("--status", type=StoreChoice("statuses"),
              help="With --sheet: only components with this status.")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True,
              help="With --sheet: the page (A4: 3x8 labels of 70x37 mm; letter: 3x10 of"
                   " 66.7x25.4 mm).")
@click.option("--grid", metavar="COLSxROWS[:WxHmm[:GXxGYmm]]",
              help="With --sheet: another grid, e.g. 2x7:99.1x38.1mm:2.5x0mm (labels' size"
                   " and the gaps between them, as measured on your label stock).")
def label(ids: tuple[str, ...], out: str, fmt: str, size: str | None, sheet: bool,
          ctype: str | None, status: str | None, paper: str, grid: str | None) -> None:
    """Write labels with a QR code: the id in large type, the type and serial number.

    The QR code holds the component's page, <site_url>/components/<ID>.html, when svt.yaml
    sets site_url, else the id; every command takes either as an id.

    \b
    Examples:
      svt label HPK-SN123456 FEB-042            # HPK-SN123456.svg, FEB-042.svg
      svt label FEB-042 --format png --out labels/
      svt label --sheet --type module --paper letter --format pdf
    """
    from ..site import labels
    from .render import done
    if sheet:
        if size:
            raise click.UsageError("--size is for single labels; a sheet's --grid sets it")
        db = open_db()
        paths = labels.write_sheet(db, ids, out, component_type=ctype, status=status,
                                   paper=paper, grid=grid, fmt=fmt)
    else:
        if not ids:
            raise click.UsageError("name the components (svt label ID...), or lay out a"
                                   " sheet: svt label --sheet [--type T] [--status S]")
        if ctype or status or grid or paper != "a4":
            raise click.UsageError("--type, --status, --paper and --grid go with --sheet")
        db = open_db()
        paths = labels.write_labels(db, ids, out, fmt,
                                    labels.parse_size(size) if size else labels.LABEL_SIZE)
    for path in paths:
        done(f"Wrote {path}")
