"""The code stays clean: ruff passes with the project's settings, and nn/ keeps its boundaries.

The engine (the modules at the top of nn/, but for the command line) imports only NumPy,
the standard library and other engine modules, never the support code in nn.data,
nn.files, nn.digits or nn.explain.  Nothing in nn/ imports UI libraries; PIL only in the
drawn-digit preprocessing; the rest of nn/ imports only NumPy, the standard library and nn.
Test files never import one another (shared helpers live in tests/helpers.py, fixtures in
conftest.py), and benchmarks and scripts import nothing from tests/.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NN = ROOT / "nn"
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
SUPPORT = {"nn.data", "nn.files", "nn.digits", "nn.explain"}
UI_LIBRARIES = {"streamlit", "plotly", "pandas"}
PIL_ALLOWED = NN / "digits" / "preprocess.py"
NOT_ENGINE = {"cli.py", "__main__.py"}  # top-level, but they wire the engine to the support code


def imports(path):
    """Return every module path imports, as written (``from a.b import c`` gives ``a.b`` and ``a.b.c``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path.relative_to(ROOT)}: use absolute imports"
            found += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return found


def under(name, package):
    """Return True if module name is package or inside it."""
    return name == package or name.startswith(package + ".")


ENGINE = sorted(p for p in NN.glob("*.py") if p.name not in NOT_ENGINE)
ALL_NN = sorted(NN.rglob("*.py"))


def test_ruff_passes():
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run(["ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lists_find_the_code():
    assert {p.name for p in ENGINE} >= {"network.py", "train.py", "settings.py", "classic.py"}
    assert PIL_ALLOWED in ALL_NN and NN / "files" / "checkpoint.py" in ALL_NN


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: p.name)
def test_engine_imports_only_numpy_stdlib_and_the_engine(path):
    for name in imports(path):
        top = name.split(".")[0]
        assert top in STDLIB | {"numpy", "nn"}, f"{path.name} imports {name}"
        assert not any(under(name, s) for s in SUPPORT), f"{path.name} imports support code {name}"


@pytest.mark.parametrize("path", ALL_NN, ids=lambda p: str(p.relative_to(NN)))
def test_nn_imports_no_ui_library_and_pil_only_for_drawn_digits(path):
    allowed = STDLIB | {"numpy", "nn"} | ({"PIL"} if path == PIL_ALLOWED else set())
    for name in imports(path):
        top = name.split(".")[0]
        assert top not in UI_LIBRARIES, f"{path.relative_to(ROOT)} imports {name}"
        assert top in allowed, f"{path.relative_to(ROOT)} imports {name}"


def test_no_test_file_is_imported_and_benchmarks_and_scripts_stand_without_the_tests():
    for path in sorted(p for folder in ("tests", "benchmarks", "scripts") for p in (ROOT / folder).rglob("*.py")):
        for name in imports(path):
            where = path.relative_to(ROOT)
            assert not any(part.startswith("test_") for part in name.split(".")), f"{where} imports {name}"
            assert where.parts[0] == "tests" or not under(name, "tests"), f"{where} imports {name}"
