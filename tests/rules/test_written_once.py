"""Rules and enumerations written once: each caller of a rule gives the same answer as the
one definition, so copies that drift apart are caught here."""
from __future__ import annotations

import builtins
import inspect
import os

import pytest

from svt_records.model.errors import InvalidInput
from svt_records.model.names import (MAX_ID_LENGTH, check_id, is_path_safe,
                                     parse_connection_id, path_parts)

NAMES = ["HPK-SN123456", "a.b_c+d-e", "A", "ok.", ".hidden", "-dash", "with space", "a/b",
         "a\\b", "a\0b", "ABC\n", "\nABC", "é", "x" * MAX_ID_LENGTH, "", ".."]
PATHS = ["a", "a/b/c.csv", "a/../b", "./a", "a//b", "/a", "a/", "a\\b", "a\\..\\b", "a\0b",
         "..", "records/module/MOD-1/2025/x.svg"]


# ---- 1. the path-safe name rule and the plain-path rule ------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_a_component_id_is_accepted_exactly_when_the_name_is_path_safe(name):
    try:
        check_id(name)
        accepted = True
    except InvalidInput:
        accepted = False
    assert accepted == is_path_safe(name)


def test_an_id_ending_in_a_newline_is_refused_everywhere():
    with pytest.raises(InvalidInput, match="characters"):
        check_id("ABC\n")
    with pytest.raises(InvalidInput, match="connection id"):
        parse_connection_id("ABC\n~DEF~signal")


def test_the_messages_of_check_id_still_say_what_is_wrong():
    with pytest.raises(InvalidInput, match="ends with a dot"):
        check_id("MOD.")
    with pytest.raises(InvalidInput, match="at most 64"):
        check_id("M" * 65)
    with pytest.raises(InvalidInput, match="is empty"):
        check_id("")


@pytest.mark.parametrize("rel", PATHS)
def test_the_site_and_the_store_open_the_same_plain_paths(rel, tmp_path):
    from svt_records.site.outputs import _parts
    from svt_records.store.nofollow import LinkRefused, open_stored
    assert _parts(rel) == path_parts(rel)
    try:
        open_stored(tmp_path, rel)
        refused = False
    except LinkRefused:
        refused = True
    except (FileNotFoundError, NotADirectoryError):
        refused = False  # a plain path to nothing
    assert refused == (path_parts(rel) is None)


@pytest.mark.parametrize("name", ["a\\b.csv", "a\0b.csv"])
def test_open_stored_refuses_a_backslash_or_nul_even_where_such_a_file_exists(name, tmp_path):
    from svt_records.store.nofollow import LinkRefused, open_stored, read_stored
    if "\0" not in name:
        (tmp_path / name).write_bytes(b"secret")
    with pytest.raises(LinkRefused, match="not a plain path"):
        read_stored(tmp_path, name, 100)
    with pytest.raises(LinkRefused) as caught:
        open_stored(tmp_path, "sub/" + name)
    assert "\0" not in str(caught.value)  # one printable line


# ---- 2. the suffixes of data tables --------------------------------------------------------

def test_every_table_the_analyses_read_is_published_as_it_is():
    from svt_records.analysis.ivfile import TABLE_SUFFIXES
    from svt_records.site.stored import PASSIVE_SUFFIXES
    assert set(TABLE_SUFFIXES) <= set(PASSIVE_SUFFIXES)
    assert len(PASSIVE_SUFFIXES) == len(set(PASSIVE_SUFFIXES))  # each suffix written once


# ---- 3. analysis defaults, the placeholder-settings rule, analysis versions ---------------

def test_svt_init_writes_the_analyses_own_defaults():
    from svt_records.analysis.testtypes import ANALYSIS_SETTINGS, DEFAULT_TEST_TYPES
    for spec in DEFAULT_TEST_TYPES.values():
        written = dict(spec["analysis"])
        settings = ANALYSIS_SETTINGS[written.pop("name")]
        assert set(written) <= set(settings)
        for key, default in settings.items():
            if default is not None:
                assert written[key] == default, key


def test_the_analyses_default_to_their_declared_versions():
    from svt_records.analysis import iv_noise
    from svt_records.analysis.testtypes import ANALYSIS_VERSIONS
    for name, function in (("iv", iv_noise.iv_analysis), ("noise", iv_noise.noise_analysis)):
        assert inspect.signature(function).parameters["version"].default == \
            ANALYSIS_VERSIONS[name]


def test_judge_and_rests_on_placeholders_agree_on_placeholder_settings():

    from svt_records.analysis.testtypes import (DEFAULT_TEST_TYPES, definitions, judge,
                                                placeholder_settings, rests_on_placeholders)
    defined = definitions({"test_types": DEFAULT_TEST_TYPES})
    iv = defined["iv_curve"]
    assert placeholder_settings(iv, "breakdown_voltage") == [
        "analysis.breakdown_factor", "analysis.breakdown_step", "analysis.compliance"]
    assert placeholder_settings(iv, "noise_mean") == []
    # a measurement without a placeholder limit, derived from placeholder settings
    settled = iv._replace(placeholders=("analysis.operating_voltage",))
    measures = {"leakage_at_operating_voltage": {"value": 1e-9, "unit": "A"}}
    verdict = judge(settled, "module", measures, derived=measures)
    assert verdict.unsettled == ("leakage_at_operating_voltage (analysis.operating_voltage)",)
    assert rests_on_placeholders(settled, "module", {
        "measurements": measures, "analysis": {"values": list(measures)}})
    assert not rests_on_placeholders(settled, "module", {"measurements": measures})


# ---- 4. an SVG is read once by validate ----------------------------------------------------

SVG_ACTIVE = b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'


def test_validate_reads_a_stored_svg_once_and_still_warns(db, tmp_path, svt, monkeypatch):
    (tmp_path / "evil.svg").write_bytes(SVG_ACTIVE)
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    event = db.attach("MOD-1", [str(tmp_path / "evil.svg")], date="2025-01-10T10:00")
    stored = db.load(event)["files"][0]["path"]
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, *args, **kwargs):
        if str(file).endswith(stored):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path, *args, **kwargs):
        if str(path).endswith(stored):
            opened.append(str(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    result = svt("validate", ok=False)
    monkeypatch.undo()
    out = result.stdout + result.stderr
    assert any(stored in line and "<script>" in line and "warning" in line
               for line in out.splitlines()), out
    assert len(opened) == 1, opened
