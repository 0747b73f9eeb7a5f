"""Every route declares who may call it. A route with no declaration is refused (deny by default).

Use `opt=allow(Role.DISPATCHER, ...)` on a handler, or `opt=PUBLIC` for the few public routes.
tests/integration/test_route_roles.py walks the app's routes and fails on any route without a rule.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from server.domain.errors import fail
from server.domain.roles import Role

# exclude_from_auth is the key Litestar's auth middleware reads to skip a route.
PUBLIC: dict = {"public": True, "exclude_from_auth": True}


def allow(*roles: Role | str) -> dict:
    if not roles:
        raise ValueError("allow() needs at least one role; use PUBLIC for public routes")
    return {"roles": frozenset(str(r) for r in roles)}


async def role_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    # async although it awaits nothing: Litestar runs a plain function guard on a worker thread,
    # a thread hop on every request for a set intersection.
    opt = handler.opt
    if opt.get("public"):
        return
    allowed = opt.get("roles")
    user = connection.scope.get("user")
    if allowed is None or user is None or not (user.roles & allowed):
        raise fail("auth.forbidden", "您的角色无权执行此操作", "Your role may not do this", kind="forbidden")
