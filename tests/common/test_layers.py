"""Import rules between the apps, so the dependency graph stays one-way."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return names


def test_usage_does_not_import_interactions():
    """Interactions call usage's services (an interaction writes its usage row);
    usage never calls back."""
    assert not {name for name in _imports("usage") if name.startswith("interactions")}


def test_common_authentication_and_permissions_import_no_app():
    for module in ("authentication", "permissions", "db", "pagination", "filters"):
        tree = ast.parse((ROOT / "common" / f"{module}.py").read_text())
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        apps = ("sessions_app", "interactions", "usage", "documents")
        assert not {name for name in imported if name.startswith(apps)}, module
