"""The shape of the code: no import cycle in src/, data flows forward (no stage imports a later one, the core
never imports an edge), and each file and class stays small enough to read at once (or says why not)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = "storyline"
MAX_MODULE_LINES = 650
MAX_CLASS_LINES = 320
SIZE_REASON = "Size:"  # a module (or class) over the limit says why at its top, in a line starting so

# the pipeline's order; a module may import only from its own rank or earlier ones
CORE = ("model", "config", "text")
ORDER = {
    **dict.fromkeys(CORE, 0),
    "store": 1,
    "embed": 1,
    "boilerplate": 1,
    "ingest": 2,
    "clean": 2,
    "reuse": 3,
    "cluster": 4,
    "timeline": 5,
    "quotes": 5,
    "compare": 5,
    "summarize": 5,
    "analyze": 6,
    "pipeline": 6,
}
EDGES = ("cli", "api", "serve", "web", "spark", "watch", "follow")  # the interfaces: the core never imports these


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / PKG).rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package this module imports at run time (at the top or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found: set[str] = set()

    def resolve(mod: str | None, level: int) -> str | None:
        if level == 0:
            return mod if mod and (mod == PKG or mod.startswith(PKG + ".")) else None
        parts = base[: len(base) - (level - 1)] if level > 1 else base
        return ".".join([*parts, mod] if mod else parts)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                for a in child.names:
                    if a.name == PKG or a.name.startswith(PKG + "."):
                        found.add(a.name)
            elif isinstance(child, ast.ImportFrom):
                target = resolve(child.module, child.level)
                if target is None:
                    continue
                for a in child.names:  # `from . import x` imports the module x when there is one
                    sub = f"{target}.{a.name}"
                    found.add(sub if sub in modules else target)
            visit(child)

    visit(tree)
    # a name imported from a module that is not a file (an attribute of a package) counts as the package
    return {m if m in modules else m.rsplit(".", 1)[0] for m in found} - {name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {m for m in _imports(name, path, modules) if m in modules} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _top(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_src():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles in src/: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_data_flows_forward():
    bad = []
    for mod, deps in _graph().items():
        top = _top(mod)
        for dep in deps:
            dtop = _top(dep)
            if top in ORDER and dtop in EDGES:
                bad.append(f"{mod} (a pipeline stage) imports the interface {dep}")
            elif top in ORDER and dtop in ORDER and ORDER[dtop] > ORDER[top]:
                bad.append(f"{mod} imports the later stage {dep}")
    assert not bad, "\n".join(sorted(bad))


def _reason(text_top: str) -> bool:
    return any(line.strip().startswith(SIZE_REASON) for line in text_top.splitlines())


def test_files_and_classes_are_small_or_say_why():
    big = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n") + 1
        tree = ast.parse(text)
        doc = ast.get_docstring(tree) or ""
        if lines > MAX_MODULE_LINES and not _reason(doc):
            big.append(f"{name}: {lines} lines (> {MAX_MODULE_LINES}) and no '{SIZE_REASON}' line in its docstring")
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_CLASS_LINES and not _reason(ast.get_docstring(node) or ""):
                    big.append(f"{name}.{node.name}: {size} lines (> {MAX_CLASS_LINES}) and no '{SIZE_REASON}' line")
    assert not big, "\n".join(big)
