"""The hand-written stub `_core.pyi` describes exactly what the compiled module exports."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from toksmith import _core


def _stub() -> ast.Module:
    spec = importlib.util.find_spec("toksmith")
    assert spec is not None and spec.origin
    path = Path(spec.origin).parent / "_core.pyi"
    assert path.is_file(), "the package must ship _core.pyi"
    assert (path.parent / "py.typed").is_file(), "the package must ship py.typed"
    return ast.parse(path.read_text())


def _names(body: list[ast.stmt]) -> set[str]:
    out = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
    return {n for n in out if not n.startswith("_") or n == "__version__"}


def test_module_functions_match_stub():
    stub = _names(_stub().body)
    real = {n for n in dir(_core) if not n.startswith("_") or n == "__version__"}
    assert stub == real


def test_tokenizer_methods_match_stub():
    cls = next(n for n in _stub().body if isinstance(n, ast.ClassDef) and n.name == "Tokenizer")
    stub = _names(cls.body)
    real = {n for n in dir(_core.Tokenizer) if not n.startswith("_")}
    assert stub == real
