"""git/background.start_detached: a program left running after svt exits, saying in its log
why it failed."""
from __future__ import annotations

import time

from svt_records.git.background import start_detached


def test_a_program_that_cannot_start_says_why_in_its_log(tmp_path):
    log = tmp_path / "log"
    start_detached([str(tmp_path / "no-such-program"), "-V"], str(log))
    for _ in range(100):
        if log.exists() and log.read_text():
            break
        time.sleep(0.02)
    assert "no-such-program" in log.read_text()


def test_a_program_runs_detached_with_its_errors_appended_to_the_log(tmp_path):
    import sys
    log = tmp_path / "log"
    log.write_text("before\n")
    start_detached([sys.executable, "-c", "import os, sys; sys.stderr.write(os.getcwd())"],
                   str(log))
    for _ in range(200):
        if log.read_text() != "before\n":
            break
        time.sleep(0.02)
    assert log.read_text() == "before\n/"  # appended, and run in /
