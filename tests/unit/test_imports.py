"""The package's import structure: no import cycle between its modules, and a light
``import twelvelabs_embed``.

The rule, decided here (issue #12): an import of a ``twelvelabs_embed`` module is an
edge wherever it is written (module level, class body, inside a function or a
``try``), except under ``if TYPE_CHECKING:``, which never runs. A lazy import inside a
function defers the cost of loading; it does not remove the dependency, and two modules
that import each other, lazily or not, cannot be read, tested or moved apart. So lazy
imports stay welcome for cost (the CLI reaching the embedded engine, the top-level
``LocalEngine`` hook), as long as they do not close a loop. Type-only imports are free.

Edges: ``from pkg import name`` goes to ``pkg.name`` when that is a module, otherwise
to ``pkg``. Importing ``a.b.c`` also runs ``a/b/__init__.py``: that is an edge too,
unless the importer lives inside ``a.b`` (then the package is already loading).
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from collections.abc import Collection, Iterator
from pathlib import Path

import pytest

import twelvelabs_embed

ROOT = Path(twelvelabs_embed.__file__).parent
PACKAGE = "twelvelabs_embed"


def module_names() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join((PACKAGE, *parts))] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: all but those under ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)  # the body never runs
        else:
            stack.extend(ast.iter_child_nodes(node))


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _resolve(
    node: ast.Import | ast.ImportFrom, module: str, path: Path, modules: Collection[str]
) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = _package_of(module, path).split(".")
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        yield sub if sub in modules else target


def import_graph() -> dict[str, set[str]]:
    """``module -> the package's modules it imports`` (by the rule above)."""
    modules = module_names()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        own = _package_of(name, path)
        for node in runtime_imports(tree):
            for target in _resolve(node, name, path, modules):
                if target not in modules:
                    continue
                graph[name].add(target)
                # parent packages run their __init__ first, unless already loading
                parts = target.split(".")
                for n in range(2, len(parts)):
                    parent = ".".join(parts[:n])
                    if not (own == parent or own.startswith(parent + ".")):
                        graph[name].add(parent)
        graph[name].discard(name)
    return graph


def test_the_graph_sees_the_package() -> None:
    graph = import_graph()
    assert "twelvelabs_embed.client" in graph["twelvelabs_embed"]
    assert "twelvelabs_embed.errors" in graph["twelvelabs_embed.client"] or any(
        "twelvelabs_embed.errors" in graph[m] for m in graph["twelvelabs_embed.client"]
    )


def test_the_rule_on_a_sample() -> None:
    source = """
import os
from . import errors
from .resources import pager
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from .jobs import runner
else:
    from . import results
try:
    from . import _retry
except ImportError:
    pass
class C:
    from . import _converter
def f():
    from . import cli
"""
    modules = module_names()
    nodes = list(runtime_imports(ast.parse(source)))
    found = {
        target
        for node in nodes
        for target in _resolve(node, "twelvelabs_embed.client", ROOT / "client.py", modules)
    }
    assert found == {
        "os",
        "typing",
        "twelvelabs_embed.errors",
        "twelvelabs_embed.resources.pager",
        "twelvelabs_embed.results",
        "twelvelabs_embed._retry",
        "twelvelabs_embed._converter",
        "twelvelabs_embed.cli",
    }, "everything but the TYPE_CHECKING import"


def test_no_import_cycle_inside_the_package() -> None:
    sorter = graphlib.TopologicalSorter(import_graph())
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        pytest.fail("import cycle: " + " -> ".join(exc.args[1]))


def test_importing_the_package_loads_neither_sqlite3_nor_the_jobs() -> None:
    code = (
        "import sys, twelvelabs_embed\n"
        "heavy = ('sqlite3', '_sqlite3', 'twelvelabs_embed.jobs', 'twelvelabs_embed.local')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.strip() == "[]"
