"""The app's shape: every page is in the contents under Streamlit's own title, pages stay
short, and the Streamlit layer's modules are small and import one another in one direction."""

import ast
import re
from pathlib import Path

from rnnviz.app import lesson
from rnnviz.app.contents import HOME, PAGES, STEP, TRAINING

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "rnnviz" / "ui"


def test_every_page_file_is_in_the_contents_in_streamlits_order():
    files = ["app.py", *(f"pages/{p.name}" for p in sorted((ROOT / "pages").glob("*.py")))]
    assert [page.script for page in PAGES] == files
    assert all((ROOT / page.script).is_file() for page in PAGES)


def test_titles_and_url_paths_are_the_ones_streamlit_derives_from_the_file_names():
    assert [page.title for page in PAGES] == ["Home", "Step through", "Gates and cell state",
                                              "Gradient flow", "Training", "Gradient check",
                                              "Units on text", "Memory map"]
    assert (HOME.url_path, STEP.url_path) == ("", "Step_through")
    assert all(page.blurb for page in PAGES[1:])
    assert set(lesson.VIEWS) <= set(PAGES) and TRAINING in lesson.VIEWS


def test_the_home_page_and_the_lesson_pages_are_short():
    for script in ("app.py", "pages/1_Step_through.py", "pages/2_Gates_and_cell_state.py",
                   "pages/3_Gradient_flow.py", "pages/5_Gradient_check.py"):
        assert len((ROOT / script).read_text().splitlines()) < 150, script


def _ui_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "rnnviz.ui":
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rnnviz.ui."):
            names.add(node.module.removeprefix("rnnviz.ui."))
    return names


def test_ui_modules_import_only_the_ones_listed_below_them():
    listed = re.findall(r"^    (\w+) ", (UI / "__init__.py").read_text(), re.MULTILINE)
    assert sorted(listed) == sorted(p.stem for p in UI.glob("*.py") if p.stem != "__init__")
    for k, name in enumerate(listed):
        assert _ui_imports(UI / f"{name}.py") <= set(listed[k + 1:]), name


def test_the_ui_package_itself_holds_no_code():
    tree = ast.parse((UI / "__init__.py").read_text())
    assert [type(node) for node in tree.body] == [ast.Expr]  # its docstring: the module map
