"""Issue 12's daily questions and small things: positions, results by verdict and date,
search by attribute, tables that fit the terminal, commit messages, shell completion."""
from __future__ import annotations

import json
from pathlib import Path


def subject(root: Path, gitcmd) -> str:
    return gitcmd(root, "log", "-1", "--format=%s").strip()


# ---- commit messages never print None ---------------------------------------------------
def test_update_messages_say_set_to_instead_of_none(store_path, svt, gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    svt("add", "--id", "M1", "--location", "Bench 3")
    assert subject(store_path, gitcmd) == "update M1: location set to Bench 3"
    svt("add", "--id", "M1", "--attr", "channel_count=512")
    assert subject(store_path, gitcmd) == "update M1: attribute channel_count set to 512"
    svt("add", "--id", "M1", "--attr", "channel_count=640", "--location", "CR")
    assert subject(store_path, gitcmd) == ("update M1: location Bench 3 -> CR;"
                                           " attribute channel_count 512 -> 640")
    assert "None" not in "".join(gitcmd(store_path, "log", "--format=%s"))


# ---- tables fit the terminal ------------------------------------------------------------
def test_tables_cut_long_columns_to_the_width_given():
    from svt_records.cli.render import table
    rows = [["M1", "module", "A very long location name in the clean room, shelf 3"],
            ["FEB-042", "feb", None]]
    text = table(rows, ["ID", "TYPE", "LOCATION"], width=40)
    assert all(len(line) <= 40 for line in text.splitlines())
    assert "A very long location" in text and "…" in text and "FEB-042" in text
    assert table(rows, ["ID", "TYPE", "LOCATION"], width=200) == table(
        rows, ["ID", "TYPE", "LOCATION"], width=0)  # 0: no limit


def test_tables_print_at_full_width_in_a_pipe(store_path, svt_proc):
    place = "Clean Room, cabinet 7, shelf 3, the drawer on the left with the blue label"
    svt_proc("add", "--id", "M1", "--type", "module", "--location", place,
             env={"COLUMNS": "40"})
    assert place in svt_proc("list", env={"COLUMNS": "40"}).stdout


def test_tables_fit_a_terminal(store_path, svt_proc):
    import os
    import subprocess
    import sys
    place = "Clean Room, cabinet 7, shelf 3, the drawer on the left with the blue label"
    svt_proc("add", "--id", "M1", "--type", "module", "--location", place)
    leader, follower = os.openpty()  # stdout is a terminal, 60 columns wide
    try:
        proc = subprocess.run([sys.executable, "-m", "svt_records", "list"], stdout=follower,
                              stderr=subprocess.PIPE, env=dict(os.environ, COLUMNS="60"),
                              timeout=60)
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 0, proc.stderr
    lines = out.decode().replace("\r", "").splitlines()
    assert lines and all(len(line) <= 60 for line in lines), lines
    assert any("…" in line for line in lines) and any("M1" in line for line in lines)
