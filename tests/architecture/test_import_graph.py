"""The package's import graph, read from the source: one-way, and gradio only in the UI.

Every import counts, function-level ones included (they hide cycles that a
module-level reading would miss); only ``if TYPE_CHECKING:`` blocks are left
out, since they never run. See :mod:`import_graph` for how edges are read.
"""

import ast

from import_graph import PACKAGE, ROOT, find_cycle, import_graph, module_files


def test_the_package_import_graph_has_no_cycle():
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_graph_reader_sees_function_level_imports_and_package_children(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg.sub import leaf\n")
    (package / "sub" / "leaf.py").write_text("def f():\n    from .. import top\n")
    (package / "top.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.other\n"
                                    "from pkg.sub import leaf\n")
    (package / "other.py").write_text("_EXPORTS = {'x': 'pkg.top'}\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.sub"] == {"pkg.sub.leaf"}
    assert graph["pkg.sub.leaf"] == {"pkg.top"}
    assert graph["pkg.top"] == {"pkg.sub", "pkg.sub.leaf"}  # TYPE_CHECKING left out; parents of a target count
    assert graph["pkg.other"] == {"pkg.top"}  # a lazy name -> module table
    assert find_cycle(graph) == ["pkg.top", "pkg.sub", "pkg.sub.leaf", "pkg.top"]


def test_only_the_ui_imports_gradio():
    offenders = []
    for module, path in module_files().items():
        if module == f"{PACKAGE}.ui" or module.startswith(f"{PACKAGE}.ui."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for name in names
                          if name.split(".")[0] in ("gradio", "gradio_client")]
    assert not offenders, f"gradio imported outside ocr_space/ui/: {offenders}"


def test_family_modules_never_import_the_registry():
    graph = import_graph()
    families = [module for module in graph if module.startswith(f"{PACKAGE}.models.deepseek_ocr")]
    assert families, "no family modules found"
    assert not [module for module in families if f"{PACKAGE}.models.registry" in graph[module]]


def test_config_is_a_leaf():
    assert import_graph()[f"{PACKAGE}.config"] == set()
