"""Every route declares who may call it (deny by default); public routes are listed on purpose."""

from __future__ import annotations

from litestar import Litestar

from server.app import create_app
from server.settings import Settings

# Public on purpose: login, health, the OpenAPI documents and the PWA's static files.
PUBLIC_PATHS = {"/api/auth/login", "/api/health"}
PUBLIC_PREFIXES = ("/schema",)


def _handlers(app: Litestar):  # noqa: ANN202
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            # Litestar adds an OPTIONS handler to every path by itself; the app-wide guard denies it
            # (no cross-origin callers exist), and we define no OPTIONS routes of our own.
            if getattr(handler, "http_methods", None) == {"OPTIONS"}:
                continue
            yield route.path, handler


def test_every_route_declares_its_roles():
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"), migrate=False)
    missing, unexpected_public = [], []
    for path, handler in _handlers(app):
        opt = handler.opt
        if opt.get("public"):
            # The PWA's static files are mounted at "/" (and "/{file_path:path}").
            static = path == "/" or path.startswith("/{file_path")
            if not (path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or static):
                unexpected_public.append(path)
        elif not opt.get("roles"):
            missing.append(path)
    assert not missing, f"routes without a role rule: {missing}"
    assert not unexpected_public, f"routes public by accident: {unexpected_public}"


def test_the_documented_route_table_is_the_apps():
    # docs/api-contract.md's table is what reviewers and client authors read; regenerate it with
    # `.venv/bin/python scripts/route_table.py --write` when a route or its roles change.
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "route_table.py"
    spec = importlib.util.spec_from_file_location("route_table", path)
    assert spec and spec.loader
    route_table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(route_table)
    assert route_table.documented() == route_table.table()
