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
