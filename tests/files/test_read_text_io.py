"""How a record file is read (issue 28): plain os.read calls of the size fstat gave, the
stat of the file read handed back for the index, and the fast path of quoted and repeated
scalars. What is read, and every refusal, are those of the buffered read it replaced."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings, strategies as st

from svt_records.files import yamlio


def test_a_record_is_read_with_reads_of_its_size_not_of_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "a.yaml"
    path.write_text("kind: test\n" * 100)
    asked: list[int] = []
    real = os.read

    def spy(fd: int, n: int) -> bytes:
        asked.append(n)
        return real(fd, n)
    monkeypatch.setattr(yamlio.os, "read", spy)
    assert yamlio.read_text(path) == "kind: test\n" * 100
    # the file's size and one byte, then a read that finds the end: no 1 MB buffer per file
    assert asked[0] == 1101 and len(asked) == 2, asked


def _fstat_saying(size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.fstat

    def fstat(fd: int) -> os.stat_result:
        fields = list(real(fd))
        fields[6] = size  # st_size: as if the file grew after fstat
        return os.stat_result(fields)
    monkeypatch.setattr(yamlio.os, "fstat", fstat)


def test_a_file_that_grew_after_fstat_is_read_to_its_end(tmp_path, monkeypatch):
    path = tmp_path / "a.yaml"
    text = "notes: " + "x" * 200_000 + "\n"
    path.write_text(text)
    _fstat_saying(10, monkeypatch)
    assert yamlio.read_text(path) == text


def test_a_file_that_grew_past_the_limit_is_read_no_further_than_it(tmp_path, monkeypatch):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"a" * (yamlio.MAX_FILE_BYTES + 300_000))
    _fstat_saying(10, monkeypatch)
    assert len(yamlio.read_text(path)) == yamlio.MAX_FILE_BYTES + 1  # bounded work


def test_an_empty_file_reads_as_empty(tmp_path):
    (tmp_path / "a.yaml").write_bytes(b"")
    assert yamlio.read_text(tmp_path / "a.yaml") == ""


def test_read_text_stat_gives_the_stat_of_the_file_it_read(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes("\ufeffkind: test\n".encode())
    text, st = yamlio.read_text_stat(path)
    lst = os.lstat(path)
    assert text == "kind: test\n" == yamlio.read_text(path)
    assert (st.st_mtime_ns, st.st_size, st.st_ino) == (lst.st_mtime_ns, lst.st_size, lst.st_ino)
    (tmp_path / "link.yaml").symlink_to(path)
    with pytest.raises(yamlio.YamlError, match="is a symbolic link; records must be regular"):
        yamlio.read_text_stat(tmp_path / "link.yaml")
    (tmp_path / "bad.yaml").write_bytes(b"kind: \xff\n")
    with pytest.raises(yamlio.YamlError, match=r"not UTF-8 text \(invalid start byte at byte 6\)"):
        yamlio.read_text_stat(tmp_path / "bad.yaml")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab é"\\/\t\n\x00\x1f\x7f\u00a0\u2028\ufeff\U0001f600u0'),
               max_size=8), st.sampled_from(['"', '"', '', ' ', '"x']))
def test_a_quoted_scalar_reads_as_json_reads_it(inner, end):
    raw = '"' + inner + end
    try:
        expected = json.loads(raw)
    except ValueError:
        with pytest.raises(ValueError):
            yamlio._fast_scalar(raw)
    else:
        assert yamlio._fast_scalar(raw) == expected


def test_repeated_plain_scalars_read_the_same_and_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(yamlio, "_SEEN", {})
    for raw, value in (("pass", "pass"), ("12", 12), ("1.5e-06", 1.5e-06), ("null", None),
                       ("true", True), ("M-1", "M-1")):
        assert yamlio._fast_scalar(raw) == value and yamlio._fast_scalar(raw) == value
    for raw in ("yes", "0777", "1e999", "[1]"):  # refused every time, never remembered
        for _ in range(2):
            with pytest.raises(yamlio._NotCanonical):
                yamlio._fast_scalar(raw)
    first, second = yamlio._fast_scalar("{}"), yamlio._fast_scalar("{}")
    assert first == {} and first is not second  # a fresh mapping each time
    for n in range(5000):
        yamlio._fast_scalar(f"v{n}")
    assert len(yamlio._SEEN) == 4096
    assert yamlio._fast_scalar("v4999") == "v4999"


def test_a_top_level_key_with_only_a_space_after_it_goes_to_the_strict_reader():
    text = 'kind: test\ndate: "2025-01-01T09:00:00+00:00"\nresult: \n'  # "result: ", then nothing
    assert yamlio.top_level_scalars(text, ("kind", "date", "result")) is None  # was IndexError
    assert yamlio.load(text).data["result"] is None
