"""No import circle among the modules of components/, imports only in the allowed direction, and
no module grows past its budget.

Every import counts, also those inside functions and under TYPE_CHECKING: a lazy import still
makes two modules depend on each other (the old settings <-> eks_settings pair did exactly that).

Direction: the settings (components.settings) describe what may be configured and read nothing of
the program but pure fact modules, so loading them never pulls in Pulumi, the specs or the cloud
path; fact modules read only other fact modules. The reference generator (`reference` and its
`restarts`) is the one part of the settings that reads the program (it builds the Deployment spec
to find the keys that restart agents), and so nothing else may import it.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "components"
MAX_LINES = 320
SETTINGS = "components.settings"
FACT_MODULES = frozenset(
    {
        "components.cyperf",
        "components.versions",
        "components.ec2_instances",
        "components.conntrack.kernel",
    }
)
GENERATORS = frozenset({"components.settings.reference", "components.settings.restarts"})


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


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def wrong_direction(graph: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """{module: the imports it must not have}: a settings module importing beyond the settings and
    the fact modules, a fact module importing a non-fact project module, anything but the
    generator importing the generator."""
    wrong: dict[str, list[str]] = {}
    for module, targets in sorted(graph.items()):
        if module in GENERATORS:
            allowed: set[str] = set(targets)
        elif module in FACT_MODULES:
            allowed = {t for t in targets if t in FACT_MODULES}
        elif _within(module, SETTINGS):
            allowed = {t for t in targets if _within(t, SETTINGS) or t in FACT_MODULES}
            allowed -= GENERATORS
        else:
            allowed = set(targets) - GENERATORS
        bad = sorted(set(targets) - allowed)
        if bad:
            wrong[module] = bad
    return wrong


def test_imports_go_in_the_allowed_direction() -> None:
    graph = import_graph(module_sources(ROOT / PACKAGE))
    # The rule looks at real modules: the settings and every fact module that exists are there.
    assert "components.settings.stack" in graph
    assert {"components.cyperf", "components.versions", "components.ec2_instances"} <= set(graph)
    assert "components.specs" in graph["components.settings.restarts"]
    assert wrong_direction(graph) == {}


def test_a_settings_module_reaching_into_the_program_breaks_the_direction() -> None:
    sources = {
        "components": "",
        "components.cyperf": "from components.versions import version_numbers\n",
        "components.versions": "",
        "components.specs": "from components.settings.stack import StackSettings\n",
        "components.settings": "",
        "components.settings.stack": "from components import cyperf\n",
        "components.settings.plans": "def plan():\n    from components import specs\n",
        "components.settings.reference": "from components import specs\n",
    }
    graph = import_graph(sources)
    assert wrong_direction(graph) == {"components.settings.plans": ["components.specs"]}
    sources["components.versions"] = "from components.settings.stack import StackSettings\n"
    sources["components.specs"] += "from components.settings import reference\n"
    assert wrong_direction(import_graph(sources)) == {
        "components.settings.plans": ["components.specs"],
        "components.specs": ["components.settings.reference"],
        "components.versions": ["components.settings.stack"],
    }


def test_a_lazy_mutual_import_is_a_circle() -> None:
    """The shape that once tied the settings to the EKS settings: a function-level import one way,
    a module-level one back."""
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
