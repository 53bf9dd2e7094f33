"""Each rule across records on its own: a small store in memory that breaks that rule alone,
the problem it reports (file, field, message, severity), and silence from every other rule.
tests/rules/test_validate.py runs the same rules through `svt validate` on a real store."""
from __future__ import annotations

import pytest

from svt_records.rules.crosschecks import RULES, UNREADABLE, Record, cross_checks


def comp(cid: str, ctype: str = "module", **fields) -> Record:
    data = {"id": cid, "type": ctype, **fields}
    # line n+1 for the n-th field; column: where its value starts
    marks = {(key,): (n + 1, len(key) + 3) for n, key in enumerate(data)}
    return Record(f"records/{ctype}/{cid}/component.yaml", data, "component", marks)


def install(cid: str, position: str, ctype: str = "module", day: int = 12, **fields) -> Record:
    data = {"kind": "install", "date": f"2025-01-{day:02d}T10:00:00+00:00",
            "position": position, **fields}
    return Record(f"records/{ctype}/{cid}/2025/202501{day:02d}_100000_install.yaml", data,
                  "install", {})


def remove(cid: str, ctype: str = "module", day: int = 13, **fields) -> Record:
    data = {"kind": "remove", "date": f"2025-01-{day:02d}T10:00:00+00:00", **fields}
    return Record(f"records/{ctype}/{cid}/2025/202501{day:02d}_100000_remove.yaml", data,
                  "remove", {})


def move(cid: str, to: str, day: int, ctype: str = "module") -> Record:
    data = {"kind": "move", "date": f"2025-01-{day:02d}T10:00:00+00:00", "to": to}
    return Record(f"records/{ctype}/{cid}/2025/202501{day:02d}_100000_move.yaml", data,
                  "move", {})


def note(cid: str, ctype: str = "module", files: tuple[str, ...] = ()) -> Record:
    data = {"kind": "log", "date": "2025-01-11T10:00:00+00:00",
            "files": [{"path": f} for f in files]}
    return Record(f"records/{ctype}/{cid}/2025/20250111_100000_log.yaml", data, "log", {})


MOD = "records/module/M-1/component.yaml"
STRAY = "records/module/M-1/2025/stray.png"
# rule name: (records, other files, [(path, field, message part, severity)])
CASES = {
    "one-record-per-id": (
        [comp("N-1", "sensor"), comp("N-1", "hybrid")], [],
        [("records/hybrid/N-1/component.yaml", "id",
          "id N-1 is also used by records/sensor/N-1/component.yaml", "error"),
         ("records/sensor/N-1/component.yaml", "id",
          "id N-1 is also used by records/hybrid/N-1/component.yaml", "error")]),
    "ids-differ-beyond-case": (
        [comp("FEB-1", "feb"), comp("feb-1", "feb")], [],
        [("records/feb/feb-1/component.yaml", "id", "id feb-1 collides with FEB-1", "error")]),
    "stored-files-are-listed": (
        [comp("M-1"), note("M-1", files=("plot.png",))],
        ["records/module/M-1/2025/plot.png", STRAY, "records/README.md"],
        [(STRAY, None, "no record lists this file", "error")]),
    "events-have-a-component": (
        [comp("M-1"), note("M-2"), install("M-2", "L1"), note("M-1", "sensor")], [],
        [("records/module/M-2/2025/20250111_100000_log.yaml", None,
          "there is no component M-2", "error"),
         ("records/sensor/M-1/2025/20250111_100000_log.yaml", None,
          "records/sensor/M-1/ holds events of M-1, whose record is"
          " records/module/M-1/component.yaml", "error")]),
    "one-part-per-record": (  # two parts added as S-1 in two clones, merged into one record
        [comp("S-1", "sensor", created="2025-01-01T10:00:00+00:00"),
         Record("records/sensor/S-1/2025/20250111_100000_log_aaaaaa.yaml",
                {"kind": "log", "component_created": "2025-01-01T10:00:00+00:00"}, "log", {}),
         Record("records/sensor/S-1/2025/20250111_100000_log_bbbbbb.yaml",
                {"kind": "log", "component_created": "2025-01-02T10:00:00Z"}, "log", {})], [],
        [("records/sensor/S-1/2025/20250111_100000_log_bbbbbb.yaml", "component_created",
          "svt move-events S-1 S-1-2 --created 2025-01-02T10:00:00+00:00", "error")]),
    "position-matches-history": (
        [comp("M-1", position="L2", run_period="r"), install("M-1", "L1", run_period="r"),
         comp("M-2", position="L3"), install("M-2", "L3"), remove("M-2"),
         comp("M-3", position="L4", run_period="a"), install("M-3", "L4", run_period="b")], [],
        [(MOD, "position", "installs it at L1, but position here is L2", "error"),
         ("records/module/M-2/component.yaml", "position",
          "position is L3 but its history ends with a removal", "error"),
         ("records/module/M-3/component.yaml", "run_period",
          "run_period here is 'a' but the latest install says 'b'", "error")]),
    "installs-are-removed-between": (
        [comp("M-1", position="L2"), install("M-1", "L1", day=12), install("M-1", "L2", day=14),
         comp("M-2"), install("M-2", "L3", day=12), remove("M-2", day=13),
         install("M-2", "L3", day=14), remove("M-2", day=15)], [],
        [("records/module/M-1/2025/20250114_100000_install.yaml", "position",
          "installs M-1 at L2, but it is still installed at L1 by 20250112_100000_install.yaml,"
          " with no removal between", "error")]),
    "removals-follow-installs": (
        [comp("M-1"), install("M-1", "L1", day=12), remove("M-1", day=13, position="L1"),
         remove("M-1", day=14, position="L1"), comp("M-2"), remove("M-2", day=13, position="L3")], [],
        [("records/module/M-1/2025/20250114_100000_remove.yaml", "position",
          "no install since the removal in 20250113_100000_remove.yaml before it", "error"),
         ("records/module/M-2/2025/20250113_100000_remove.yaml", "position",
          "removes M-2 from L3, but there is no install before it", "error")]),
    "location-matches-history": (
        [comp("M-1", location="CERN"), move("M-1", "CERN", 12), install("M-1", "L1", day=13),
         remove("M-1", day=14, location="SLAC"),
         comp("M-2", location="JLab"), move("M-2", "SLAC", 10), move("M-2", "JLab", 11),
         install("M-2", "L2", day=12),
         remove("M-2", day=13, position="L2"),  # names no place: the move still says where
         comp("M-3", location="SLAC"), comp("M-4", location="SLAC"), move("M-4", "CERN", 12)],
        [],
        [(MOD, "location", "location here is CERN, but the latest event that sets it"
                           " (20250114_100000_remove.yaml) says SLAC", "error"),
         ("records/module/M-4/component.yaml", "location", "location here is SLAC, but the"
          " latest event that sets it (20250112_100000_move.yaml) says CERN", "error")]),
    "installed-has-a-position": (
        [comp("M-1", status="installed")], [],
        [(MOD, "status", "status is installed but there is no position", "warning")]),
    "retired-is-not-installed": (
        [comp("M-1", status="retired", position="L1"), install("M-1", "L1")], [],
        [(MOD, "status", "status is retired but it is installed at L1", "warning")]),
    "parts-are-on-their-module": (
        [comp("M-1", sensor="S-1", hybrid="H-1"), comp("S-1", "sensor"),
         comp("H-1", "sensor"), comp("M-2", sensor="S-9")], [],
        [(MOD, "sensor", "sensor S-1 says it is on no module; set module: M-1", "error"),
         (MOD, "hybrid", "hybrid H-1 is a sensor, not a hybrid", "error"),
         ("records/module/M-2/component.yaml", "sensor", "sensor S-9 does not exist", "error")]),
    "module-lists-its-parts": (
        [comp("M-1"), comp("S-1", "sensor", module="M-1"), comp("S-2", "sensor", module="M-9")],
        [],
        [("records/sensor/S-1/component.yaml", "module",
          "module M-1 does not list this sensor: set sensor: S-1 there", "error"),
         ("records/sensor/S-2/component.yaml", "module", "module M-9 does not exist", "error")]),
    "connections-are-mutual": (
        [comp("M-1", connections=[{"to": "F-1", "type": "signal"}, {"to": "F-9", "type": "hv"}]),
         comp("F-1", "feb", connections=[{"to": "M-1", "type": "power"}])], [],
        [(MOD, "connections", "F-1 does not list its signal connection to M-1", "error"),
         (MOD, "connections", "connection to F-9, which does not exist", "error"),
         ("records/feb/F-1/component.yaml", "connections",
          "M-1 does not list its power connection to F-1", "error")]),
    "connection-cables-exist": (
        [comp("M-1", connections=[{"to": "F-1", "type": "signal", "cable": "C-9"}]),
         comp("F-1", "feb", connections=[{"to": "M-1", "type": "signal"}])], [],
        [(MOD, "connections", "cable C-9 does not exist", "error")]),
    "one-component-per-position": (
        [comp("F-1", "feb", position="P"), install("F-1", "P", "feb"),
         comp("F-2", "feb", position="P"), install("F-2", "P", "feb")], [],
        [("records/feb/F-1/component.yaml", "position", "position P also holds F-2", "error"),
         ("records/feb/F-2/component.yaml", "position", "position P also holds F-1", "error")]),
}


def test_rule_names_are_unique_and_each_has_a_case():
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    assert set(CASES) == set(names)


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_each_rule_reports_its_problem_and_no_other_rule_does(rule):
    records, others, expected = CASES[rule.name]
    found = cross_checks(records, others, rules=[rule])
    by_path = {rec.path: rec for rec in records}
    assert len(found) == len(expected), found
    for path, field, message, severity in expected:
        line = by_path[path].at(field) if field else (1, 1)
        matches = [p for p in found if p.path == path and message in p.message]
        assert matches, (path, message, found)
        assert (matches[0].line, matches[0].column) == line
        assert matches[0].severity == severity
        assert matches[0].rule == rule.category
    assert cross_checks(records, others, rules=[r for r in RULES if r is not rule]) == []
    assert sorted(cross_checks(records, others)) == sorted(found)


def test_a_problem_is_reported_when_it_concerns_a_component_in_focus():
    """A one-sided connection concerns both ends: checking either reports it, in the file
    that holds the connection; a stored file concerns its own component only."""
    records, others, _ = CASES["connections-are-mutual"]
    about_f1 = {p.path for p in cross_checks(records, others, focus={"F-1"})}
    assert about_f1 == {MOD, "records/feb/F-1/component.yaml"}
    assert cross_checks(records, others, focus={"X-1"}) == []
    records, others, _ = CASES["stored-files-are-listed"]
    assert [p.path for p in cross_checks(records, others, focus={"M-1"})] == [STRAY]
    assert cross_checks(records, others, focus={"M-2"}) == []


def test_partners_that_did_not_load_are_not_judged():
    """An unreadable partner (its own check says what is wrong) is neither missing nor
    one-sided; the component that did not load is not checked itself."""
    broken = {"F-1": Record("records/feb/F-1/component.yaml", {"id": "F-1", UNREADABLE: True},
                            "component", {}),
              "S-1": Record("records/sensor/S-1/component.yaml", {"id": "S-1", UNREADABLE: True},
                            "component", {})}
    records = [comp("M-1", sensor="S-1", connections=[{"to": "F-1", "type": "signal",
                                                        "cable": "C-9"}]),
               comp("H-1", "hybrid", module="S-1")]
    assert cross_checks(records, [], broken) == []


def test_a_line_is_looked_up_only_for_problems_in_focus(tmp_path):
    """Components known from the index carry no line marks; reading their files to place a
    problem nobody will see would cost a file read per component."""
    outside = Record("records/feb/F-1/component.yaml",
                     {"id": "F-1", "type": "feb", "status": "installed"}, "component", None,
                     str(tmp_path / "no-such-store"))
    assert cross_checks([comp("M-1")], [], {"F-1": outside}, focus={"M-1"}) == []
    assert outside.marks is None
    problem, = cross_checks([comp("M-1")], [], {"F-1": outside})
    assert (problem.line, problem.column) == (1, 1) and outside.marks == {}
