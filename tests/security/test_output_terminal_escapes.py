"""Issue 24, "Input that cannot leak or trick": record text printed to a terminal has its
control characters removed (C0 but newline and tab, DEL, C1, and whole escape sequences such
as ESC[8m, which hides text, and OSC 52, which writes the clipboard), in every command that
prints record content. JSON and YAML output keep the values exactly.

svt's own writes refuse control characters, so the records here are hand edits, as a pull
request carries them: YAML escapes (\\e, \\a, \\x9b) in double-quoted strings, an svt.yaml
description, and a commit's subject and author."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from svt_records import Database

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# what a pull request writes into YAML (double-quoted escapes), and what svt then reads
POISON_YAML = r'"{word} \e[8mhidden\e[0m \e]52;c;ZXZpbA==\a \x9b31mred\a\x07\x00\x7f end"'
CLIPBOARD = "\x1b]52;c;ZXZpbA==\x07"


def git(store: Path, *args: str, env: dict | None = None) -> str:
    import os
    return subprocess.run(["git", *args], cwd=store, capture_output=True, text=True,
                          check=True, env={**os.environ, **(env or {})}).stdout


def poison(path: Path, word: str) -> None:
    """Replace the plain scalar ``word`` in ``path`` by a poisoned double-quoted one."""
    text = path.read_text()
    assert re.search(rf": {word}$", text, re.M), (word, text)
    path.write_text(re.sub(rf": {word}$", ": " + POISON_YAML.format(word=word).replace(
        "\\", "\\\\"), text, flags=re.M))


@pytest.fixture
def store(db: Database, svt) -> Database:
    svt("add", "--id", "M1", "--type", "module", "--location", "PLACE", "--manufacturer",
        "MAKER", "--notes", "NOTES", "--attr", "firmware=FIRMWARE")
    svt("add", "--id", "FEB-1", "--type", "feb")
    svt("test", "M1", "--type", "iv_curve", "--voltage", "60", "--pass", "--tested-by",
        "TESTER", "--setup", "STAND", "--notes", "TESTNOTES")
    svt("log", "M1", "LOGTEXT", "--type", "issue")
    svt("connect", "M1", "FEB-1", "--type", "LINK")
    svt("install", "M1", "Layer1_top_axial", "--run-period", "RUN")
    root = db.root
    for path in root.glob("records/**/*.yaml"):
        text = path.read_text()
        for word in ("PLACE", "MAKER", "NOTES", "FIRMWARE", "TESTER", "STAND", "TESTNOTES",
                     "LOGTEXT", "LINK", "RUN"):
            if re.search(rf": {word}$", text, re.M):
                poison(path, word)
                text = path.read_text()
    config = root / "svt.yaml"
    config.write_text(config.read_text().replace(
        "description: Leakage current against reverse bias voltage (sensor or module)",
        "description: " + POISON_YAML.format(word="DESCRIPTION")))
    git(root, "commit", "-qam", f"hand edit {CLIPBOARD} \x1b[8mhidden subject",
        env={"GIT_AUTHOR_NAME": "Mallory \x1b[2J"})
    return db


def clean(result, *, code: int = 0) -> str:
    text = result.stdout + result.stderr
    assert result.exit_code == code, text
    found = CONTROL.search(text)
    assert found is None, f"control character {found.group()!r} in:\n{text!r}"
    return text


def test_the_poisoned_values_are_really_in_the_records(store):
    assert "\x1b[8m" in store.get_component("M1")["location"]
    assert "\x9b" in store.get_component("M1")["notes"]


def test_show_prints_the_text_without_control_characters(store, svt):
    out = clean(svt("show", "M1"))
    for word in ("PLACE", "MAKER", "NOTES", "FIRMWARE", "TESTER", "LOGTEXT", "RUN"):
        assert f"{word} hidden  red end" in out, (word, out)  # the text stays, visible
    assert "hand edit  hidden subject" in out and "Mallory" in out


@pytest.mark.parametrize("args", [
    ("list",), ("list", "--attr", "firmware"), ("list", "--format", "csv"), ("summary",),
    ("positions",), ("positions", "--format", "csv"), ("results", "--type", "iv_curve"),
    ("results", "--type", "iv_curve", "--format", "csv"), ("history", "M1"),
    ("connections", "M1"), ("connections", "M1", "--format", "csv"), ("test-types",),
    ("export", "--format", "csv"), ("show", "M1", "--since", "2000-01-01"),
])
def test_every_listing_prints_no_control_character(store, svt, args):
    clean(svt(*args))


def test_listings_keep_the_visible_text(store, svt):
    assert "LINK hidden  red end" in clean(svt("connections", "M1"))
    assert "DESCRIPTION hidden  red end" in clean(svt("test-types"))
    assert "PLACE hidden  red end" in clean(svt("history", "M1"))
    assert "TESTER hidden  red end" in clean(svt("results", "--type", "iv_curve"))


def test_undo_quoting_a_commit_subject_prints_no_control_character(store, svt):
    out = clean(svt("undo", "--dry-run", ok=False), code=1)  # not svt's: its subject is named
    assert "hand edit  hidden subject" in out


def test_show_test_prints_no_control_character(store, svt):
    test_id = json.loads(svt("show", "M1", "--format", "json").stdout)["tests"][0]["id"]
    out = clean(svt("show-test", test_id))
    assert "TESTER hidden  red end" in out and "TESTNOTES hidden" in out


def test_errors_and_warnings_that_quote_a_record_print_no_control_character(store, svt):
    component = store.root / "records/module/M1/component.yaml"
    original = component.read_text()
    # a duplicate key, named in the message
    component.write_text(original + '"x\\e[8my": 1\n"x\\e[8my": 2\n')
    assert "x" in clean(svt("show", "M1", ok=False), code=1)
    assert "skipped 1 unreadable record" in clean(svt("list", ok=False), code=1)
    # a value the schema refuses, quoted in the message
    component.write_text(re.sub(r"^status: .*$", lambda m: 'status: "spare\\e]52;c;ZX==\\a"',
                                original, flags=re.M))
    out = clean(svt("show", "M1", ok=False), code=1)
    assert "spare" in out, out
    clean(svt("list", ok=False), code=1)  # M1 left out: said on stderr, exit 1 (issue 25)


@pytest.mark.parametrize("args", [("show", "M1", "--format", "json"), ("list", "--format", "json"),
                                  ("export",), ("export", "--format", "yaml"),
                                  ("history", "M1", "--format", "json")])
def test_json_and_yaml_output_keep_the_values_exactly(store, svt, args):
    out = svt(*args).stdout
    if "yaml" in args:
        from svt_records.files import yamlio
        data = yamlio.load(out).data
    else:
        data = json.loads(out)
    poisoned = "PLACE \x1b[8mhidden\x1b[0m \x1b]52;c;ZXZpbA==\x07 \x9b31mred\x07\x07\x00\x7f end"
    assert json.dumps(poisoned)[1:-1] in json.dumps(data)


# ---- the rule itself ---------------------------------------------------------------------

CONTROLS = [chr(c) for c in [*range(0x20), 0x7f, *range(0x80, 0xa0)]]
pieces = st.one_of(st.text(), st.sampled_from(CONTROLS),
                   st.sampled_from(["\x1b[8m", "\x1b[0m", "\x1b]52;c;ZXZpbA==\x07", "\x1b]0;t\x1b\\",
                                    "\x1bc", "\x9b2J", "\x1bP1$r\x1b\\", "\x1b[", "\x1b", "\x9d"]))


@settings(max_examples=500, deadline=None)
@given(st.lists(pieces, max_size=12).map("".join))
def test_any_text_leaves_no_control_character_but_keeps_newline_and_tab(text):
    from svt_records.cli.render import terminal_text
    out = terminal_text(text)
    assert CONTROL.search(out) is None
    if CONTROL.search(text) is None:
        assert out == text  # text without controls is printed as it is
    # every newline and tab stays (no escape sequence takes one in)
    assert out.count("\n") == text.count("\n") and out.count("\t") == text.count("\t")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc",))), st.text(
    alphabet=st.characters(blacklist_categories=("Cc",))))
def test_escape_sequences_are_removed_whole(before, after):
    from svt_records.cli.render import terminal_text
    for sequence in ("\x1b[8m", "\x1b[38;5;196m", "\x1b]52;c;ZXZpbA==\x07", "\x1b]8;;http://x\x1b\\",
                     "\x1bc", "\x9b31m"):
        assert terminal_text(before + sequence + after) == before + after


def test_the_cli_prints_through_the_one_rule():
    """Commands print text through render.echo (or render.echo_data for JSON and YAML), never
    click.echo itself: the terminal rule lives in render.py alone. (cli/__init__.py prints
    only fixed words itself.)"""
    folder = Path(__file__).parents[2] / "svt_records" / "cli"
    pending = {"__init__.py", "render.py"}
    direct = [p.name for p in folder.glob("*.py")
              if p.name not in pending and "click.echo(" in p.read_text()]
    assert direct == []
