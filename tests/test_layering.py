"""The core stays protocol-neutral: checked by reading its source, not by memory."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "responder"
FORBIDDEN_IMPORTS = ("responder.adapters", "uvicorn", "gunicorn", "a2wsgi")
PROTOCOL_WORDS = ("environ", "start_response", "receive", "send")
#: `scope` is also the dependency option `scope="app"`; only `scope[...]` is ASGI.
SUBSCRIPTED_WORDS = ("scope", "environ")
#: The one seam: `API._adapter` imports the adapters lazily.
ALLOWED = {("api.py", ".adapters"), ("api.py", ".adapters.testing"), ("api.py", ".adapters.serve")}


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


def test_core_imports_no_protocol_code() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        for name in _imports(ast.parse(path.read_text())):
            if (path.name, name) in ALLOWED:
                continue
            absolute = "responder" + name if name.startswith(".") else name
            if (
                absolute.startswith(".adapters")
                or any(absolute == f or absolute.startswith(f + ".") for f in FORBIDDEN_IMPORTS)
                or name.startswith(".adapters")
            ):
                offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_core_uses_no_protocol_words() -> None:
    """No variable or parameter in the core is an environ, receive or send; no scope[...]."""
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Name):
                names = [node.id]
            elif isinstance(node, ast.arg):
                names = [node.arg]
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id in SUBSCRIPTED_WORDS
            ):
                offenders.append(f"{path.name}:{node.lineno} {node.value.id}[...]")
            offenders += [f"{path.name}:{node.lineno} {n}" for n in names if n in PROTOCOL_WORDS]
    assert offenders == []
