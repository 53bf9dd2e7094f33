"""Run the commands svt suggests, as a user would paste them.

``suggested(text)`` collects the svt commands a message suggests: each backticked span that
starts with ``svt `` and each line that is one (``  svt resolve M1 --ours``), in order.
``run_suggested(clone, text)`` runs them one after the other through the real CLI (a new
``python -m svt_records`` process, in the clone's folder, arguments split as a shell splits
them) and fails the test unless each succeeds: exit 0, or, for a command the message itself
says stops (``may_stop``, e.g. ``svt sync --merge``, which stops at the conflict) and for
``svt validate``, a report with exit 1 and no ``Error:`` (a refusal) on stderr.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Collection

BACKTICKED = re.compile(r"`(svt [^`]+)`")
COMMAND_LINE = re.compile(r"^\s*(svt [a-z].*?)\s*$")
# words that stand for something the user must fill in: a command holding one cannot run
PLACEHOLDERS = re.compile(r"\b(ID|FIELD=VALUE|NAME|POSITION|PATH|FILE|TYPE)\b|\.\.\.")


def suggested(*outputs: str) -> list[str]:
    """The svt commands the outputs suggest, in order (each once)."""
    found: list[str] = []
    for text in outputs:
        for line in text.splitlines():
            whole = COMMAND_LINE.match(line)
            for command in [whole.group(1)] if whole and "`" not in line else \
                    BACKTICKED.findall(line):
                if command not in found:
                    found.append(command)
    return found


def run_command(clone: Path, command: str, may_stop: Collection[str] = ()
                ) -> subprocess.CompletedProcess:
    """Run one suggested command in ``clone`` and check it succeeded (see the module doc)."""
    assert not PLACEHOLDERS.search(command), f"suggested with a placeholder: {command}"
    argv = shlex.split(command)
    assert argv[0] == "svt", command
    proc = subprocess.run([sys.executable, "-m", "svt_records", *argv[1:]], cwd=clone,
                          capture_output=True, text=True)
    reports = command in may_stop or argv[1:2] == ["validate"]
    refused = any(line.startswith(("Error:", "Usage:", "Traceback"))
                  for line in proc.stderr.splitlines())
    ok = proc.returncode == 0 or (reports and proc.returncode == 1 and not refused)
    assert ok, (f"the suggested `{command}` failed (exit {proc.returncode}):\n"
                f"{proc.stdout}{proc.stderr}")
    return proc


def run_suggested(clone: Path, *outputs: str, may_stop: Collection[str] = (),
                  expect: int | None = None) -> list[subprocess.CompletedProcess]:
    """Run every command the outputs suggest, in order, in ``clone``; ``expect``: how many
    there must be."""
    commands = suggested(*outputs)
    assert commands, f"no svt command suggested in:\n{''.join(outputs)}"
    if expect is not None:
        assert len(commands) == expect, commands
    return [run_command(clone, command, may_stop) for command in commands]
