"""Errors and validation findings.

Every error the library raises derives from :class:`SvtError`; the CLI turns them into a
one-line message and an exit code in one place. Findings of a check are values
(:class:`Problem`) that carry their location, rendered elsewhere.
"""
from __future__ import annotations

from typing import NamedTuple


class SvtError(Exception):
    """Base of every error svt reports to its user."""

    exit_code = 1


class StoreNotFound(SvtError):
    """No records repository where one was expected."""


class InvalidInput(SvtError, ValueError):
    """Something the user gave is not acceptable (id, type, status, position, value)."""


class MissingExtra(InvalidInput):
    """An optional dependency is not installed: ``needs`` says what needs it, and the message
    ends with ``command``, which installs svt's extra ``extra`` as this very svt was installed
    (``files.install.pip_command``). Where that cannot be looked up (analysis/ is pure), it is
    raised without and completed at the CLI edge (``files.install.message``)."""

    def __init__(self, needs: str, extra: str, command: str | None = None,
                 after: str = "") -> None:
        super().__init__(needs)
        self.needs, self.extra, self.command, self.after = needs, extra, command, after

    def __str__(self) -> str:
        how = self.command or f"install svt-records[{self.extra}]"
        return f"{self.needs}: {how}{self.after}"


class NotFoundError(SvtError, KeyError):
    """A component or record that does not exist."""

    def __str__(self) -> str:  # KeyError quotes its message; we do not want that
        return str(self.args[0]) if self.args else ""


class RuleViolation(SvtError, ValueError):
    """A change that would break a rule of the component model."""


class GitError(SvtError):
    """A git command failed, or the repository is in a state svt must not touch."""


class LockTimeout(SvtError):
    """Another svt process holds the store's lock for too long."""


class RecordError(SvtError, ValueError):
    """A record file is not valid; carries the problems found."""

    def __init__(self, problems: list["Problem"], message: str | None = None) -> None:
        self.problems = problems
        super().__init__(message or (problems[0].render() if problems else "invalid record"))


class Problem(NamedTuple):
    """One finding of a check, located in a file (path relative to the store root)."""

    path: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" or "warning"
    rule: str = "record"

    def render(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"


class DataFileError(InvalidInput):
    """A measurement file (IV curve, noise) svt cannot use; the message names file and line."""

    def __init__(self, message: str, *, path: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
