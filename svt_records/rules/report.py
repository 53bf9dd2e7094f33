"""Rendering validation problems: text for people, GitHub annotations, GitLab Code Quality,
JSON for scripts."""
from __future__ import annotations

import hashlib
import json
from typing import Iterable

from ..model.errors import Problem

def render(problems: Iterable[Problem], fmt: str, checked: int = 0) -> str:
    problems = list(problems)
    return {"text": _text, "github": _github, "gitlab": _gitlab, "json": _json}[fmt](
        problems, checked)


def counts(problems: list[Problem]) -> tuple[int, int]:
    errors = sum(p.severity == "error" for p in problems)
    return errors, len(problems) - errors


def _text(problems: list[Problem], checked: int) -> str:
    lines = [p.render() for p in problems]
    errors, warnings = counts(problems)
    lines.append(f"{errors} error(s), {warnings} warning(s) in {checked} file(s) checked"
                 if problems else f"All {checked} file(s) valid.")
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(problems: list[Problem], checked: int) -> str:
    """GitHub Actions workflow commands: each problem shows on the pull request's diff."""
    lines = []
    for p in problems:
        command = "error" if p.severity == "error" else "warning"
        props = (f"file={_escape_property(p.path)},line={p.line},col={p.column},"
                 f"title={_escape_property('svt validate: ' + p.rule)}")
        lines.append(f"::{command} {props}::{_escape_data(p.message)}")
    errors, warnings = counts(problems)
    lines.append(f"svt validate: {errors} error(s), {warnings} warning(s) in {checked} file(s)")
    return "\n".join(lines) + "\n"


def _gitlab(problems: list[Problem], checked: int) -> str:
    """A GitLab Code Quality report (artifacts:reports:codequality)."""
    issues = []
    for p in problems:
        digest = hashlib.sha256(f"{p.path}:{p.line}:{p.column}:{p.message}".encode()).hexdigest()
        issues.append({
            "description": p.message,
            "check_name": f"svt-{p.rule}",
            "fingerprint": digest,
            "severity": "major" if p.severity == "error" else "minor",
            "location": {"path": p.path, "lines": {"begin": p.line}},
        })
    return json.dumps(issues, indent=2) + "\n"


def _json(problems: list[Problem], checked: int) -> str:
    errors, warnings = counts(problems)
    return json.dumps({"checked": checked, "errors": errors, "warnings": warnings,
                       "problems": [p._asdict() for p in problems]}, indent=2) + "\n"
