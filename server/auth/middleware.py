"""Bearer-token authentication. No cookies are used, so there is no CSRF surface."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.auth.tokens import principal_for_token, touch
from server.domain.errors import fail


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise fail("auth.missing_token", "请先登录", "Please log in first", kind="unauthorized")
        state = connection.app.state
        db = state.db
        async with db.lookup() as conn:
            found = await principal_for_token(conn, token.strip(), db.clock.now(), state.settings.token_idle_days)
        if found is None:
            raise fail(
                "auth.invalid_token",
                "登录已失效或设备已被停用，请重新登录",
                "This device's login is no longer valid; please log in again",
                kind="unauthorized",
            )
        principal, stale = found
        if stale:
            async with db.transaction() as uow:
                await touch(uow.conn, principal.device_id, uow.now)
        return AuthenticationResult(user=principal, auth=principal.device_id)
