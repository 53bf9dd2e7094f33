"""The layout of docs/design.md holds: svt_records is a few packages by domain, each package's
docstring says what it may import and its modules import nothing else, the packages form
layers with no cycle, no modules import each other in a circle at module level, only cli/
prints and uses click, only files/yamlio imports yaml, only git/ runs programs, analysis/
and collab/merge are pure, and no module or class grows past a size one reads in a sitting."""
import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "svt_records"
MODULES = sorted(PACKAGE.rglob("*.py"))
PACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
MAX_TOP_LEVEL = 14  # entries of svt_records/, __init__.py and __main__.py included
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 400
FACADES = {"Database"}  # may be larger, as long as every method just delegates
MAX_DELEGATION_STATEMENTS = 3  # what a facade's method may hold besides its docstring


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


NAMES = {module_name(p) for p in MODULES}


def package_of(name: str) -> str:
    """The package a module belongs to: svt_records.git.objects -> git; the root -> ''."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def type_checking_nodes(tree: ast.AST) -> set[int]:
    return {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
            and "TYPE_CHECKING" in ast.unparse(block.test) for n in ast.walk(block)}


def svt_imports(path: Path, *, module_level_only: bool = False) -> set[str]:
    """The svt_records modules a file imports (a package where no module of the name exists),
    at any level or only at module level, never counting imports under TYPE_CHECKING."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    skip = type_checking_nodes(tree)
    nodes = (ast.walk(tree) if not module_level_only else
             (n for top in tree.body if not isinstance(top, (ast.FunctionDef, ast.ClassDef,
                                                             ast.AsyncFunctionDef))
              for n in ast.walk(top)))
    found = set()
    for node in nodes:
        if id(node) in skip or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("svt_records")}
            continue
        if node.level:
            base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        elif (node.module or "").startswith("svt_records"):
            target = node.module or ""
        else:
            continue
        for alias in node.names:
            sub = f"{target}.{alias.name}"
            found.add(sub if sub in NAMES else target)
    return found - {name}


def other_imports(path: Path) -> set[str]:
    """The top-level names of everything else a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add((node.module or "").split(".")[0])
    return found


def may_import(package: str) -> set[str]:
    """The packages a package's docstring allows it to import ("May import: a, b.")."""
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text())) or ""
    match = re.search(r"^May import: (.+)$", doc, re.M)
    assert match, f"svt_records/{package}/__init__.py's docstring has no 'May import:' line"
    text = match.group(1).rstrip(".")
    if text == "every package":
        return set(PACKAGES) - {package}
    if text == "nothing of svt_records":
        return set()
    return {p.strip() for p in text.split(",")}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def library(path: Path) -> bool:
    return package_of(module_name(path)) != "cli" and path.name != "__main__.py"


def test_the_top_level_is_a_few_packages():
    entries = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    assert len(entries) <= MAX_TOP_LEVEL, entries
    assert not [p for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_says_what_it_owns_and_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text())) or ""
    assert len(doc.split("May import:")[0].strip()) > 80, f"{package}/__init__.py says too little"
    assert may_import(package) <= set(PACKAGES) - {package}


def test_the_packages_form_layers_without_a_cycle():
    assert cycles({p: may_import(p) for p in PACKAGES}) == []


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_a_module_imports_only_what_its_package_may(path):
    me = package_of(module_name(path))
    allowed = may_import(me) | {me} if me in PACKAGES else set(PACKAGES)
    for name in svt_imports(path):
        if name == "svt_records":
            continue  # the root: __version__ and the lazy exports, which import nothing
        assert package_of(name) in allowed, (
            f"{module_name(path)} imports {name}: svt_records/{me}/__init__.py does not allow"
            f" {package_of(name)}")


def test_no_modules_import_each_other_in_a_circle_at_module_level():
    graph = {module_name(p): svt_imports(p, module_level_only=True) for p in MODULES}
    assert cycles(graph) == []


@pytest.mark.parametrize("path", [p for p in MODULES if library(p)], ids=module_name)
def test_the_library_does_not_print_or_use_click(path):
    assert "click" not in other_imports(path)
    assert "print(" not in path.read_text()


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_only_yamlio_imports_yaml_and_only_git_runs_programs(path):
    found = other_imports(path)
    if module_name(path) != "svt_records.files.yamlio":
        assert "yaml" not in found
    if package_of(module_name(path)) != "git":
        assert "subprocess" not in found  # process pools (multiprocessing) run svt's own code
        assert not re.search(r"\bos\.(system|popen|exec\w*|spawn\w*|posix_spawn\w*)\(",
                             path.read_text())


@pytest.mark.parametrize("path", sorted((PACKAGE / "analysis").glob("*.py"))
                         + [PACKAGE / "collab" / "merge.py"], ids=module_name)
def test_analysis_and_the_merge_are_pure(path):
    """No store, no index and no git inside: values and data files in, values out."""
    assert {package_of(n) for n in svt_imports(path)} <= {"model", "files", "analysis"}
    assert not other_imports(path) & {"sqlite3", "git", "subprocess", "fcntl"}


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_modules_and_classes_are_small_enough_to_read(path):
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{module_name(path)} is too long"
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        size = (node.end_lineno or node.lineno) - node.lineno + 1
        if node.name in FACADES:
            for method in node.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    body = method.body[1:] if ast.get_docstring(method) else method.body
                    assert len(body) <= MAX_DELEGATION_STATEMENTS, (
                        f"{node.name}.{method.name} does more than delegate")
        else:
            assert size <= MAX_CLASS_LINES, f"class {node.name} is {size} lines"


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
