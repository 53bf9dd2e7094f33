"""svt site: the static web site of the store."""
from __future__ import annotations

import click

from . import open_db
from .render import echo


@click.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--serve", is_flag=True, help="Then preview it at http://localhost:PORT/"
                                            " until Ctrl-C.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port --serve listens on (0: any free port).")
@click.option("--full", is_flag=True, help="Rebuild every page and plot, ignoring the last"
                                           " build's manifest.")
def site(out: str, serve: bool, port: int, full: bool) -> None:
    """Build a static web site of the store in OUT: home, the components table, a page per
    component (components/ID.html), the detector map per run period, tests with trend and
    IV plots, and the validation report.

    Every link is relative: publish OUT with GitHub or GitLab Pages (svt init --pages writes
    the CI), or open OUT/index.html. Building again redraws only what changed.

    Nothing from a record runs on the site: images are shown (an SVG only as an image, and
    not at all if it holds script); every other stored file is a download, in a zip archive
    where a browser would run it. A store with a symbolic link under records/ or a name that
    cannot be a file name is refused, and nothing is written (svt validate lists them).

    \b
    Examples:
      svt site public
      svt site public --serve --port 8080
    """
    from ..site import require_extras
    require_extras()
    from ..site.build import build
    db = open_db()
    result = build(db, out, full=full)
    kind = "Built" if result.full else "Updated"
    echo(f"{kind} {result.out}: {result.components} components, {result.pages_written}"
               f" page(s) written ({result.pages_kept} unchanged), {result.plots_drawn} plot(s)"
               f" drawn ({result.plots_kept} unchanged), {result.problems} validation"
               " problem(s)")
    for note in result.notes:
        echo(note)
    if serve:
        from ..site.serve import preview_server
        server = preview_server(result.out, port)
        host, bound = server.server_address[:2]
        echo(f"Serving {result.out} at http://localhost:{bound}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
