"""merge.merge_records, the pure three-way merge of records, on generated records."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from svt_records.collab.merge import Conflict, field_value, merge_records, with_markers

FIELDS = ("status", "location", "position", "notes", "serial_number")
values = st.sampled_from(["spare", "failed", "SLAC", "JLab", "L1", "a note", None])
links = st.lists(st.fixed_dictionaries({"to": st.sampled_from(["F1", "F2", "F3"]),
                                         "type": st.sampled_from(["signal", "power"])},
                                        optional={"cable": st.sampled_from(["C1", "C2"])}),
                 max_size=4, unique_by=lambda l: (l["to"], l["type"]))


@st.composite
def records(draw) -> dict:
    rec = {"id": "M1", "type": "module"}
    for field in FIELDS:
        value = draw(values)
        if value is not None:
            rec[field] = value
    attributes = draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 3),
                                      max_size=3))
    if attributes:
        rec["attributes"] = attributes
    connections = draw(links)
    if connections:
        rec["connections"] = connections
    return rec


@st.composite
def edited(draw, base: dict, fields: tuple[str, ...]) -> dict:
    """``base`` with some of ``fields`` changed."""
    out = dict(base)
    for field in fields:
        if draw(st.booleans()):
            value = draw(values)
            if value is None:
                out.pop(field, None)
            else:
                out[field] = value
    return out


SETTINGS = settings(max_examples=150, deadline=None)


@SETTINGS
@given(records(), records())
def test_a_side_merged_with_itself_or_with_the_base_is_that_side(base, x):
    assert merge_records(base, x, x) == (x, [])
    assert merge_records(base, base, x) == (x, [])
    assert merge_records(base, x, base) == (x, [])


@SETTINGS
@given(st.data(), records(), st.sets(st.sampled_from(FIELDS)))
def test_changes_to_different_fields_are_never_lost(data, base, mine):
    theirs_fields = tuple(f for f in FIELDS if f not in mine)
    ours = data.draw(edited(base, tuple(mine)))
    theirs = data.draw(edited(base, theirs_fields))
    merged, conflicts = merge_records(base, ours, theirs)
    assert conflicts == []
    for field in FIELDS:
        side = ours if field in mine else theirs
        assert merged.get(field) == side.get(field)


@SETTINGS
@given(records(), st.sampled_from([f for f in FIELDS if f != "location"]), values, values)
def test_one_field_changed_differently_on_both_sides_is_the_only_conflict(base, field, o, t):
    ours, theirs = dict(base, location="moved"), dict(base)
    ours[field], theirs[field] = o or "x", t or "y"
    if ours[field] in (theirs[field], base.get(field)) or theirs[field] == base.get(field):
        return
    merged, conflicts = merge_records(base, ours, theirs)
    other, again = merge_records(base, ours, theirs, prefer="theirs")
    assert conflicts == again == [Conflict(field, base.get(field), ours[field], theirs[field])]
    assert merged[field] == ours[field] and other[field] == theirs[field]
    assert merged["location"] == other["location"] == "moved"


def test_connections_merge_as_a_set_by_to_and_type():
    base = {"connections": [{"to": "F1", "type": "signal"}]}
    ours = {"connections": [{"to": "F1", "type": "signal"}, {"to": "F2", "type": "signal"}]}
    theirs = {"connections": [{"to": "F3", "type": "power"}]}  # F1 removed, F3 added
    merged, conflicts = merge_records(base, ours, theirs)
    assert conflicts == []
    assert merged["connections"] == [{"to": "F2", "type": "signal"},
                                     {"to": "F3", "type": "power"}]
    cabled = {"connections": [{"to": "F1", "type": "signal", "cable": "C1"}]}
    recabled = {"connections": [{"to": "F1", "type": "signal", "cable": "C2"}]}
    _, conflicts = merge_records(base, cabled, recabled)
    assert [c.field for c in conflicts] == ["connections[F1 signal].cable"]


def test_attributes_merge_key_by_key():
    base = {"attributes": {"a": 1, "b": 1}}
    merged, conflicts = merge_records(base, {"attributes": {"a": 2, "b": 1}},
                                      {"attributes": {"a": 1, "b": 3, "c": 4}})
    assert conflicts == [] and merged["attributes"] == {"a": 2, "b": 3, "c": 4}
    _, conflicts = merge_records(base, {"attributes": {"a": 2}}, {"attributes": {"a": 5}})
    assert [c.field for c in conflicts] == ["attributes.a"]


def test_markers_surround_only_the_lines_that_differ():
    text = with_markers("id: M1\nstatus: failed\nlocation: x\n",
                        "id: M1\nstatus: spare\nlocation: x\n", "ours (abc)", "theirs (def)")
    assert text == ("id: M1\n<<<<<<< ours (abc)\nstatus: failed\n=======\nstatus: spare\n"
                    ">>>>>>> theirs (def)\nlocation: x\n")


@settings(max_examples=300, deadline=None)
@given(records(), records(), records())
def test_each_conflict_names_a_field_whose_values_are_its_sides(base, ours, theirs):
    """field_value reads a conflict's field by its name, the rule that `svt resolve` (the
    values a rebase drops) and the merge driver (who changed a field) both use: on each side
    it finds exactly the value the conflict holds, and in the merged record the side chosen."""
    for prefer in ("ours", "theirs"):
        merged, conflicts = merge_records(base, ours, theirs, prefer)
        for c in conflicts:
            assert field_value(base, c.field) == c.base, c
            assert field_value(ours, c.field) == c.ours, c
            assert field_value(theirs, c.field) == c.theirs, c
            assert field_value(merged, c.field) == (c.ours if prefer == "ours" else c.theirs)


def test_a_link_key_conflict_is_read_from_that_link():
    base = {"connections": [{"to": "F1", "type": "signal", "cable": "C0"}]}
    theirs = {"connections": [{"to": "F2", "type": "power"},
                              {"to": "F1", "type": "signal", "cable": "C2"}]}
    assert field_value(theirs, "connections[F1 signal].cable") == "C2"
    assert field_value(theirs, "connections[F2 power]") == {"to": "F2", "type": "power"}
    assert field_value(base, "connections[F2 power].cable") is None
    assert field_value(base, "connections[F1 signal") is None
