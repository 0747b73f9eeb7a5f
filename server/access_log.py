"""One log line per request for the operator (ESTATEDESK_ACCESS_LOG, on by default for `serve`).

It wraps the whole ASGI app, so refusals made before routing (bad host, unknown path) are logged
too. Only the path is logged, never the query string, headers or body: tokens and personal data stay
out of the log. The user id is the authenticated caller's (auth middleware puts it in the scope).
"""

from __future__ import annotations

import logging
import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("estatedesk.access")


def with_access_log(app: ASGIApp) -> ASGIApp:
    async def logged(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_status)
        finally:
            user = scope.get("user")
            log.info("%s %s %s %.0fms user=%s", scope.get("method"), scope.get("path"), status or 500,
                     (time.perf_counter() - start) * 1000, getattr(user, "user_id", None) or "-")

    return logged
