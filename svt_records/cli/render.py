"""Turning library results into text, JSON or CSV for the terminal."""
from __future__ import annotations

import csv
import io
import json
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

import click


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain aligned table; empty cells show as '-'."""
    cells = [["-" if v is None or v == "" else str(v) for v in row] for row in rows]
    widths = [max([len(h), *map(len, column)]) for h, column in
              zip(headers, zip(*cells) if cells else [()] * len(headers))]
    line = "  ".join(f"{{:<{w}}}" for w in widths).format
    lines = [line(*headers).rstrip(), "  ".join("-" * w for w in widths)]
    lines += [line(*row).rstrip() for row in cells]
    return "\n".join(lines)


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
