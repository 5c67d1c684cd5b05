"""The layers, as the README's Architecture section draws them: each imports only those below
it, nothing imports in a circle, the engine knows no Streamlit or Plotly, no code outside a
cell's own module branches on a cell's name, and the Streamlit layer stays in small pieces."""

import ast
import sys
from pathlib import Path

import pytest

from rnnviz.engine import CELLS

ROOT = Path(__file__).resolve().parents[1]

# layer of each part of the code, and what else (outside rnnviz) it may import
LAYERS = {
    "rnnviz": (2, set()),             # the package: the engine's public names again
    "rnnviz.limits": (0, set()),
    "rnnviz.fields": (0, set()),
    "rnnviz.engine": (1, {"numpy"}),
    "rnnviz.notebook": (2, {"numpy"}),
    "rnnviz.training": (2, {"numpy"}),
    "rnnviz.app": (3, {"numpy", "threadpoolctl"}),
    "rnnviz.figures": (3, {"numpy", "plotly"}),
    "rnnviz.ui": (4, {"numpy", "pandas", "plotly", "streamlit"}),
    "pages": (5, {"numpy", "pandas", "streamlit"}),
}
# within layer 3, figures draw arrays and never read the app's settings
FORBIDDEN = {("rnnviz.figures", "rnnviz.app"), ("rnnviz.figures", "rnnviz.training"),
             ("rnnviz.app", "rnnviz.figures")}


def module_name(path: Path) -> str:
    if path.parent == ROOT or path.parent.name == "pages":
        return "pages." + path.stem  # app.py is the home page
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    for part in sorted(LAYERS, key=len, reverse=True):
        if module == part or (module.startswith(part + ".") and part != "rnnviz"):
            return part
    raise AssertionError(f"{module} belongs to no layer")


SOURCES = {module_name(p): p for p in [*(ROOT / "rnnviz").rglob("*.py"),
                                       *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]}


def imports(path: Path) -> set[str]:
    """Every module the file imports (at any depth: a function's import counts too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = {f"{node.module}.{alias.name}" for alias in node.names} & set(SOURCES)
            # "from rnnviz.engine import lstm" depends on the module, not on the package
            found |= modules if len(modules) == len(node.names) else modules | {node.module}
    return found


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_each_module_imports_only_the_layers_below_it(module):
    part = part_of(module)
    layer, outside = LAYERS[part]
    for name in imports(SOURCES[module]):
        top = name.split(".")[0]
        if top == "rnnviz":
            if name == "rnnviz":
                continue
            other = part_of(name)
            assert LAYERS[other][0] < layer or other == part, f"{module} imports {name}"
            assert (part, other) not in FORBIDDEN, f"{module} imports {name}"
        elif top not in sys.stdlib_module_names and top != "__future__":
            assert top in outside, f"{module} imports {name}"


def test_nothing_imports_in_a_circle():
    graph = {m: {n for n in imports(p) if n in SOURCES and n != m} for m, p in SOURCES.items()}
    visiting, done = [], set()

    def visit(module):
        if module in done:
            return
        assert module not in visiting, " -> ".join([*visiting, module])
        visiting.append(module)
        for other in graph[module]:
            visit(other)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


def names_a_cell(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in CELLS


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_no_code_branches_on_a_cells_name_or_parameter_class(module):
    """`if cell == "lstm"` and isinstance(params, LSTMParams) are what the cell descriptions
    replace; a cell's own module and a table keyed by name are fine."""
    if module.startswith(("rnnviz.engine.rnn", "rnnviz.engine.lstm")):
        return
    tree = ast.parse(SOURCES[module].read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            assert not any(names_a_cell(side) for side in sides), (
                f"{module}:{node.lineno} compares with a cell's name")
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance":
            classes = ast.unparse(node.args[1])
            assert not any(cls.params.__name__ in classes for cls in CELLS.values()), (
                f"{module}:{node.lineno} tests a parameter class")


@pytest.mark.parametrize("path, most", [
    *((p, 300) for p in sorted((ROOT / "rnnviz" / "ui").glob("*.py"))),
    *((p, 149) for p in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]),
])
def test_the_streamlit_layer_and_the_pages_stay_small(path, most):
    lines = len(path.read_text().splitlines())
    assert lines <= most, f"{path.relative_to(ROOT)} has {lines} lines"
