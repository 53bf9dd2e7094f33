"""Where a YAML syntax error is, and what to write instead: libyaml's errors made exact.

libyaml reports some errors where it gave up, not where the mistake is: a quote that is
never closed is reported at the end of the file, a key without its colon on the next line.
For those, the place where the construct began (the error's context mark) is the line to
fix. Duck-typed on PyYAML's ``MarkedYAMLError`` (problem, problem_mark, context,
context_mark), so that only yamlio imports yaml.
"""
from __future__ import annotations

from typing import Any

SUFFIX = " (check indentation, colons and quotes)"

# context -> what to say, reported at the context's mark (where the construct began)
_AT_START = {
    "while scanning a quoted scalar": "a quoted value starts here and its closing quote is"
                                      " missing: close it with the same quote",
    "while scanning a simple key": "this line has no ':' after its key: write key: value",
    "while parsing a flow sequence": "a [ list opens here and is not closed: end it with ]",
    "while parsing a flow mapping": "a { mapping opens here and is not closed: end it with }",
}


def syntax_error(exc: Any) -> tuple[int, int, str]:
    """Line, column (1-based) and message of a YAML syntax error ``exc``."""
    context = getattr(exc, "context", None)
    start = getattr(exc, "context_mark", None)
    if context in _AT_START and start is not None:
        return start.line + 1, start.column + 1, f"YAML syntax: {_AT_START[context]}"
    mark = getattr(exc, "problem_mark", None) or start
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return line, column, f"YAML syntax: {exc.problem or context}{SUFFIX}"
