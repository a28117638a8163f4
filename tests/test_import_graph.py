"""No import circle among the modules of components/, and no module grows past its budget.

Every import counts, also those inside functions and under TYPE_CHECKING: a lazy import still
makes two modules depend on each other (the old settings <-> eks_settings pair did exactly that).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "components"
MAX_LINES = 320


def module_sources(package_dir: Path) -> dict[str, str]:
    """{dotted module name: source} of every module under `package_dir`."""
    sources = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        sources[".".join(parts)] = path.read_text()
    return sources


def _is_package(module: str, sources: Mapping[str, str]) -> bool:
    return any(other.startswith(module + ".") for other in sources)


def _imported(node: ast.AST, module: str, sources: Mapping[str, str]) -> list[str]:
    """The project modules one import statement loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = module.split(".")
            if not _is_package(module, sources):
                anchor = anchor[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in sources else base
            for alias in node.names
        ]
    else:
        return []
    found = []
    for name in names:
        # `import a.b.c` of a name that is not a module file: its nearest module.
        while name and name not in sources:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.append(name)
    return found


def import_graph(sources: Mapping[str, str]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in sources}
    for module, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            graph[module].update(_imported(node, module, sources))
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None when the graph is acyclic."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_components_import_no_circle() -> None:
    graph = import_graph(module_sources(ROOT / PACKAGE))
    # The graph is really built: the edges the program's entry depends on are there.
    assert "components.settings.loading" in graph["components.stack"]
    assert "components.settings.eks.stack" in graph["components.settings.loading"]
    assert "components.cyperf" in graph["components.specs"]
    assert "components.eks.wiring" in graph["components.eks"]
    assert sum(len(targets) for targets in graph.values()) > 50
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_a_lazy_mutual_import_is_a_circle() -> None:
    """The shape issue 8 removed: a function-level import one way, a module-level one back."""
    sources = {
        "pkg": "",
        "pkg.settings": "def parse():\n    from pkg.eks_settings import Eks\n",
        "pkg.eks_settings": "from pkg.settings import parse\n",
        "pkg.other": "from . import settings\n",
    }
    graph = import_graph(sources)
    assert graph["pkg.other"] == {"pkg.settings"}
    assert find_cycle(graph) == ["pkg.eks_settings", "pkg.settings", "pkg.eks_settings"]
    del sources["pkg.eks_settings"]
    assert find_cycle(import_graph(sources)) is None


def test_no_module_is_over_its_line_budget() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in (ROOT / PACKAGE).rglob("*.py")
    }
    assert len(sizes) > 20
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}
