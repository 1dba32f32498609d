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


def test_documents_core_knows_nothing_of_citations():
    """Citations point at documents; the documents app's models, selectors and
    upload/access services never import the interactions app, and the rest of it
    (API, admin, registry sync) reaches citations through ``interactions.citations``
    only."""
    core = ["models.py", "selectors.py", "services/documents.py", "services/access.py"]
    for module in core:
        tree = ast.parse((ROOT / "documents" / module).read_text())
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not {name for name in imported if name.startswith("interactions")}, module
    outside = {
        name
        for name in _imports("documents")
        if name.startswith("interactions") and not name.startswith("interactions.citations")
    }
    assert not outside
