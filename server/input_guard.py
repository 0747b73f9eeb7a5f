"""Hostile-input guard: refuses NUL characters and oversized bodies before any handler or store sees them.

Why here and not in the handlers: SQLite stores U+0000 in text while PostgreSQL refuses it (and the
refusal surfaces as a driver error, i.e. a 500 after part of the work was done). Rejecting it once,
at the edge, makes both engines behave alike and keeps every handler free of the check
(docs/decisions.md D15). Checked: the path, the query string (raw or %00) and every request body
the framework will decode, both as a raw 0x00 byte and as the JSON escape \\u0000. Raw uploads
(signatures and photos, PUT /api/blobs) are bytes, not text, and are left to their own checks.

The body has to be buffered to be inspected, so the body-size limit is enforced here too, before
buffering more than the limit (413, not an out-of-memory). Refusals are raised as DomainError, so
they leave through the one error mapping in server/errors.py like every other error.

`GuardedRequest` is the decoding hook for what only the decoder can see: bytes that are not UTF-8
and nesting so deep the decoder runs out of stack. Litestar lets both escape as a bare
UnicodeDecodeError / RecursionError (a 500); here they become the usual 400 request.invalid.

`DatedIn` is the base of request bodies that carry dates or instants, and `check_instants` the same
check for query parameters: msgspec has no bounds for dates, and an instant near datetime's ends
("0001-01-01T00:00:00+14:00") cannot even be converted to UTC for storage (an OverflowError, a 500).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.domain.errors import DomainError, fail

# A backslash run of odd length before "u0000" is an escape; an even run is literal backslashes.
_ESCAPED_NUL = re.compile(rb"(\\+)u0000")
_BINARY_TYPES = (b"image/", b"application/octet-stream")


def nul_refused() -> DomainError:
    return fail("request.nul_char", "内容中含有不允许的空字符（U+0000）",
                "The request contains a NUL character (U+0000), which is not accepted", kind="invalid")


def too_large(limit: int) -> DomainError:
    return fail("request.too_large", "请求内容过大", "The request body is too large", kind="too_large",
                max_bytes=limit)


def has_nul(data: bytes) -> bool:
    """True if `data` holds a raw NUL byte or a JSON \\u0000 escape (not an escaped backslash + 'u0000')."""
    if b"\x00" in data:
        return True
    if b"u0000" not in data:
        return False
    return any(len(m.group(1)) % 2 == 1 for m in _ESCAPED_NUL.finditer(data))


def _header(scope: Scope, name: bytes) -> bytes:
    for k, v in scope.get("headers", []):
        if k == name:
            return v
    return b""


def _decodes_body(scope: Scope) -> bool:
    """Whether this request's body will be read as text: any handler taking `data`, or a non-binary type."""
    handler = scope.get("route_handler")
    if handler is not None and getattr(handler, "parsed_data_field", None) is not None:
        return True
    ctype = _header(scope, b"content-type").lower()
    return not ctype.startswith(_BINARY_TYPES)


def input_guard_middleware(max_body_bytes: int):  # noqa: ANN201
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            qs = scope.get("query_string", b"")
            if "\x00" in scope.get("path", "") or b"\x00" in qs or b"%00" in qs:
                raise nul_refused()
            if not _decodes_body(scope):
                await app(scope, receive, send)
                return
            declared = _header(scope, b"content-length")
            if declared.isdigit() and int(declared) > max_body_bytes:
                raise too_large(max_body_bytes)
            chunks: list[bytes] = []
            size = 0
            tail: list[Message] = []
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    tail.append(message)  # a disconnect: let the app see it
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > max_body_bytes:
                    raise too_large(max_body_bytes)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            if has_nul(body):
                raise nul_refused()
            replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}, *tail]

            async def replay_receive() -> Message:
                if replay:
                    return replay.pop(0)
                return await receive()

            await app(scope, replay_receive, send)

        return middleware

    return factory


class GuardedRequest(Request):
    """The app's request class: a body that cannot be decoded is the client's fault (400), never a 500."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError as exc:
            raise ValidationException(detail="The request body is not valid UTF-8",
                                      extra=[{"message": f"invalid UTF-8 at byte {exc.start}"}]) from None
        except RecursionError:
            raise ValidationException(detail="The request body is nested too deeply",
                                      extra=[{"message": "JSON nested too deeply"}]) from None


# The years a date or instant sent by a client may fall in: the service's own lifetime, give or take.
# Outside them a value is a typo or an attack; refusing it also keeps every instant convertible.
INPUT_YEARS = range(2000, 3000)


def date_problem(value: date) -> str | None:
    """Why a client's date or instant cannot be taken, or None."""
    if isinstance(value, datetime) and value.utcoffset() is None:
        return "an instant needs a UTC offset (such as Z or +08:00)"
    if value.year not in INPUT_YEARS:
        return f"must lie in the years {INPUT_YEARS.start}–{INPUT_YEARS.stop - 1}"
    return None


class DatedIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request body with dates or instants: each must carry an offset and lie in INPUT_YEARS.

    msgspec turns the ValueError into a validation error, which leaves as 400 request.invalid naming
    the field. Nested bodies check their own fields (they derive from this class too).
    """

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, date) and (problem := date_problem(value)) is not None:
                raise ValueError(f"`{name}` {problem}")


def check_instants(**values: datetime | None) -> None:
    """The same check for query parameters: raise 400 request.invalid naming the first bad one."""
    for name, value in values.items():
        if value is not None and (problem := date_problem(value)) is not None:
            raise fail("request.invalid", "请求内容格式不正确", f"`{name}` {problem}", kind="invalid",
                       errors=[{"message": problem, "key": name, "source": "query"}])
