"""The shape of the code: one decision engine, data flowing one way.

Walks the imports of every module of the package (read with `ast`, nothing is run): no circle
among module-level imports, and no kernel (the engine and the leaves it stands on) imports the
command line or the report renderers at any level.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "benchmark"
KERNELS = ("benchmark.engine", "benchmark.model", "benchmark.formula", "benchmark.units",
           "benchmark.requirements", "benchmark.thresholds", "benchmark.ranking")
FORBIDDEN = ("benchmark.cli", "benchmark.report")


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("benchmark")}


def test_no_import_circle_among_module_level_imports():
    mods = modules()
    graph = {name: {m for m in imports(path, True) if m in mods and m != name}
             for name, path in mods.items()}
    # a package's __init__ importing its own submodules is how a package exports them
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " → ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_kernels_import_no_cli_or_report_code():
    bad = []
    for name, path in modules().items():
        if name.startswith(KERNELS):
            bad += [(name, m) for m in imports(path, False) if m.startswith(FORBIDDEN)]
    assert bad == []


def test_one_decision_per_concept():
    """The twins are gone: no second module decides levels, rules or verdicts."""
    for gone in ("programmes.py", "levels.py", "peers.py", "compare.py"):
        assert not (PACKAGE / gone).exists(), gone
