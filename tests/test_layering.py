"""Layering of the packages (ARCHITECTURE.md): which room may import which, and no import
cycles. Imports are read from the source by AST — at module level and inside functions (a lazy
import is still a dependency), outside ``if TYPE_CHECKING:`` blocks — so nothing is executed."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bounds", "certify", "constructions", "robustmem")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = f
    return out


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(mod: str, path: Path) -> list[str]:
    """Every module name ``mod`` imports (absolute; ``from p import x`` gives p.x when that is a
    module, else p), with TYPE_CHECKING-only imports left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                src = ".".join(base + ([node.module] if node.module else []))
            else:
                src = node.module or ""
            names.append(src)
            names.extend(f"{src}.{a.name}" for a in node.names if f"{src}.{a.name}" in MODULES)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


IMPORTS = {m: _imported_names(m, p) for m, p in MODULES.items()}
# the dependency graph among the project's modules (an import of a.b.c runs a and a.b too,
# but the edges that matter for cycles are to the named module)
GRAPH = {m: {n for n in names if n in MODULES and n != m} for m, names in IMPORTS.items()}


def _in(name: str, pkg: str) -> bool:
    return name == pkg or name.startswith(pkg + ".")


def _reach(src: str) -> set[str]:
    seen, todo = set(), [src]
    while todo:
        for n in GRAPH[todo.pop()]:
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def _cycle(a: str, b: str) -> bool:
    return b in _reach(a) and a in _reach(b)


def _sccs() -> list[set[str]]:
    """Strongly connected components of size > 1 (Tarjan, iterative enough for ~100 nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(GRAPH):
        if v not in index:
            strong(v)
    return out


def _offenders(room: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (m, n)
        for m, names in IMPORTS.items()
        if _in(m, room)
        for n in names
        if any(_in(n, f) for f in forbidden)
    ]


def test_the_scan_sees_the_project():
    """Guard against a vacuous scan: modules are found and known edges are seen."""
    assert {"certify.network", "certify.onnx_io", "certify.io", "certify.kernel"} <= set(MODULES)
    assert "certify.network" in GRAPH["certify.io"]
    assert "certify.onnx_io" in GRAPH["certify.io"]
    assert "certify.network" in GRAPH["certify.onnx_io"]
    assert any(_in(n, "certify") for n in GRAPH["robustmem.cmd_certify"])  # function-level
    assert _offenders("robustmem", ("certify",))  # the checker finds what is there


def test_bounds_imports_no_other_room():
    assert _offenders("bounds", ("certify", "constructions", "robustmem")) == []


def test_certify_imports_no_other_room():
    assert _offenders("certify", ("bounds", "constructions", "robustmem")) == []


def test_constructions_do_not_import_robustmem():
    assert _offenders("constructions", ("robustmem",)) == []


def test_kernel_is_self_contained():
    """The trusted kernel imports nothing from certify outside certify.kernel, and no solver or
    float library (z3, scipy, numpy)."""
    bad = [
        (m, n)
        for m, names in IMPORTS.items()
        if _in(m, "certify.kernel")
        for n in names
        if (_in(n, "certify") and not _in(n, "certify.kernel"))
        or any(_in(n, lib) for lib in ("z3", "scipy", "numpy"))
    ]
    assert bad == []


def test_network_and_onnx_io_form_no_cycle():
    assert "certify.onnx_io" not in _reach("certify.network")
    assert not _cycle("certify.network", "certify.onnx_io")
    assert not _cycle("certify.network", "certify.io")


def test_run_and_executors_form_no_cycle():
    assert not _cycle("certify.run", "certify.executors")


def test_cli_and_commands_form_no_cycle():
    cmds = [m for m in MODULES if m.startswith("robustmem.cmd_")]
    assert cmds
    assert [m for m in cmds if _cycle("robustmem.cli", m)] == []


def test_no_other_import_cycles():
    """No cycle among the project's modules, except inside the kernel package (its
    __init__ re-exports its parts)."""
    assert [sorted(c) for c in _sccs() if not all(_in(m, "certify.kernel") for m in c)] == []


def test_cycle_detector_detects_a_cycle():
    """The checker can fail: a synthetic two-module cycle is found."""
    GRAPH["certify.network"].add("certify.io")
    try:
        assert _cycle("certify.network", "certify.io")
        assert any({"certify.network", "certify.io"} <= c for c in _sccs())
    finally:
        GRAPH["certify.network"].discard("certify.io")
    assert not _cycle("certify.network", "certify.io")
