"""Reading measurement files: IV curves and per-channel noise.

Pure Python (the analysis imports numpy; the site reads files without it). A file is CSV
(comma, semicolon or tab), whitespace-separated text, or .xlsx (with openpyxl, from the
``analysis`` extra). Lines starting with ``#`` and blank lines are skipped; text lines
before the first row of numbers are metadata, the last of them with as many fields as the
data is the header. Columns are found by header name ("Voltage", "Bias [V]", "Current (nA)",
"I_leak [uA]", "Temp [degC]"...) or else by position: voltage, current, temperature.
Values keep their sign (negative bias stays negative); units in a header are converted to
V, A and °C. Every refusal is a :class:`DataFileError` naming the file and the line.

The work a file costs is bounded whatever it holds: its size, its rows and its columns are
capped (:data:`MAX_DATA_BYTES`, :data:`MAX_DATA_ROWS`, :data:`MAX_DATA_COLUMNS`) and checked
before the rows are parsed; an .xlsx workbook's parts, uncompressed, and the size its sheet
claims (its ``<dimension>``) are checked before openpyxl reads a row. The caps are built into
svt: a store's settings come with its pull requests.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterable, Sequence

from ..model.errors import DataFileError, MissingExtra

XLSX_SUFFIXES = (".xlsx", ".xlsm")
# the files an analysis reads; a data file of another kind (.root, .png...) is stored as it is
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".iv") + XLSX_SUFFIXES


def is_table(name: str) -> bool:
    """Whether the data file ``name`` is one the analyses read (by its suffix)."""
    return name.lower().endswith(TABLE_SUFFIXES)


# The caps on a data file svt reads (an IV curve or a noise scan is a few thousand rows)
MAX_DATA_BYTES = 16 * 1024 * 1024
MAX_DATA_ROWS = 100_000  # lines of a text file, rows of a sheet
MAX_DATA_COLUMNS = 64
MAX_XLSX_UNPACKED = 64 * 1024 * 1024  # an .xlsx workbook's parts, uncompressed
MAX_XLSX_PARTS = 1000

# Header words naming each quantity (the header is lower-cased and split at anything that
# is not a letter or digit; the first quantity with a matching word wins, so
# "bias current" is a current).
_WORDS = {
    "current": {"i", "current", "currents", "ileak", "leakage", "idark", "imeas", "ibias",
                "amps", "ampere", "amperes"},
    "temperature": {"t", "temp", "temperature", "tsensor", "tchuck"},
    "voltage": {"v", "u", "voltage", "volt", "volts", "bias", "vbias", "hv", "vset", "vmeas",
                "ubias"},
    "channel": {"ch", "chan", "channel", "strip", "channels"},
    "noise": {"noise", "enc", "rms", "sigma"},
}
# Unit factors to V, A, °C (temperature offsets apply after the factor).
_UNITS = {
    "voltage": {"v": 1.0, "mv": 1e-3, "kv": 1e3},
    "current": {"a": 1.0, "ma": 1e-3, "ua": 1e-6, "µa": 1e-6, "μa": 1e-6, "na": 1e-9,
                "pa": 1e-12, "fa": 1e-15},
    "temperature": {"c": 0.0, "°c": 0.0, "degc": 0.0, "deg c": 0.0, "celsius": 0.0,
                    "k": -273.15},
    "noise": {"e": 1.0, "e-": 1.0, "electrons": 1.0, "enc": 1.0},
    "channel": {},
}
# "Current [nA]", "I (uA)", "Current/nA", "I_nA"
_UNIT_RE = re.compile(r"[\[(]\s*([^\])]*?)\s*[\])]|/\s*([A-Za-zµμ°-]+)\s*$")
_SPLIT_RE = re.compile(r"[^a-z0-9µμ°]+")


@dataclass(frozen=True)
class Column:
    """One column of a data file: its quantity, where it is, and its header as written."""

    quantity: str
    index: int
    header: str | None = None
    unit: str | None = None  # as written in the header, None for the default unit


@dataclass(frozen=True)
class IVData:
    """An IV curve as measured: voltage in V, current in A, temperature in °C (or None when
    the file has no temperature column). Signs are kept as in the file; ``points`` are the
    1-based line numbers (rows in a spreadsheet) the values came from."""

    voltage: list[float]
    current: list[float]
    temperature: list[float] | None = None
    path: str = ""
    points: list[int] = field(default_factory=list)
    columns: tuple[Column, ...] = ()

    def __len__(self) -> int:
        return len(self.voltage)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def mean_temperature(self) -> float | None:
        """The mean of the temperature column, in °C, or None."""
        if not self.temperature:
            return None
        return sum(self.temperature) / len(self.temperature)

    def magnitudes(self) -> tuple[list[float], list[float]]:
        """(|V|, |I|): the curve as plotted and analysed, whatever the bias polarity."""
        return [abs(v) for v in self.voltage], [abs(i) for i in self.current]


@dataclass(frozen=True)
class NoiseData:
    """Per-channel noise in electrons (ENC); ``channel`` numbers as in the file (or 0, 1, ...
    when the file has only a noise column)."""

    channel: list[int]
    noise: list[float]
    path: str = ""
    points: list[int] = field(default_factory=list)


# ---- tables ----------------------------------------------------------------------------

@dataclass
class _Table:
    path: str
    header: list[str] | None
    rows: list[tuple[int, list[str | float | None]]]  # (line, fields)


def _fail(path: str, line: int | None, message: str) -> DataFileError:
    where = f"{path}:{line}" if line else path
    return DataFileError(f"{where}: {message}", path=path, line=line)


def _number(text: str | float | None) -> float | None:
    """A finite or non-finite float, or None when ``text`` is not a number at all."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    if text is None:
        return None
    try:
        return float(text.strip())
    except ValueError:
        return None


def _is_numeric_row(fields: Sequence[str | float | None]) -> bool:
    values = [f for f in fields if not (f is None or (isinstance(f, str) and not f.strip()))]
    return bool(values) and all(_number(f) is not None for f in values)


def _too_many_rows(path: str, rows: int, has: str = "has") -> DataFileError:
    return _fail(path, None, f"{has} {rows:,} rows; svt reads data files of at most"
                             f" {MAX_DATA_ROWS:,} rows: split the file, or keep it as a plain"
                             " stored file (svt attach)")


def _too_many_columns(path: str, line: int | None, columns: int,
                      has: str = "has") -> DataFileError:
    return _fail(path, line, f"{has} {columns:,} columns; svt reads data files of at most"
                             f" {MAX_DATA_COLUMNS} columns: save only the measured columns")


def _split_lines(path: str, text: str) -> _Table:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) > MAX_DATA_ROWS:
        raise _too_many_rows(path, len(lines))
    sample = [line for _, line in lines[:50]]
    delimiter = None
    for candidate in (",", ";", "\t"):
        if sample and sum(candidate in line for line in sample) * 2 >= len(sample):
            delimiter = candidate
            break

    def split(line: str, header: bool = False) -> list[str]:
        if delimiter:
            try:
                return [f.strip() for f in next(csv.reader(io.StringIO(line),
                                                           delimiter=delimiter))]
            except (csv.Error, StopIteration) as e:
                raise _fail(path, None, f"a line is not CSV ({e})") from None
        if header:  # "Bias Voltage [V]   Current [A]": columns apart by two spaces or a tab
            return [f.strip() for f in re.split(r"\t| {2,}", line.strip())]
        return line.split()

    rows: list[tuple[int, list[str | float | None]]] = []
    preamble: list[tuple[int, str]] = []
    for n, line in lines:
        if delimiter and line.count(delimiter) >= MAX_DATA_COLUMNS:  # before csv parses it
            raise _too_many_columns(path, n, line.count(delimiter) + 1)
        fields = split(line)
        if len(fields) > MAX_DATA_COLUMNS:
            raise _too_many_columns(path, n, len(fields))
        if not rows and not _is_numeric_row(fields):
            preamble.append((n, line))
            continue
        rows.append((n, list(fields)))
    return _Table(path, _pick_header(preamble, rows, lambda line: split(line, True),
                                     lambda line: split(line)), rows)


def _pick_header(preamble: list[tuple[int, str]], rows: list[tuple[int, list[str | float | None]]],
                 *splitters: Callable[[str], list[str]]) -> list[str] | None:
    if not preamble or not rows:
        return None
    width = len(rows[0][1])
    last = preamble[-1][1]
    for split in splitters:
        fields = split(last)
        if len(fields) == width:
            return [str(f) for f in fields]
    return None


def _check_workbook(path: str, source: BinaryIO) -> None:
    """Refuse a workbook whose parts, uncompressed, are over the cap (a zip bomb): zipfile
    reads no more of a part than the size its directory declares, so the declared sizes
    bound what openpyxl can be given."""
    import zipfile
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise _fail(path, None, f"not a readable .xlsx workbook ({e})") from None
    unpacked = sum(p.file_size for p in parts)
    if len(parts) > MAX_XLSX_PARTS or unpacked > MAX_XLSX_UNPACKED:
        raise _fail(path, None, f"unpacks to {unpacked / 1048576:.0f} MiB in {len(parts)} parts;"
                                f" svt reads workbooks of at most"
                                f" {MAX_XLSX_UNPACKED // 1048576} MiB: save the sheet as CSV")
    source.seek(0)


def _read_xlsx(path: str, source: BinaryIO) -> _Table:
    try:
        import openpyxl  # the analysis extra
    except ImportError:
        raise MissingExtra(f"{path}: reading .xlsx files needs openpyxl", "analysis",
                           after=", or save the sheet as CSV") from None  # the CLI says how
    _check_workbook(path, source)
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raise _fail(path, None, f"not a readable .xlsx workbook ({e})") from e
    try:
        sheet = book.active
        # the size its <dimension> claims, read before any row: openpyxl fills every row
        # out to it (a few kB claiming A1:XFD1048576 is 17 billion cells)
        claimed_rows, claimed_columns = sheet.max_row or 0, sheet.max_column or 0
        if claimed_rows > MAX_DATA_ROWS:
            raise _too_many_rows(path, claimed_rows, "claims (its <dimension>)")
        if claimed_columns > MAX_DATA_COLUMNS:
            raise _too_many_columns(path, None, claimed_columns, "claims (its <dimension>)")
        rows: list[tuple[int, list[str | float | None]]] = []
        preamble: list[tuple[int, list[str]]] = []
        # no <dimension>: one row and one column past the caps tell a sheet over them
        for n, values in enumerate(sheet.iter_rows(
                max_row=claimed_rows or MAX_DATA_ROWS + 1,
                max_col=claimed_columns or MAX_DATA_COLUMNS + 1, values_only=True), 1):
            if n > MAX_DATA_ROWS:
                raise _too_many_rows(path, n)
            if len(values) > MAX_DATA_COLUMNS and values[MAX_DATA_COLUMNS] is not None:
                raise _too_many_columns(path, n, len(values))
            fields: list[str | float | None] = [
                v if isinstance(v, (int, float)) and not isinstance(v, bool)
                else (None if v is None else str(v)) for v in values]
            while fields and fields[-1] is None:
                fields.pop()
            if not fields or (isinstance(fields[0], str) and fields[0].lstrip().startswith("#")):
                continue
            if not rows and not _is_numeric_row(fields):
                preamble.append((n, [str(f or "") for f in fields]))
                continue
            rows.append((n, fields))
    finally:
        book.close()
    header = None
    if preamble and rows:
        last = preamble[-1][1]
        header = last[:len(rows[0][1])] if len(last) >= len(rows[0][1]) else None
    return _Table(path, header, rows)


def _too_big(name: str, size: int) -> DataFileError:
    return _fail(name, None, f"is {size / 1048576:.1f} MiB; svt reads data files of at most"
                             f" {MAX_DATA_BYTES // 1048576} MiB: split the file, or keep it as"
                             " a plain stored file (svt attach)")


def _size(source: BinaryIO) -> int | None:
    try:
        return os.fstat(source.fileno()).st_size
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None


def read_table(path: str | os.PathLike[str], *, source: BinaryIO | None = None) -> _Table:
    """The header (or None) and the rows of a data file, before any column is chosen.
    ``source``: the file, opened already (the site opens stored files without following
    links); ``path`` then only names it."""
    name = os.fspath(path)
    try:
        fh = source if source is not None else open(name, "rb")
    except OSError as e:
        raise _fail(name, None, f"cannot read the file ({e.strerror})") from None
    try:
        size = _size(fh)
        if size is not None and size > MAX_DATA_BYTES:  # refused unread
            raise _too_big(name, size)
        if name.lower().endswith(XLSX_SUFFIXES):
            return _nonempty(name, _read_xlsx(name, fh))
        raw = fh.read(MAX_DATA_BYTES + 1)  # a size fstat does not tell (a pipe, /proc)
    except OSError as e:
        raise _fail(name, None, f"cannot read the file ({e.strerror})") from None
    finally:
        if source is None:
            fh.close()
    if len(raw) > MAX_DATA_BYTES:
        raise _too_big(name, len(raw))
    if raw.startswith(b"PK\x03\x04"):
        raise _fail(name, None, "is a zip file (a spreadsheet?); name it .xlsx or save as CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return _nonempty(name, _split_lines(name, text))


def _nonempty(name: str, table: _Table) -> _Table:
    if not table.rows:
        raise _fail(name, None, "has no numeric columns: expected rows of numbers such as"
                                " 'voltage,current' (a header line is optional)")
    return table


# ---- columns ---------------------------------------------------------------------------

def _header_unit(header: str) -> tuple[str, str | None]:
    """(the header without its unit, the unit or None)."""
    m = _UNIT_RE.search(header)
    if m:
        return (header[:m.start()] + header[m.end():]).strip(), (m.group(1) or m.group(2)).strip()
    # "I_nA", "V_kV", "current_uA": a last word that is a unit of the quantity it names
    parts = re.split(r"[_ ]", header.strip())
    if len(parts) > 1:
        tail = parts[-1].lower()
        for units in _UNITS.values():
            if tail in units:
                return " ".join(parts[:-1]), parts[-1]
    return header.strip(), None


def _quantity(name: str, wanted: Iterable[str]) -> str | None:
    words = [w for w in _SPLIT_RE.split(name.lower()) if w]
    for quantity in wanted:
        if any(w in _WORDS[quantity] for w in words):
            return quantity
    return None


def _columns(table: _Table, wanted: Sequence[str], required: Sequence[str]) -> dict[str, Column]:
    """The column of each wanted quantity: by header name, else by position in ``wanted``'s
    order for the required ones (and the optional ones when the file has no header)."""
    found: dict[str, Column] = {}
    width = len(table.rows[0][1])
    header_line = None
    if table.header:
        for index, text in enumerate(table.header):
            name, unit = _header_unit(text)
            quantity = _quantity(name, wanted)
            if quantity and quantity not in found:
                found[quantity] = Column(quantity, index, text, unit)
        header_line = True
    taken = {c.index for c in found.values()}
    free = [i for i in range(width) if i not in taken]
    for quantity in wanted:
        if quantity in found or not free:
            continue
        if quantity not in required and header_line:
            continue  # an unnamed extra column is not a temperature
        index = free.pop(0)
        named = table.header[index] if table.header else None
        found[quantity] = Column(quantity, index, named, _header_unit(named)[1] if named else None)
    missing = [q for q in required if q not in found]
    if missing:
        raise _fail(table.path, table.rows[0][0],
                    f"has {width} numeric column(s), no {' or '.join(missing)} column: give"
                    f" columns {', '.join(wanted[:len(required)])} (by header name or in that order)")
    for column in found.values():
        if column.unit is not None and column.unit.lower() not in _UNITS[column.quantity] \
                and _UNITS[column.quantity]:
            known = ", ".join(sorted({u for u in _UNITS[column.quantity] if u.isascii()}))
            raise _fail(table.path, None, f"unknown {column.quantity} unit {column.unit!r} in"
                                          f" header {column.header!r}: use one of {known}")
    return found


def _values(table: _Table, column: Column) -> list[float]:
    factor = 1.0
    offset = 0.0
    if column.unit is not None:
        unit = _UNITS[column.quantity].get(column.unit.lower(), 1.0)
        if column.quantity == "temperature":
            offset = unit
        else:
            factor = unit
    label = column.header or f"column {column.index + 1} ({column.quantity})"
    out = []
    for line, fields in table.rows:
        raw = fields[column.index] if column.index < len(fields) else None
        value = _number(raw)
        if value is None:
            what = "is missing" if raw is None or (isinstance(raw, str) and not raw.strip()) \
                else f"is {raw!r}, not a number"
            raise _fail(table.path, line, f"{label} {what}; every data row needs a number there")
        if not math.isfinite(value):
            raise _fail(table.path, line, f"{label} is {raw!r}; give a finite number or remove"
                                          " the row")
        out.append(value * factor + offset)
    return out


def read_iv(path: str | os.PathLike[str], *, source: BinaryIO | None = None) -> IVData:
    """The IV curve in ``path`` (CSV, text or .xlsx), in V, A and °C.

    Raises DataFileError (file and line) for a file with no numeric columns, a curve of one
    point, a value that is missing, not a number, NaN or infinite, or an unknown unit."""
    table = read_table(path, source=source)
    columns = _columns(table, ("voltage", "current", "temperature"), ("voltage", "current"))
    if len(table.rows) < 2:
        raise _fail(table.path, table.rows[0][0], "has only one data point; an IV curve needs"
                                                  " at least two")
    temperature = columns.get("temperature")
    return IVData(
        voltage=_values(table, columns["voltage"]),
        current=_values(table, columns["current"]),
        temperature=_values(table, temperature) if temperature else None,
        path=table.path,
        points=[line for line, _ in table.rows],
        columns=tuple(columns.values()))


def read_noise(path: str | os.PathLike[str], *, source: BinaryIO | None = None) -> NoiseData:
    """The per-channel noise in ``path``: ``channel,noise`` columns (header optional) or a
    single noise column, in electrons (ENC)."""
    table = read_table(path, source=source)
    width = len(table.rows[0][1])
    if width == 1:
        columns = {"noise": Column("noise", 0, table.header[0] if table.header else None)}
    else:
        columns = _columns(table, ("channel", "noise"), ("channel", "noise"))
    noise = _values(table, columns["noise"])
    if "channel" in columns:
        channels = _values(table, columns["channel"])
        bad = next((line for line, c in zip((r[0] for r in table.rows), channels)
                    if c != int(c) or c < 0), None)
        if bad is not None:
            raise _fail(table.path, bad, "a channel number must be a whole number, 0 or more")
        channel = [int(c) for c in channels]
    else:
        channel = list(range(len(noise)))
    if len(noise) < 2:
        raise _fail(table.path, table.rows[0][0], "has only one channel; a noise file needs at"
                                                  " least two")
    return NoiseData(channel=channel, noise=noise, path=table.path,
                     points=[line for line, _ in table.rows])
