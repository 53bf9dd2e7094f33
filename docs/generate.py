"""Write the reference pages that are generated from the code, so that they cannot drift:

- docs/reference/commands.md: every command's `--help`, as click prints it;
- docs/reference/records.md: every record kind's fields, from svt's JSON Schemas.

Run `python docs/generate.py` after changing a command's options or a schema;
tests/test_docs.py fails while either page is stale.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference"
SCHEMAS = HERE.parent / "svt_records" / "schemas"
if not SCHEMAS.is_dir():  # the package's schemas are the repository's schemas/ folder
    SCHEMAS = HERE.parent / "schemas"

# record kinds in the order a reader meets them, with where their files live
RECORDS = (
    ("component", "records/<type>/<ID>/component.yaml"),
    ("test", "records/<type>/<ID>/<year>/<date>_<test type>_<id>.yaml"),
    ("install", "records/<type>/<ID>/<year>/<date>_install_<id>.yaml"),
    ("remove", "records/<type>/<ID>/<year>/<date>_remove_<id>.yaml"),
    ("move", "records/<type>/<ID>/<year>/<date>_move_<id>.yaml"),
    ("assembly", "records/<type>/<ID>/<year>/<date>_assembly_<id>.yaml (and disassembly)"),
    ("log", "records/<type>/<ID>/<year>/<date>_log_<id>.yaml (and comments)"),
    ("attachment", "records/<type>/<ID>/<year>/<date>_attachment_<id>.yaml"),
    ("connection", "records/<type>/<ID>/<year>/<date>_connect_<id>.yaml (and disconnect)"),
    ("config", "svt.yaml"),
)


def commands_page() -> str:
    """`svt --help` and each command's `--help`, run outside any store (svt's defaults)."""
    from click.testing import CliRunner

    from svt_records.cli import COMMANDS, cli

    out = ["# Command reference", "",
           "Generated from each command's `--help` by `python docs/generate.py`; "
           "tests/test_docs.py fails when it is stale. Outside a store the choices shown are "
           "svt's defaults; a store's own schemas may add to them.", ""]
    names = [n for n in COMMANDS if n != "merge-driver"] + ["merge-driver"]
    out += [" · ".join(f"[{n}](#svt-{n})" for n in names), ""]
    with tempfile.TemporaryDirectory() as home:
        env = {"HOME": home, "SVT_REPO": str(Path(home) / "no-store"), "COLUMNS": "100"}
        old = os.getcwd()
        os.chdir(home)  # not inside this repository, which is itself a store
        try:
            runner = CliRunner()
            pages = [("svt", runner.invoke(cli, ["--help"], env=env, prog_name="svt"))]
            pages += [(f"svt {n}", runner.invoke(cli, [n, "--help"], env=env, prog_name="svt"))
                      for n in names]
        finally:
            os.chdir(old)
    for title, result in pages:
        if result.exit_code != 0:
            raise SystemExit(f"{title} --help failed: {result.output}")
        out += [f"## {title}", "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(out)


def _describe(prop: dict, defs: dict) -> tuple[str, str]:
    """(what the value may be, its description) of one schema property."""
    desc = prop.get("description", "")
    ref = prop.get("$ref", "")
    if ref.startswith("defs.schema.json#/$defs/"):
        name = ref.rsplit("/", 1)[1]  # a shared type: described once, at the page's end
        return f"[{name}](#{name.replace('_', '-')})", desc
    parts = []
    if "const" in prop:
        parts.append(f"`{prop['const']}`")
    if "enum" in prop:
        parts.append("one of " + ", ".join(f"`{v}`" for v in prop["enum"]))
    kind = prop.get("type")
    if kind and "enum" not in prop:
        parts.append("/".join(kind) if isinstance(kind, list) else kind)
    if kind == "array" and isinstance(prop.get("items"), dict):
        item, _ = _describe(prop["items"], defs)
        parts.append(f"of {item}" if item else "")
    if prop.get("minLength") == 1:
        parts.append("not empty")
    for key, words in (("minLength", "at least {} characters"),
                       ("maxLength", "at most {:,} characters"),
                       ("minimum", "≥ {}"), ("maximum", "≤ {}"),
                       ("maxItems", "at most {} items"), ("pattern", "matching `{}`")):
        if key in prop and not (key == "minLength" and prop[key] == 1):
            parts.append(words.format(prop[key]))
    return ", ".join(p for p in parts if p), desc


def records_page() -> str:
    """One table per record kind: field, required, what it may be, what it means."""
    defs = json.loads((SCHEMAS / "defs.schema.json").read_text(encoding="utf-8"))["$defs"]
    out = ["# Record formats", "",
           "Generated from svt's JSON Schemas (`svt_records/schemas/`) by "
           "`python docs/generate.py`; tests/test_docs.py fails when it is stale. "
           "A store checks its records against its own copy in `schemas/`, which "
           "`svt upgrade` brings up to date. Dates are ISO 8601 with their UTC offset; "
           "values and units follow [values.md](values.md).", ""]
    for kind, where in RECORDS:
        schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
        required = set(schema.get("required", ()))
        out += [f"## {kind}", "", f"{schema.get('title', kind).split(' (')[0].capitalize()}. File: `{where}`.", "",
                "| field | required | value | meaning |", "|---|---|---|---|"]
        for name, prop in schema.get("properties", {}).items():
            what, desc = _describe(prop, defs)
            cell = what.replace("|", "\\|")
            out.append(f"| `{name}` | {'yes' if name in required else ''} | {cell} | "
                       f"{desc.replace('|', chr(92) + '|')} |")
        out.append("")
    out += ["## Shared types", "", "The types the tables above link to "
            "(`defs.schema.json`).", ""]
    for name, prop in defs.items():
        what, desc = _describe(prop, defs)
        out += [f"### {name}", "", f"{desc}".strip(), "", f"Value: {what}." if what else "", ""]
    return "\n".join(line for i, line in enumerate(out)
                     if line or (i and out[i - 1]))  # no double blank lines


PAGES = {"commands.md": commands_page, "records.md": records_page}


def main() -> int:
    REFERENCE.mkdir(exist_ok=True)
    for name, make in PAGES.items():
        (REFERENCE / name).write_text(make() + "\n", encoding="utf-8")
        print(f"wrote docs/reference/{name}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    sys.exit(main())
