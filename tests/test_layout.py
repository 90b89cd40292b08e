"""The package's layout rules: no import circles, no module reaching into another's
private names (private modules such as the kernels are fine), no Python module past 800 lines (the Cython kernels excepted)."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fastroute"
MAX_LINES = 800


def _modules():
    out = {}
    for f in sorted(SRC.rglob("*.py")):
        parts = f.relative_to(SRC.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    for f in sorted(SRC.rglob("*.pyx")):
        out[".".join(f.relative_to(SRC.parent).with_suffix("").parts)] = f
    return out


MODULES = _modules()


def _resolve(mod, node):
    """(target module, imported names) of one ImportFrom/Import inside module `mod`."""
    is_pkg = MODULES[mod].name == "__init__.py"
    if isinstance(node, ast.Import):
        return [(a.name, []) for a in node.names]
    if node.level:
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    out = []
    names = []
    for a in node.names:
        sub = f"{target}.{a.name}"
        if sub in MODULES:
            out.append((sub, []))
        else:
            names.append(a.name)
    if names:
        out.append((target, names))
    return out


def _imports():
    """module -> list of (target module, names, lineno) for every fastroute import."""
    graph = {}
    for mod, f in MODULES.items():
        tree = ast.parse(f.read_text(), str(f)) if f.suffix == ".py" else None
        edges = []
        if tree is not None:
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for target, names in _resolve(mod, node):
                        if target in MODULES:
                            edges.append((target, names, node.lineno))
        graph[mod] = edges
    return graph


GRAPH = _imports()


def test_no_import_circles():
    """Imports inside functions count too: a circle is a design smell wherever the import sits."""
    adj = {m: sorted({t for t, _, _ in e if t != m and not m.startswith(t + ".")}) for m, e in GRAPH.items()}
    # a package's __init__ importing its own submodules is not a circle
    state, stack, circles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in adj.get(m, ()):
            if t.startswith(m + "."):
                continue
            if state.get(t) == 1:
                circles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(adj):
        if m not in state:
            visit(m)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_no_private_names_imported_across_modules():
    bad = []
    for mod, edges in GRAPH.items():
        for target, names, line in edges:
            if target == mod:
                continue
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    bad.append(f"{MODULES[mod].relative_to(SRC.parent)}:{line} imports {target}.{n}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("mod", sorted(m for m, f in MODULES.items() if f.suffix == ".py"))
def test_module_size(mod):
    n = MODULES[mod].read_text().count("\n")
    assert n <= MAX_LINES, f"{MODULES[mod].relative_to(SRC.parent)} has {n} lines (at most {MAX_LINES})"
