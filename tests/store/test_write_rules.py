"""One rule, one answer: the Python API, `svt add` and `svt add --from-csv` write components
through one function, so each bad input gets the same error (class, exit code and text) on
every path. The legacy importer applies the same rules to the original tracker's data."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.exchange.bulk import add_from_csv
from svt_records.model.errors import InvalidInput, RuleViolation, SvtError

# A component's write: (id, fields, attributes). The CSV path writes the same as columns.
NEW = {"type": "module"}


def through_api(db: Database, cid: str, fields: dict, attributes: dict) -> SvtError:
    with pytest.raises(SvtError) as caught:
        db.save_component(cid, fields, attributes=attributes)
    return caught.value


def through_csv_library(db: Database, sheet: Path) -> SvtError:
    with pytest.raises(SvtError) as caught:
        add_from_csv(db, sheet)
    return caught.value


def sheet_for(tmp_path: Path, cid: str, fields: dict, attributes: dict) -> Path:
    columns = {"id": cid, **fields, **{k: str(v) for k, v in attributes.items()}}
    sheet = tmp_path / "parts.csv"
    sheet.write_text(",".join(columns) + "\n" + ",".join(columns.values()) + "\n",
                     encoding="utf-8")
    return sheet


def cli_args(cid: str, fields: dict, attributes: dict) -> list[str]:
    args = ["add", "--id", cid]
    for key, value in fields.items():
        args += [f"--{key}", value]
    for key, value in attributes.items():
        args += ["--attr", f"{key}={value}"]
    return args


def same_everywhere(db, svt, tmp_path, cid, fields, attributes) -> tuple[type, str]:
    """The error of the API, the CSV path and the CLI (in-process) for one write; they must
    agree. Returns (class, message)."""
    api = through_api(db, cid, fields, attributes)
    sheet = sheet_for(tmp_path, cid, fields, attributes)
    csv = through_csv_library(db, sheet)
    assert type(csv) is type(api)
    assert str(csv) == f"{sheet}, line 2: {api}; nothing was written"
    by_hand = svt(*cli_args(cid, fields, attributes), ok=False)
    assert by_hand.exit_code == api.exit_code
    assert by_hand.stderr.strip() == f"Error: {api}"
    from_file = svt("add", "--from-csv", str(sheet), ok=False)
    assert from_file.exit_code == api.exit_code
    assert from_file.stderr.strip() == f"Error: {csv}"
    return type(api), str(api)


BAD_ATTRIBUTE_NAMES = ["\u00b2", "\u00e9", "x\u00b2", "1abc", "_x", "-x", "a" * 65, "a" * 70,
                       "a.b", "a b", "a/b"]


@pytest.mark.parametrize("name", BAD_ATTRIBUTE_NAMES)
def test_a_bad_attribute_name_gets_one_error_on_every_path(db, svt, tmp_path, name):
    cls, message = same_everywhere(db, svt, tmp_path, "M-1", NEW, {name: 1})
    assert cls is InvalidInput
    assert message.startswith(f"attribute name {name!r} is not usable: ")
    assert db.get_component("M-1") is None


@pytest.mark.parametrize("name", ["a", "Vbias", "channel_count", "HV-set", "x2", "a" * 64])
def test_a_good_attribute_name_is_kept_as_typed_on_every_path(db, svt, tmp_path, name):
    db.save_component("API-1", NEW, attributes={name: 1})
    svt("add", "--id", "CLI-1", "--type", "module", "--attr", f"{name}=1")
    svt("add", "--from-csv", str(sheet_for(tmp_path, "CSV-1", NEW, {name: 1})))
    for cid in ("API-1", "CLI-1", "CSV-1"):
        assert db.get_component(cid)["attributes"] == {name: 1}


def test_an_existing_component_refuses_a_bad_attribute_name_on_every_path(db, svt, tmp_path):
    db.save_component("M-1", NEW)
    cls, message = same_everywhere(db, svt, tmp_path, "M-1", {}, {"x\u00b2": 2})
    assert cls is InvalidInput and "attributes" not in db.get_component("M-1")


def existing(db: Database) -> None:
    db.save_component("abc-1", {"type": "sensor"})


# (what, set up the store, id, fields, attributes, the error's class, a part of its text).
# Types and statuses are checked by one function each (model.check_type, check_status) on
# every path; the CLI refuses them earlier, as click choices.
COMPONENT_RULES = [
    ("case collision", existing, "ABC-1", {"type": "sensor"}, {}, RuleViolation,
     "differs from the existing 'abc-1' only in case"),
    ("case collision, another type", existing, "Abc-1", NEW, {}, RuleViolation,
     "differs from the existing 'abc-1' only in case"),
    ("new without a type", None, "M-1", {"status": "spare"}, {}, InvalidInput,
     "M-1 is a new component: give its --type"),
    ("type change", existing, "abc-1", NEW, {}, RuleViolation,
     "abc-1 is a sensor; its type cannot change"),
    ("control character", None, "M-1", dict(NEW, location="Clean\x07Room"), {}, InvalidInput,
     "text contains control characters"),
]


@pytest.mark.parametrize("what, setup, cid, fields, attributes, cls, text", COMPONENT_RULES,
                         ids=[rule[0] for rule in COMPONENT_RULES])
def test_a_component_rule_gets_one_error_on_every_path(db, svt, tmp_path, what, setup, cid,
                                                       fields, attributes, cls, text):
    if setup:
        setup(db)
    got, message = same_everywhere(db, svt, tmp_path, cid, fields, attributes)
    assert got is cls and text in message


# ---- the legacy importer applies the same rules ------------------------------------------

def legacy_with(folder: Path, components: list[tuple[str, str, str | None]]) -> Path:
    """An original tracker's database holding components (id, type, attributes_json)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "svt_components.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE components (id TEXT PRIMARY KEY, type TEXT,"
                " installation_status TEXT, attributes_json TEXT, created_at TEXT)")
    con.executemany("INSERT INTO components VALUES (?, ?, 'spare', ?, '2024-01-01 08:00:00')",
                    components)
    con.commit()
    con.close()
    return path


def test_the_importer_refuses_an_id_that_differs_only_in_case(db, svt, tmp_path):
    existing(db)
    legacy = legacy_with(tmp_path / "legacy", [("ABC-1", "sensor", None), ("m-2", "module", None),
                                               ("M-2", "module", None)])
    out = svt("import-sqlite", str(legacy)).stdout
    api = through_api(db, "ABC-1", {"type": "sensor"}, {})
    assert f"component 'ABC-1': {api}" in out
    assert "component 'M-2': id 'M-2' differs from the existing 'm-2' only in case" in out
    assert db.get_component("ABC-1") is None and db.get_component("M-2") is None
    assert db.get_component("m-2")["type"] == "module"


def test_the_importer_lists_an_attribute_name_svt_would_refuse(db, svt, tmp_path):
    legacy = legacy_with(tmp_path / "legacy", [
        ("M-1", "module", '{"x\\u00b2": 2, "channel_count": 512}')])
    out = svt("import-sqlite", str(legacy)).stdout
    api = through_api(db, "M-2", NEW, {"x\u00b2": 2})
    problems = out.split("Problems", 1)[1]
    assert str(api) in problems and "records/module/M-1/component.yaml" in problems
    # imported as it was, like the other data the original accepted and svt's rules refuse
    assert db.get_component("M-1")["attributes"] == {"x\u00b2": 2, "channel_count": 512}


# ---- the shape of the Database API -------------------------------------------------------

# Every public method is keyword-only past its ids (history, describe and load too, since
# the registry and the index split landed); a method may be named here only with a reason.
NOT_YET: set[str] = set()


def test_every_optional_argument_of_the_database_api_is_keyword_only():
    import inspect
    loose = []
    for name in dir(Database):
        method = getattr(Database, name)
        if name.startswith("_") or name in NOT_YET or not inspect.isfunction(method):
            continue
        for param in inspect.signature(method).parameters.values():
            if (param.default is not param.empty
                    and param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD):
                loose.append(f"{name}({param.name})")
    assert loose == []


def test_changes_made_under_one_held_lock_each_replace_what_they_read(db):
    # a script may hold the lock across several changes; each compares before replacing
    # against its own read, not against what an earlier change of the same lock read
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.save_component("FEB-1", {"type": "feb"})
    with db.locked():
        db.install("M-1", "Layer0_top_axial")
        db.connect("M-1", "FEB-1")
        db.remove("M-1", reason="rework")
        db.save_component("M-1", {"location": "Clean Room"})
    record = db.get_component("M-1")
    assert record["status"] == "spare" and record["location"] == "Clean Room"
    assert record["connections"][0]["to"] == "FEB-1"


@pytest.mark.parametrize("column", ["notes", "setup", "conditions", "tested_by"])
def test_a_control_character_in_a_test_result_gets_one_error_on_every_path(db, svt, tmp_path,
                                                                           column):
    db.save_component("M-1", NEW)
    option = {"notes": "notes", "setup": "setup", "conditions": "conditions",
              "tested_by": "tested_by"}[column]
    with pytest.raises(SvtError) as caught:
        db.record_test("M-1", "iv_curve", passed=True, **{option: "a\x07b"})
    api = caught.value
    sheet = tmp_path / "iv.csv"
    sheet.write_text(f"component,type,result,{column}\nM-1,iv_curve,pass,a\x07b\n")
    from_file = svt("test", "--from-csv", str(sheet), ok=False)
    assert from_file.exit_code == api.exit_code
    assert from_file.stderr.strip() == f"Error: {sheet}, line 2: {api}; nothing was written"
    assert db.tests("M-1") == []


@pytest.mark.parametrize("status", ["retired", "lost"])
def test_install_refuses_a_component_out_of_service(store_path, svt, gitcmd, status):
    """`svt install` and validate's retired-is-not-installed share model.OUT_OF_SERVICE."""
    svt("add", "--id", "M-9", "--type", "module", "--status", status)
    head = gitcmd(store_path, "rev-parse", "HEAD").strip()
    refused = svt("install", "M-9", "Layer1_top_axial", ok=False)
    assert refused.exit_code != 0
    assert refused.stderr.strip() == (f"Error: M-9 is {status}; set another status first"
                                      " (svt add --id M-9 --status spare)")
    assert gitcmd(store_path, "rev-parse", "HEAD").strip() == head
    assert Database(store_path).get_component("M-9")["status"] == status


@pytest.mark.parametrize("odd", ["", "\u0130X-1"])  # İ lower-cases to two characters
def test_namesakes_are_found_among_any_folder_names(db, odd):
    """The case rule's search over whole type folders: only exact matches but for case,
    next to longer, shorter and prefixed names (and names lower() lengthens)."""
    for cid in ("abc-1", "abc-10", "xabc-1", "ab"):
        db.save_component(cid, {"type": "sensor"})
    twin = db.root / "records" / "hybrid" / "ABC-1"  # as a merge of two clones can leave
    twin.mkdir(parents=True)
    (twin / "component.yaml").write_text("id: ABC-1\n")
    (db.root / "records" / "sensor" / "Abc-1" / "2024").mkdir(parents=True)  # no record
    if odd:
        (db.root / "records" / "sensor" / odd).mkdir()
        (db.root / "records" / "sensor" / odd / "component.yaml").write_text("id: x\n")
    assert sorted(db.namesakes("aBc-1")) == [("hybrid", "ABC-1"), ("sensor", "abc-1")]
    assert list(db.namesakes("abc-")) == []
    assert db.id_taken_ignoring_case("XABC-1") == "xabc-1"
    if odd:
        assert list(db.namesakes("i\u0307x-1")) == [("sensor", odd)]


def test_a_component_record_is_records_type_id_component_yaml_and_nothing_else():
    """The one rule collab/sync uses for every conflicting path (four spellings before)."""
    from svt_records.store.layout import record_of_component
    assert record_of_component("records/feb/FEB-001/component.yaml") == "FEB-001"
    for path in ("records/feb/FEB-001/2024/component.yaml", "records/feb/component.yaml",
                 "other/feb/FEB-001/component.yaml", "records/feb/FEB-001/component.yml",
                 "records/feb/FEB-001/x_component.yaml", "svt.yaml", ""):
        assert record_of_component(path) is None, path
