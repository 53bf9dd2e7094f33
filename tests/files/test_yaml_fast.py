"""The fast reader of canonical files gives exactly what the strict reader gives, or declines."""
import random

import pytest

from svt_records.files import yamlio

SAMPLES = [
    {"id": "MODULE-L1-001", "type": "module", "status": "spare", "location": "Clean Room",
     "attributes": {"n": 512, "t": 1e-06, "f": -9.0, "b": True, "x": None, "s": "yes",
                    "o": "012", "l": [1, "two", 3.5], "m": {"a": {"b": [1]}}},
     "connections": [{"to": "FEB-1", "type": "signal", "since": "2025-01-01T10:00:00-05:00"},
                     {"to": "FEB-2", "type": "power"}],
     "notes": "Dust: cleaned #2, see log", "empty": {}, "none": []},
    {"kind": "test", "date": "2025-01-01T10:00:00Z", "measurements": {
        "current": {"value": 2.3e-06, "unit": "A"}, "bad": [47, 128], "txt": "a, b",
        "unicode": "Ωmega µA", "q": "quote\"d", "bs": "back\\\\slash", "neg": -1}},
    {"notes": "line one\nline two\n", "x": 1},
    {"attributes": {"serial": "0042", "eps": "1e-6", "t": "true", "f": "false", "r": "1.50",
                    "p": "+5", "v": "1.2.3", "d": "2025-01", "n": "512", "x": "0x1F",
                    "o": "0o17", "inf": ".inf", "u": "1_000", "th": "320um", "e": 1e-06}},
]


@pytest.mark.parametrize("data", SAMPLES)
def test_fast_reader_equals_strict_reader_on_canonical_files(data):
    text = yamlio.dump(data, "../schemas/x.schema.json")
    fast = yamlio.load_fast(text)
    strict = yamlio.load(text).data
    assert fast is None or fast == strict
    if "\n" not in str(data.get("notes", "")):
        assert fast == strict == data


HAND_EDITS = [
    "a: 1\na: 2\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: {b: 1}\n", "a: [1, 2]\n",
    "a: 1 # comment\n", "a: yes\n", "a: 'single'\n", "a:\n- 1\n- 2\n", "a:\n    b: 1\n",
    "a: b: c\n", "a: .inf\n", "a: 0x1F\n", "a: 1_000\n", "? a\n: 1\n", "a: >\n  folded\n",
    "a:   spaced\n", "- 1\n", "a: -x\n", "a: \"\\x41\"\n", "a: \"unterminated\n",
    "a:\n  - b: 1\n    c: 2\n  - d\n", "a: 2025-01-01\n", "a: 12:30\n", "a: http://x\n",
    "a: @x\n", "a: `x\n", "a: ?x\n", "a: ,x\n", "a: %x\n",
]


@pytest.mark.parametrize("text", HAND_EDITS)
def test_fast_reader_never_disagrees_on_hand_edits(text):
    fast = yamlio.load_fast(text)
    try:
        strict = yamlio.load(text).data
    except yamlio.YamlError:
        assert fast is None
        return
    assert fast is None or fast == strict


def test_fast_reader_random_mutations_never_disagree():
    base = yamlio.dump(SAMPLES[0])
    rng = random.Random(7)
    alphabet = " :-#\"'&*!|>{}[],\n0123456789abcxyz."
    for _ in range(3000):
        chars = list(base)
        for _ in range(rng.randint(1, 4)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        text = "".join(chars)
        fast = yamlio.load_fast(text)
        try:
            strict = yamlio.load(text).data
        except yamlio.YamlError:
            assert fast is None, text
            continue
        assert fast is None or fast == strict, text
