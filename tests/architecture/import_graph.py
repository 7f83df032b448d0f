"""The import graph of the ``ocr_space`` package, read from its source with :mod:`ast`.

Every import counts, at module level or inside a function, except those under
``if TYPE_CHECKING:`` (they never run, so they cannot form a cycle at run time).
``from package import name`` is an edge to ``package.name`` when that is a
module of ours (a submodule import), else to ``package``. A package's
``__init__`` is the module named after the package, so a package that imports
its children has edges to them, and importing ``a.b.c`` runs ``a`` and ``a.b``
first: those edges count too. Modules imported by name at run time are
listed in module-level tables ``{key: "ocr_space.module"}`` (a package's lazy
re-exports, ``_EXPORTS``, see :mod:`ocr_space.lazy`; the CLI's ``COMMANDS``):
every module named as a value of a module-level dict literal is an edge too,
since using the table imports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "ocr_space"


def module_files(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Module name -> source file, for every ``.py`` under the package."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in the tree, skipping the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _table_modules(tree: ast.Module, files: dict[str, Path]) -> list[str]:
    """Modules of ours named as string values of module-level dict literals (name -> module tables)."""
    found = []
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if isinstance(value, ast.Dict):
            found += [item.value for item in value.values
                      if isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value in files]
    return found


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _with_parents(name: str) -> list[str]:
    """``a.b.c`` -> ``a.b.c``, ``a.b``, ``a``: importing a submodule runs its packages' ``__init__`` first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (directly or as the parent package of what it imports)."""
    files = module_files(root, package)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                base = (_resolve_relative(module, is_package, node.level, node.module) if node.level
                        else node.module or "")
                names = []
                for alias in node.names:
                    child = f"{base}.{alias.name}"
                    names.append(child if child in files else base)
            for name in names:
                targets.update(parent for parent in _with_parents(name) if parent in files)
        for name in _table_modules(tree, files):
            targets.update(parent for parent in _with_parents(name) if parent in files)
        # A module does not depend on itself, nor on the packages that contain it: Python runs those
        # first whoever imports the module, so they are not edges this module adds.
        graph[module] = targets - set(_with_parents(module))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None if the graph is acyclic."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(graph, WHITE)
    for start in sorted(graph):
        if color[start] != WHITE:
            continue
        path = [start]
        iterators = [iter(sorted(graph[start]))]
        color[start] = GREY
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                color[path.pop()] = BLACK
                iterators.pop()
            elif color.get(nxt, BLACK) == GREY:
                return path[path.index(nxt):] + [nxt]
            elif color.get(nxt) == WHITE:
                color[nxt] = GREY
                path.append(nxt)
                iterators.append(iter(sorted(graph[nxt])))
    return None


def all_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (each one holds at least one cycle)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


if __name__ == "__main__":
    graph = import_graph()
    for component in all_cycles(graph):
        print("SCC:", component)
        print("  cycle:", " -> ".join(find_cycle({m: graph[m] & set(component) for m in component})))
