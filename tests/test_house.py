"""The shape of the house: no import cycles in ``sim/``, no private names imported across modules."""

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[1] / "sim"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[tuple[str, str]]]:
    """Each module of ``sim`` → the (module, name) pairs it imports from ``sim`` (anywhere in the file)."""
    modules = {_module_name(p): p for p in SIM.rglob("*.py")}
    found: dict[str, set[tuple[str, str]]] = {}
    for name, path in modules.items():
        edges = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                for alias in node.names:
                    target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    edges.add((target, alias.name))
            elif isinstance(node, ast.Import):
                edges.update((alias.name, "") for alias in node.names)
        found[name] = {(m, n) for m, n in edges if m in modules and m != name}
    return found


def _parents(module: str) -> list[str]:
    """Packages a module's import runs first (``sim.phases`` for ``sim.phases.air``)."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


def test_no_module_of_sim_takes_part_in_an_import_cycle():
    graph = {m: {target for target, _ in edges} | set(_parents(m)) for m, edges in _imports().items()}
    graph = {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, f"import cycles: {cycles}"


def test_no_module_of_sim_imports_a_private_name_of_another():
    private = sorted((m, target, name) for m, edges in _imports().items() for target, name in edges
                     if name.startswith("_") and not name.startswith("__"))
    assert not private, private
