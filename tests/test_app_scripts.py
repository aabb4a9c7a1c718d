"""The app's scripts, read as code (no app run): Streamlit's magic prints nothing by accident,
and the app imports no TensorFlow (its log lines would fill the server's console)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

SCRIPTS = [REPO / "app.py", *sorted((REPO / "app_pages").glob("*.py"))]
NO_MAGIC = (ast.Call, ast.Yield, ast.YieldFrom, ast.Await)
"""Expression statements Streamlit's magic leaves alone (a call is run, not written)."""
BODIES = ("body", "orelse", "finalbody")


def magic_writes(tree: ast.AST) -> Iterator[ast.Expr]:
    """Every statement Streamlit's magic turns into ``st.write`` (its rule: a bare expression
    that is no call, in the script or any function, ``with``, loop, ``if`` or ``try`` of it; not
    the docstring of the script or of a function; class bodies are not read)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            continue
        for attr in BODIES:
            body = getattr(node, attr, None)
            if not isinstance(body, list):
                continue
            for i, statement in enumerate(body):
                if not isinstance(statement, ast.Expr) or isinstance(statement.value, NO_MAGIC):
                    continue
                docstring = (
                    i == 0
                    and attr == "body"
                    and isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef)
                    and isinstance(statement.value, ast.Constant)
                    and isinstance(statement.value.value, str)
                )
                if not docstring:
                    yield statement


def test_magic_finds_the_strays_it_would_print() -> None:
    code = '"""Doc."""\nX = 1\n"""A string under a constant."""\ndef f():\n    """Doc."""\n    y\n    f()\n'
    assert [s.lineno for s in magic_writes(ast.parse(code))] == [3, 6]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_script_has_a_bare_expression_that_magic_would_print(script: Path) -> None:
    strays = [f"{script.name}:{s.lineno}: {ast.unparse(s)[:60]}" for s in magic_writes(ast.parse(script.read_text()))]
    assert not strays, "Streamlit would print these on the page (make them comments):\n" + "\n".join(strays)


def test_the_app_imports_no_tensorflow() -> None:
    """Every project module the app's scripts import, imported in a fresh Python: neither
    TensorFlow nor Keras is loaded (the served models run on onnxruntime or scikit-learn)."""
    imported = set()
    for script in SCRIPTS:
        for node in ast.walk(ast.parse(script.read_text())):
            names = [node.module] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            imported |= {n for n in names if n and n.split(".")[0] in ("twcs_classifier", "tensorflow", "keras")}
    assert imported and not {n for n in imported if not n.startswith("twcs_classifier")}
    code = (
        "import importlib, sys\n"
        f"for name in {sorted(imported)!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout
