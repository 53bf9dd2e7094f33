"""The generated reference pages match the code: a changed option or schema without
`python docs/generate.py` fails here, naming the page."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("svt_docs_generate", ROOT / "docs" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", ["commands.md", "records.md"])
def test_reference_page_is_up_to_date(page):
    made = _generator().PAGES[page]() + "\n"
    held = (ROOT / "docs" / "reference" / page).read_text(encoding="utf-8")
    assert held == made, f"docs/reference/{page} is stale: run `python docs/generate.py`"


def test_every_command_has_its_section():
    from svt_records.cli import COMMANDS
    held = (ROOT / "docs" / "reference" / "commands.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"\n## svt {name}\n" in held


def test_every_relative_link_in_the_readme_and_docs_resolves():
    import re
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]:
        for match in re.finditer(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            target = match.group(1)
            if not target.startswith(("http://", "https://", "mailto:")) \
                    and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken


def test_no_doc_or_message_names_a_docs_file_that_is_not_there():
    import re
    missing = set()
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md")),
                 *sorted((ROOT / "svt_records").glob("**/*.py")),
                 *sorted((ROOT / "svt_records").glob("**/*.j2")),
                 *sorted((ROOT / "schemas").glob("*.json"))]:
        for name in re.findall(r"\bdocs/[\w/.-]+\.md\b", page.read_text(encoding="utf-8")):
            if not (ROOT / name).exists():
                missing.add(f"{page.relative_to(ROOT)}: {name}")
    assert not missing, sorted(missing)
