"""Issue 24, "Bounded work for any input": a number of any size in a record is a problem of
that record's line, never a crash. Records hold 64-bit integers (yamlio.INT_MIN..INT_MAX);
a plain integer outside them is refused by every reader with its line, and every command
treats the record as it treats any other unreadable record (Python >= 3.11 refuses to turn
more than 4,300 digits into an int; 310 digits already overflow a float)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from svt_records import Database
from svt_records.files import yamlio

HUGE = "9" * 4301  # one digit over Python's limit
FLOAT_OVERFLOW = "9" * 400  # an int, but no float can hold it

LOWEST, HIGHEST = -9223372036854775808, 9223372036854775807  # a 64-bit integer's range


# ---- the readers -------------------------------------------------------------------------

def integer_texts() -> st.SearchStrategy[str]:
    decimal = st.builds(lambda sign, zeros, digits: sign + "0" * zeros + digits,
                        st.sampled_from(["", "-", "+"]), st.integers(0, 5000),
                        st.text("0123456789", min_size=1, max_size=6000))
    near = st.integers(-(2 ** 64), 2 ** 64).map(str)  # around the bounds
    hexadecimal = st.text("0123456789abcdefABCDEF", min_size=1, max_size=3000).map("0x".__add__)
    octal = st.text("01234567", min_size=1, max_size=3000).map("0o".__add__)
    return st.one_of(decimal, near, hexadecimal, octal)


def expected(text: str) -> int:
    if text.startswith("0x"):
        return int(text[2:], 16)
    if text.startswith("0o"):
        return int(text[2:], 8)
    sign, digits = -1 if text.startswith("-") else 1, text.lstrip("+-").lstrip("0") or "0"
    return sign * (int(digits) if len(digits) < 4000 else 10 ** 5000)  # beyond: out of range


@settings(max_examples=300, deadline=None)
@given(integer_texts(), st.sampled_from(["a: {}\n", "a:\n  b:\n  - x\n  - {}\n"]))
def test_any_integer_reads_as_itself_or_is_an_error_on_its_line(text, template):
    """Every reader: the value itself when it fits in 64 bits; else YamlError (and nothing
    else) at the value's line; the fast reader agrees or declines; no work beyond bounds."""
    doc = template.format(text)
    line = doc.splitlines().index(next(l for l in doc.splitlines() if text in l)) + 1
    value = expected(text)
    try:
        data = yamlio.load(doc).data
    except yamlio.YamlError as exc:
        assert type(exc) is yamlio.YamlError
        assert not LOWEST <= value <= HIGHEST, exc
        assert exc.finding.line == line and "out of range" in exc.finding.message
        assert len(exc.finding.message) < 300  # the value is cut, not quoted in full
        assert yamlio.load_fast(doc) is None
        assert yamlio.top_level_scalars(doc, ("a", "b")) is None
        return
    assert LOWEST <= value <= HIGHEST
    got = data["a"] if isinstance(data["a"], int) else data["a"]["b"][1]
    assert got == value
    assert yamlio.load_fast(doc) in (None, data)


def test_the_writer_quotes_long_digit_text_and_refuses_huge_integers():
    text = yamlio.dump({"serial": "9" * 40, "n": yamlio.INT_MAX, "m": yamlio.INT_MIN})
    assert yamlio.load(text).data == {"serial": "9" * 40, "n": yamlio.INT_MAX,
                                      "m": yamlio.INT_MIN}
    for value in (yamlio.INT_MAX + 1, yamlio.INT_MIN - 1, 10 ** 5000):
        with pytest.raises(Exception) as caught:
            yamlio.dump({"n": value})
        assert type(caught.value).__name__ == "InvalidInput"
        assert "out of range" in str(caught.value)


# ---- the commands ------------------------------------------------------------------------

@pytest.fixture
def store(db: Database, svt) -> Database:
    svt("add", "--id", "M1", "--type", "module")
    svt("add", "--id", "M2", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--voltage", "60", "--pass")
    return db


def component_file(db: Database) -> Path:
    return db.root / "records/module/M1/component.yaml"


def event_file(db: Database) -> Path:
    return next((db.root / "records/module/M1").glob("*/*iv_curve*.yaml"))


def break_record(path: Path, how: str) -> int:
    """Spoil ``path`` (a hand edit, as a pull request would carry it); returns its line."""
    text = path.read_text()
    if path.name == "component.yaml":
        bad = {"huge": f"attributes:\n  big: {HUGE}\n",
               "float-overflow": f"attributes:\n  big: {FLOAT_OVERFLOW}\n",
               "hex": f"attributes:\n  big: 0x{'f' * 5000}\n",
               "duplicate": "status: spare\n"}[how]  # another unreadable record, for comparison
        path.write_text(text + bad)
        return len(text.splitlines()) + bad.count("\n")
    value = {"huge": HUGE, "float-overflow": FLOAT_OVERFLOW, "hex": f"0x{'f' * 5000}",
             "duplicate": "60.0\n    value: 61.0"}[how]
    new = text.replace("value: 60.0", f"value: {value}", 1)
    assert new != text
    path.write_text(new)
    return text[:text.index("value: 60.0")].count("\n") + 1 + (how == "duplicate")


KINDS = ["huge", "float-overflow", "hex"]


@pytest.mark.parametrize("which", ["component", "test"])
@pytest.mark.parametrize("how", KINDS)
def test_validate_reports_the_number_with_its_file_and_line(store, svt, which, how):
    path = component_file(store) if which == "component" else event_file(store)
    line = break_record(path, how)
    rel = path.relative_to(store.root).as_posix()
    result = svt("validate", ok=False)
    assert result.exit_code == 1, result.stdout + result.stderr
    found = [l for l in result.stdout.splitlines() if l.startswith(f"{rel}:{line}:")]
    assert found and "error" in found[0], result.stdout
    assert "out of range" in found[0] and "write a larger number as a float" in found[0]
    assert len(found[0]) < 400 and "Internal error" not in result.stdout + result.stderr
    as_json = json.loads(svt("validate", "--format", "json", ok=False).stdout)
    assert any(p["path"] == rel and p["line"] == line for p in as_json["problems"]), as_json


def outcome(svt, *args: str) -> tuple[int, str]:
    result = svt(*args, ok=False)
    text = result.stdout + result.stderr
    assert "Internal error" not in text and "Traceback" not in text, text
    return result.exit_code, text


COMMANDS = [("show", "M1"), ("show", "M2"), ("summary",), ("list",), ("list", "--format", "csv"),
            ("export",), ("export", "--format", "csv"), ("results", "--type", "iv_curve")]


@pytest.mark.parametrize("which", ["component", "test"])
@pytest.mark.parametrize("how", KINDS)
def test_every_command_treats_it_as_any_unreadable_record(store, svt, which, how):
    """show, summary, list, export, results: the same exit status as for a record with a
    duplicate key (an unreadable record they already handled), and no crash."""
    path = component_file(store) if which == "component" else event_file(store)
    original = path.read_text()
    break_record(path, "duplicate")
    reference = [outcome(svt, *args)[0] for args in COMMANDS]
    path.write_text(original)
    break_record(path, how)
    got = [outcome(svt, *args) for args in COMMANDS]
    assert [code for code, _ in got] == reference
    show_m1 = got[0]
    if show_m1[0] != 0:  # the record is named, with its line, on one line
        rel = path.relative_to(store.root).as_posix()
        assert re.search(rf"{re.escape(rel)}:\d+:", show_m1[1]), show_m1[1]
        assert len(show_m1[1].strip().splitlines()) == 1


@pytest.mark.parametrize("how", ["huge", "float-overflow"])
def test_site_builds_with_the_record_marked_unreadable(store, svt, tmp_path, how):
    break_record(event_file(store), how)
    break_record(component_file(store), how)
    code, text = outcome(svt, "site", str(tmp_path / "out"))
    assert code in (0, 1), text
    assert not (tmp_path / "out").exists() or (tmp_path / "out" / "index.html").is_file()


@pytest.mark.parametrize("digits", [25, 5000])
def test_svt_refuses_to_write_a_number_of_any_size_with_a_one_line_error(store, svt, gitcmd,
                                                                       tmp_path, digits):
    """What svt would write must read back: the same rule, a one-line error, nothing written."""
    number = "9" * digits
    head = gitcmd(store.root, "rev-parse", "HEAD")
    sheet = tmp_path / "results.csv"
    sheet.write_text(f"component,type,n\nM1,iv_curve,{number}\n")
    attempts = [("test", "M1", "--type", "iv_curve", "--measure", f"n={number}"),
                ("test", "--from-csv", str(sheet)), ("add", "--id", "M1", "--attr", f"n={number}")]
    for args in attempts:
        result = svt(*args, ok=False)
        message = result.stderr.strip()
        assert result.exit_code == 1, (args, result.stdout, message)
        assert len(message.splitlines()) == 1, message
        assert "Internal error" not in message and "Traceback" not in message
        if "--from-csv" in args:
            assert "line 2" in message
    assert gitcmd(store.root, "rev-parse", "HEAD") == head
    assert svt("validate", ok=False).exit_code == 0
