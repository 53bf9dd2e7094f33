"""Turning library results into text, JSON or CSV for the terminal.

Every record is untrusted input (docs/security.md), so this is the CLI's output edge:
- text for people goes through :func:`echo` (and :func:`table`, :func:`done`), which drops
  control characters (:func:`terminal_text`): a record cannot hide text (``ESC[8m``), move the
  cursor, retitle the window or write the clipboard (OSC 52);
- JSON and YAML go through :func:`echo_data` unchanged (JSON escapes C0 characters itself);
- CSV cells are neutralised against formula injection (:func:`csv_cell`).
"""
from __future__ import annotations

import io
import json
import re
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

import click


# C0 controls but tab and newline, DEL, and C1 controls (U+0080-U+009F)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ESCAPES = re.compile(  # the sequences they start, removed whole (ECMA-48)
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI: ESC [ parameters intermediates final (colours, ESC[8m)
    r"|\x1b[\]PX^_][^\x07\x1b\x9c\n\t]*(?:\x07|\x1b\\|\x9c)?"  # OSC (52: clipboard), DCS, SOS...
    r"|\x1b[ -/]*[0-~]?"  # other ESC sequences (ESC c resets the terminal)
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|[\x90\x98\x9d-\x9f][^\x07\x1b\x9c\n\t]*(?:\x07|\x1b\\|\x9c)?")  # 8-bit OSC, DCS...


def terminal_text(text: str) -> str:
    """``text`` safe to print on a terminal: escape sequences and every control character
    removed (C0 but newline and tab, DEL, C1); text without any comes back as it is."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub("", _ESCAPES.sub("", text))


class Clean(str):
    """Text already through :func:`terminal_text` (a table): :func:`echo` prints it as it is."""


def echo(message: Any = "", *, err: bool = False, nl: bool = True) -> None:
    """Print text for people (record text included): through :func:`terminal_text`."""
    click.echo(message if type(message) is Clean else terminal_text(str(message)), err=err,
               nl=nl)


def echo_data(text: str, *, nl: bool = True) -> None:
    """Print JSON or YAML output as it is: a program reads it, and JSON escapes controls."""
    click.echo(text, nl=nl)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str],
          width: int | None = None) -> Clean:
    """A plain aligned table; empty cells show as '-'. On a terminal (or given ``width``) the
    widest columns are cut, ending in '…', so each line fits; in a pipe nothing is cut."""
    cells = [["-" if v is None or v == "" else str(v) for v in row] for row in rows]
    if _CONTROL.search("".join(map("".join, cells)) + "".join(headers)):  # one look at all
        cells = [[terminal_text(v) for v in row] for row in cells]  # cut and aligned clean
        headers = [terminal_text(h) for h in headers]
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
    return Clean("\n".join(lines))


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
    import shutil  # not loaded by commands that print no table
    return shutil.get_terminal_size().columns


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)


# A text cell starting with one of these is a formula to spreadsheets (OWASP, CSV Injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = frozenset(_FORMULA_START)
_NUMBER_TEXT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def csv_cell(value: Any, clean: bool = True) -> Any:
    """A cell as svt writes it to CSV: numbers as they are (``-9.0`` stays a number); text
    without control characters (:func:`terminal_text`; ``clean=False``: known to have none),
    and with a single quote before it when it starts with ``=``, ``+``, ``-``, ``@``, tab or
    CR, unless it is a plain number, so that no spreadsheet runs it as a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):  # bool too: True/False
        return value
    text = value if type(value) is str else str(value)
    if clean:
        text = terminal_text(text)
    if text.startswith(_FORMULA_START) and not _NUMBER_TEXT.fullmatch(text):
        return "'" + text
    return text


def _csv_row(row: Sequence[Any], clean: bool) -> list[Any]:
    """:func:`csv_cell` of each cell, the common ones (text, numbers, None) inline."""
    out = []
    for value in row:
        kind = type(value)
        if kind is str:
            if clean:
                value = terminal_text(value)
            if value[:1] in _FORMULA_CHARS and not _NUMBER_TEXT.fullmatch(value):
                value = "'" + value
            out.append(value)
        elif kind is int or kind is float:
            out.append(value)
        else:
            out.append(csv_cell(value, clean))
    return out


def to_csv(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """CSV with a header line; every cell through :func:`csv_cell` (a :class:`Clean` text)."""
    rows = list(rows)

    def write(clean: bool) -> str:
        out = io.StringIO()
        import csv
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(_csv_row(headers, clean))
        writer.writerows(_csv_row(row, clean) for row in rows)
        return out.getvalue()
    text = write(False)  # one look at the whole text, not one per cell: records rarely
    return Clean(write(True) if _CONTROL.search(text) else text)  # hold control characters


def verdict_types(all_verdicts: Iterable[dict | None]) -> list[str]:
    """The test types of these components' verdicts (model.latest_by_type's dicts), sorted:
    one CSV column each, named ``verdicts.TYPE`` (model.verdict_cells)."""
    return sorted({t for verdicts in all_verdicts for t in verdicts or ()})


def verdict_text(verdicts: dict | None) -> str:
    """A component's verdicts for people: ``iv_curve ✗ · noise_test ✓`` (model.verdict_line)."""
    from ..model.verdicts import verdict_line
    return verdict_line(verdicts or {})


@contextmanager
def skipped_records() -> Iterator[list[Any]]:
    """The one rule for queries that leave records out (issue 25): the command puts in the
    yielded list each record file (an ``index.rows.Skipped``: path and problem) it left out,
    or could not answer from, because it fails to load. Its output stands as printed; then,
    if any, stderr says how many and names each file with its problem, and the command
    exits 1. (A query that shows every record but finds a state svt validate refuses, such
    as two components at one position, warns and exits 0.)"""
    skipped: list[Any] = []
    yield skipped
    if skipped:
        unique = sorted(set(skipped))
        echo(f"warning: skipped {len(unique)} unreadable record file(s), left out of this"
             " answer (svt validate explains; fix or restore them):", err=True)
        for item in unique:
            echo(f"  {item.problem if item.path in item.problem else f'{item.path}: {item.problem}'}",
                 err=True)
        click.get_current_context().exit(1)


def done(message: str, commit: str | None = None) -> None:
    echo(message + (f" (commit {commit[:10]})" if commit else ""))


FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]),
                             default="table", show_default=True, help="Output format.")


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (the library calls the yielded function with work done)."""
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update
