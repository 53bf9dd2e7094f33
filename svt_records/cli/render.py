"""Turning library results into text, JSON or CSV for the terminal."""
from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

import click


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str],
          width: int | None = None) -> str:
    """A plain aligned table; empty cells show as '-'. On a terminal (or given ``width``) the
    widest columns are cut, ending in '…', so each line fits; in a pipe nothing is cut."""
    cells = [["-" if v is None or v == "" else str(v) for v in row] for row in rows]
    widths = [max([len(h), *map(len, column)]) for h, column in
              zip(headers, zip(*cells) if cells else [()] * len(headers))]
    width = terminal_width() if width is None else width
    if width:
        widths = fit(widths, width)
        headers = [clip(h, w) for h, w in zip(headers, widths)]
        cells = [[clip(v, w) for v, w in zip(row, widths)] for row in cells]
    line = "  ".join(f"{{:<{w}}}" for w in widths).format
    lines = [line(*headers).rstrip(), "  ".join("-" * w for w in widths)]
    lines += [line(*row).rstrip() for row in cells]
    return "\n".join(lines)


MIN_COLUMN = 6  # a column is never cut narrower than this (or its own width)


def fit(widths: list[int], total: int) -> list[int]:
    """Column widths that fit ``total`` characters with two spaces between columns: the
    widest columns give up characters first; none goes below MIN_COLUMN."""
    widths = list(widths)
    excess = sum(widths) + 2 * (len(widths) - 1) - total
    while excess > 0:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= MIN_COLUMN:
            break  # as narrow as it goes: the terminal wraps the rest
        widths[widest] -= 1
        excess -= 1
    return widths


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def terminal_width() -> int | None:
    """The terminal's width when stdout is a terminal; None in a pipe or file."""
    try:
        if not sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return shutil.get_terminal_size().columns


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)


def to_csv(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def done(message: str, commit: str | None = None) -> None:
    click.echo(message + (f" (commit {commit[:10]})" if commit else ""))


FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]),
                             default="table", show_default=True, help="Output format.")


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (the library calls the yielded function with work done)."""
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update
