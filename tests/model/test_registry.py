"""One registry: enumerations read from each store's schemas, event kinds declared once."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from svt_records import Database, model
from svt_records.model import registry
from svt_records.files import schema, yamlio
from svt_records.store import base as store

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = registry.package_schema_dir()


def _only_event(store_path, kind):
    found = [p for p in (store_path / "records").rglob(f"*_{kind}*.yaml")]
    assert len(found) == 1, found
    return yamlio.load_file(found[0]).data


def test_log_type_defaults_to_note_on_the_command_line(store_path, svt):
    svt("add", "--id", "M1", "--type", "module")
    svt("log", "M1", "Noise looks fine")
    assert _only_event(store_path, "log")["log_type"] == "note"
    assert "[default: note]" in svt("log", "--help").output


def test_log_type_defaults_to_note_in_the_library(store_path, db):
    db.save_component("M1", {"type": "module"})
    db.add_log("M1", "Noise looks fine")
    assert _only_event(store_path, "log")["log_type"] == "note"


# ---- event kinds: declared once, everything else derived ------------------------------


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", list(registry.EVENT_KINDS.values()), ids=lambda k: k.name)
def test_each_event_kind_has_its_schema_keys_section_and_renderers(kind):
    doc = _schema(kind.schema)
    const = doc["properties"]["kind"]
    assert kind.name in const.get("enum", [const.get("const")])
    assert set(doc["required"]) >= {"kind", "date", "component"}
    own = [k for k in doc["properties"] if k not in registry.COMMON_EVENT_KEYS]
    assert set(kind.keys) == set(own), "the declaration's keys are its schema's"
    assert set(kind.keys) <= set(store.EVENT_KEYS), "every key has its place in the key order"
    assert set(kind.changes) <= set(_schema("component")["properties"])
    section = next(s for s in registry.SECTIONS if s.key == kind.section)
    assert kind.show is not None or section.show_current is not None
    assert callable(kind.review)
    assert schema.SCHEMA_OF_KIND[kind.name] == kind.schema
    assert kind.word is None or re.fullmatch(r"[a-z]+", kind.word)


def test_every_record_schema_belongs_to_a_declared_kind():
    names = {p.name[:-len(".schema.json")] for p in SCHEMAS.glob("*.schema.json")}
    assert names == set(schema.SCHEMA_NAMES)
    for name in names - {"defs", *registry.OTHER_SCHEMAS.values()}:
        const = _schema(name)["properties"]["kind"]
        for value in const.get("enum", [const.get("const")]):
            assert registry.EVENT_KINDS[value].schema == name
    assert model.EVENT_KINDS == tuple(registry.EVENT_KINDS)
    assert {s.key for s in registry.SECTIONS} == {k.section for k in registry.EVENT_KINDS.values()}
    assert sorted(s.place for s in registry.SECTIONS) == list(range(len(registry.SECTIONS)))


def test_show_and_describe_hold_every_kind_in_its_section(db, svt, png):
    svt("add", "--id", "M1", "--type", "module")
    svt("add", "--id", "S1", "--type", "sensor")
    svt("add", "--id", "C1", "--type", "cable")
    steps = [
        ("test", ("test", "M1", "--type", "iv_curve", "--pass", "--measure", "leakage=2uA")),
        ("install", ("install", "M1", "Layer1_top_axial")),
        ("remove", ("remove", "M1", "--reason", "swap", "--location", "Store")),
        ("assembly", ("assemble", "M1", "--sensor", "S1")),
        ("disassembly", ("disassemble", "M1")),
        ("log", ("log", "M1", "Noise rising")),
        ("comment", ("comment", "M1", "Looks fine")),
        ("move", ("location", "M1", "Clean Room")),
        ("connect", ("connect", "M1", "C1")),
        ("disconnect", ("disconnect", "M1", "C1")),
        ("attachment", ("attach", "M1", str(png))),
    ]
    assert {kind for kind, _ in steps} == set(registry.EVENT_KINDS)
    for kind, args in steps:  # each command changes only the fields its kind declares
        before = {c: db.get_component(c) for c in ("M1", "S1", "C1")}
        svt(*args)
        for c, old in before.items():
            new = db.get_component(c)
            changed = {k for k in {*old, *new} if old.get(k) != new.get(k)}
            assert changed <= set(registry.EVENT_KINDS[kind].changes), (kind, c, changed)
    info = db.describe("M1")
    for name, kind in registry.EVENT_KINDS.items():
        assert [e["kind"] for e in info[kind.section]].count(name) == 1, name
    text = svt("show", "M1").output
    for section in registry.SECTIONS:
        assert f"\n{section.title}" in text
    assert "iv_curve  PASS  leakage=2.00 \u00b5A" in text and "[note/info] Noise rising" in text


# ---- enumerations: the store's schemas say, svt's are the defaults ---------------------

def _reference_list(title: str) -> list[str]:
    values = (ROOT / "docs" / "reference" / "values.md").read_text(encoding="utf-8")
    section = values.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- `([^`]+)` - ", section, flags=re.M)


def test_the_reference_lists_the_default_enumerations():
    defaults = registry.defaults()
    assert tuple(_reference_list("Component types")) == defaults.component_types
    assert tuple(_reference_list("Status values")) == defaults.statuses


def test_default_enumerations_are_the_package_schemas():
    defs = _schema("defs")["$defs"]
    defaults = registry.defaults()
    assert defaults.component_types == tuple(defs["component_type"]["enum"])
    assert defaults.statuses == tuple(defs["status"]["enum"])
    assert defaults.file_kinds == tuple(defs["stored_file"]["properties"]["kind"]["enum"])
    log = _schema("log")["properties"]
    assert defaults.log_types == tuple(log["log_type"]["enum"])
    assert defaults.severities == tuple(log["severity"]["enum"])
    assert model.STATUSES == defaults.statuses and model.COMPONENT_TYPES == defaults.component_types


def _add_choice(store_path, gitcmd, enum, value):
    path = store_path / "schemas" / "defs.schema.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["$defs"][enum]["enum"].append(value)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    gitcmd(store_path, "commit", "-qam", f"schemas: add the {enum} {value}")


def test_a_store_may_add_a_status_and_only_that_store_takes_it(tmp_path, store_path, svt,
                                                               gitcmd):
    _add_choice(store_path, gitcmd, "status", "irradiated")
    svt("add", "--id", "S1", "--type", "sensor", "--status", "irradiated")
    svt("add", "--id", "S2", "--type", "sensor")
    listing = svt("list", "--status", "irradiated").output
    assert "S1" in listing and "S2" not in listing
    assert "irradiated" in svt("add", "--help").output
    assert svt("validate").exit_code == 0
    Database(store_path).save_component("S2", {"status": "irradiated"})

    other = tmp_path / "other"
    Database(other).initialize_schema()
    refused = svt("--repo", str(other), "add", "--id", "S1", "--type", "sensor",
                  "--status", "irradiated", ok=False)
    assert refused.exit_code == 2 and "'irradiated' is not one of" in refused.stderr
    assert svt("--repo", str(other), "list", "--status", "irradiated", ok=False).exit_code == 2
    with pytest.raises(Exception, match="unknown status 'irradiated'"):
        Database(other).save_component("S1", {"type": "sensor", "status": "irradiated"})


def test_help_outside_a_store_shows_the_default_choices(tmp_path, svt, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no store here, and none in HOME
    text = svt("list", "--help").output
    assert "flange_board" in text and "degraded" in text and "irradiated" not in text


def test_enumerations_follow_an_edited_schema(tmp_path):
    folder = tmp_path / "schemas"
    folder.mkdir()
    for p in SCHEMAS.glob("*.schema.json"):
        (folder / p.name).write_bytes(p.read_bytes())
    assert "irradiated" not in registry.enumerations(folder).statuses
    doc = json.loads((folder / "defs.schema.json").read_text())
    doc["$defs"]["status"]["enum"].append("irradiated")
    (folder / "defs.schema.json").write_text(json.dumps(doc))
    assert registry.enumerations(folder).statuses[-1] == "irradiated"


def test_a_schema_without_choices_takes_the_defaults_and_a_broken_one_is_refused(tmp_path):
    from svt_records.model.errors import SvtError
    folder = tmp_path / "schemas"
    folder.mkdir()
    for p in SCHEMAS.glob("*.schema.json"):
        (folder / p.name).write_bytes(p.read_bytes())
    log = json.loads((folder / "log.schema.json").read_text())
    del log["properties"]["severity"]["enum"]
    (folder / "log.schema.json").write_text(json.dumps(log))
    assert registry.enumerations(folder).severities == registry.defaults().severities
    log["properties"]["severity"]["enum"] = "info"
    (folder / "log.schema.json").write_text(json.dumps(log, indent=1))
    with pytest.raises(SvtError, match="properties.severity has no list of text choices"):
        registry.enumerations(folder)


def test_listing_imports_no_jsonschema(store_path):
    code = ("import sys; from svt_records.cli import main; rc = main(['list']);"
            " print(rc, 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split()[-2:] == ["0", "False"]


def test_a_store_may_add_a_component_type(store_path, svt, gitcmd):
    _add_choice(store_path, gitcmd, "component_type", "telescope")
    svt("add", "--id", "T1", "--type", "telescope", "--location", "Hall B")
    svt("location", "T1", "Clean Room")
    assert "T1  (telescope)" in svt("show", "T1").output
    assert "T1" in svt("list", "--type", "telescope").output
    assert svt("validate").exit_code == 0, svt("validate", ok=False).output


def test_positions_of_modules_and_febs_are_refused_in_svt_yaml(tmp_path):
    from svt_records.files import schema as schemas
    for ctype in ("module", "feb"):
        [(_, message)] = schemas.check({"schema_version": 1, "positions": {ctype: "x"}},
                                       "config")
        assert "fixed position names" in message
    assert schemas.check({"schema_version": 1, "positions": {"cable": "C.*"}}, "config") == []


def test_a_value_reads_as_its_yaml_does():
    """`svt show` and the site print a field's value so: a measurement with its unit, any
    other mapping as YAML writes it on one line (not "None"), booleans as true and false."""
    assert registry.format_value({"value": 3.5, "unit": "V"}) == "3.5 V"
    assert registry.format_value({"min": 1, "max": 2}) == "{min: 1, max: 2}"
    assert registry.format_value([47, {"bonded": True}]) == "[47, {bonded: true}]"
    assert registry.format_value(0.32051) == "0.32051"
