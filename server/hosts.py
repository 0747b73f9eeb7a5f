"""Allowed-hosts check (Host header, port ignored), answering in the project's error shape.

Litestar's own check matches the host *with* its port, which refuses every request on a
non-default port unless each port is listed; the server runs on any port, so ports are ignored.
"""

from __future__ import annotations

import logging

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send

_BODY = msgspec.json.encode(
    {"code": "request.bad_host", "message": "不允许的主机名", "message_en": "Host not allowed", "details": {}}
)


log = logging.getLogger("estatedesk")
# Hosts already reported, so a phone retrying every few seconds is one line, not thousands; bounded,
# since the Host header is whatever a client sends.
_REPORTED: set[str] = set()
_REPORT_AT_MOST = 100


def _report(host: str, allowed: tuple[str, ...]) -> None:
    if host in _REPORTED or len(_REPORTED) >= _REPORT_AT_MOST:
        return
    _REPORTED.add(host)
    log.warning("refused Host %r (request.bad_host): not in ESTATEDESK_ALLOWED_HOSTS=%s; add it there if "
                "phones reach this server by that name", host[:200], ",".join(allowed))


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    if "*" in allowed:
        return True
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name.startswith("[") and "]" in name:
        name = name[: name.index("]") + 1]
    for pattern in allowed:
        if pattern.startswith("*.") and (name.endswith(pattern[1:]) or name == pattern[2:]):
            return True
        if name == pattern:
            return True
    return False


def allowed_hosts_middleware(allowed: tuple[str, ...]):  # noqa: ANN201
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] in ("http", "websocket"):
                host = ""
                for k, v in scope.get("headers", []):
                    if k == b"host":
                        host = v.decode("latin-1")
                        break
                if not host_allowed(host, allowed):
                    _report(host, allowed)
                    await send({"type": "http.response.start", "status": 400,
                                "headers": [(b"content-type", b"application/json")]})
                    await send({"type": "http.response.body", "body": _BODY})
                    return
            await app(scope, receive, send)

        return middleware

    return factory
