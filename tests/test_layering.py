"""The layering rules of docs/design.md hold: only cli/ uses click and prints, only yamlio
imports yaml, only gitrepo runs processes, and modules import downward only."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "svt_records"
LIBRARY = sorted(p for p in PACKAGE.glob("*.py")) + sorted((PACKAGE / "site").glob("*.py"))
CLI = sorted((PACKAGE / "cli").glob("*.py"))
# lower layers first; a module may import only modules at its own level or below
LAYERS = [
    {"errors", "ci_templates"},
    {"model", "quickschema", "report", "registry", "merge", "ivfile", "testtypes"},
    {"yamlio", "schema", "gitrepo", "plots", "analysis"}, {"txn"}, {"store"}, {"index_rows"}, {"freshness"},
    {"index", "database", "checks", "crosschecks", "testrun"},
    {"api", "canonical", "review", "legacy", "bulk", "exporting", "driver", "history",
     "positions", "sync", "labels"},
]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found |= {f".{node.module or ''}".split(".")[1] or a.name for a in node.names}
            else:
                found.add((node.module or "").split(".")[0])
    return found


def level(name: str) -> int:
    return next((i for i, layer in enumerate(LAYERS) if name in layer), len(LAYERS))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_library_does_not_print_or_use_click(path):
    source = path.read_text()
    assert "click" not in imports(path)
    assert "print(" not in source


@pytest.mark.parametrize("path", LIBRARY + CLI, ids=lambda p: p.name)
def test_only_yamlio_imports_yaml_and_only_gitrepo_runs_processes(path):
    found = imports(path)
    if path.name != "yamlio.py":
        assert "yaml" not in found
    if path.name != "gitrepo.py":
        assert "subprocess" not in found


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_library_imports_go_downward(path):
    me = path.stem
    if me in ("__init__", "__main__"):
        return
    for name in imports(path):
        if (PACKAGE / f"{name}.py").exists():
            assert level(name) <= level(me), f"{me} imports {name}, a higher layer"


def test_every_command_has_help_that_teaches():
    from click.testing import CliRunner
    from svt_records.cli import COMMANDS, cli
    runner = CliRunner()
    listing = runner.invoke(cli, ["--help"]).output
    for name in COMMANDS:
        assert name in listing
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        body = result.output.split("\n\n", 2)[1]
        assert len(body.strip()) > 20, f"svt {name} --help says too little"
