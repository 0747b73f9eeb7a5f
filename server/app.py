"""Litestar app factory: wiring only (routes, auth, errors, static PWA, lifecycle)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import CacheControlHeader, ResponseHeader, State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.types import Message, Scope

from server.api.auth import AuthController
from server.api.compression import COMPRESSION
from server.api.deps import provide_db, provide_principal
from server.api.health import health
from server.auth.guards import PUBLIC, role_guard
from server.auth.middleware import TokenAuthMiddleware
from server.errors import EXCEPTION_HANDLERS, document_error_responses
from server.hosts import allowed_hosts_middleware
from server.input_guard import GuardedRequest, input_guard_middleware
from server.ratelimit import DeviceRateLimiter, rate_limit_middleware
from server.settings import Settings
from server.storage.db import Database
from server.storage.migrate import upgrade

# No inline script anywhere: the PWA is one bundled module. Blob/data images are signatures and photos.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="no-referrer"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="Permissions-Policy", value="camera=(self), geolocation=(self), microphone=()"),
]


_HEADER_BYTES = [(h.name.lower().encode(), h.value.encode()) for h in SECURITY_HEADERS]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Every response carries the security headers, errors and unknown paths included.

    `response_headers` covers responses made by handlers; refusals raised in middleware (auth, the
    input guard, the rate limit) and the router's own 404/405 do not pass through it.
    """
    if message["type"] == "http.response.start":
        headers = list(message.get("headers") or [])
        present = {k.lower() for k, _ in headers}
        headers += [(k, v) for k, v in _HEADER_BYTES if k not in present]
        message["headers"] = headers


def route_handlers() -> list:
    from server.api import registry

    return [health, AuthController, *registry.handlers()]


def create_app(settings: Settings, *, db: Database | None = None, migrate: bool = True) -> Litestar:
    database = db or Database(settings.effective_database_url, echo=settings.log_sql)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if migrate:
            await upgrade(database.url)
        app.state.db = database
        app.state.settings = settings
        from server.runtime import start_background, stop_background

        tasks = await start_background(app) if settings.run_scheduler else []
        try:
            yield
        finally:
            await stop_background(tasks)
            if db is None:
                await database.dispose()

    static = create_static_files_router(
        path="/",
        directories=[settings.pwa_dir],
        html_mode=True,
        opt=PUBLIC,
        include_in_schema=False,
        # The service worker versions the shell; the browser must always revalidate.
        cache_control=CacheControlHeader(no_cache=True),
    )
    # One limiter for every route (Litestar builds a middleware stack per route), on app.state so a
    # test can read or replace it.
    limiter = DeviceRateLimiter()
    app = Litestar(
        route_handlers=[*route_handlers(), static],
        lifespan=[lifespan],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        # Order matters: host check, then NUL/size guard (before anything is decoded or stored), then
        # authentication, then the per-device rate limit (it needs the device id auth found).
        middleware=[
            allowed_hosts_middleware(settings.allowed_hosts),
            input_guard_middleware(settings.max_body_bytes),
            DefineMiddleware(TokenAuthMiddleware),
            rate_limit_middleware,
        ],
        state=State({"rate_limiter": limiter}),
        request_class=GuardedRequest,
        guards=[role_guard],
        exception_handlers=EXCEPTION_HANDLERS,
        response_headers=SECURITY_HEADERS,
        compression_config=COMPRESSION,
        before_send=[add_security_headers],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="EstateDesk API",
            version="1.0.0",
            path="/schema",
            # The schema is public documentation; only the JSON and YAML documents are served
            # (the HTML renderers would load scripts from a CDN, which the CSP forbids anyway).
            openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC, include_in_schema=False),
            # No HTML renderer: they would load scripts from a CDN, which the CSP forbids anyway.
            # Only the JSON document (YAML rendering cost ~0.6 s of CPU per public request).
            render_plugins=[JsonRenderPlugin()],
            components=Components(
                security_schemes={"deviceToken": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"deviceToken": []}],
        ),
        debug=False,
    )
    document_error_responses(app)
    return app
