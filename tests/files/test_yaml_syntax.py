"""A YAML syntax error is reported where the mistake is (files/yamlsyntax.py), not where
libyaml gave up: an unclosed quote at the end of the file, a missing colon on the next line."""
from __future__ import annotations

import pytest

from svt_records.files import yamlio

HEAD = "".join(f"k{i}: v{i}\n" for i in range(1, 11))  # ten good lines first


@pytest.mark.parametrize("text, where, says", [
    (HEAD + 'note: "left open\n', (11, 7), "closing quote is missing"),
    (HEAD + "note: 'left open\nk12: x\nk13: y\n", (11, 7), "closing quote is missing"),
    (HEAD + "note\nk12: x\n", (11, 1), "no ':' after its key"),
    (HEAD + "list: [1, 2\nk12: x\n", (11, 7), "[ list opens here and is not closed"),
    (HEAD + "map: {a: 1\nk12: x\n", (11, 6), "{ mapping opens here and is not closed"),
    (HEAD + "k11: 1\n  k12: 2\n", (12, 6), "mapping values are not allowed"),  # as libyaml says
])
def test_a_syntax_error_names_the_line_of_the_mistake(text, where, says):
    with pytest.raises(yamlio.YamlError) as raised:
        yamlio.load(text)
    finding = raised.value.finding
    assert (finding.line, finding.column) == where and says in finding.message, finding
    assert finding.message.startswith("YAML syntax: ")
