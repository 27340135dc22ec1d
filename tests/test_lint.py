"""The code stays clean: ruff passes with the project's settings, and nn/ stays free of UI imports."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED_IN_NN = {"numpy", "nn", "__future__"} | set(sys.stdlib_module_names)


def test_ruff_passes():
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run(["ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_engine_imports_only_numpy_and_stdlib():
    paths = sorted((ROOT / "nn").rglob("*.py"))
    assert ROOT / "nn" / "data" / "formats.py" in paths  # the subpackages are looked at too
    for path in paths:
        allowed = ALLOWED_IN_NN | ({"PIL"} if path.name == "preprocess.py" else set())
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.relative_to(ROOT)} imports {name}"
