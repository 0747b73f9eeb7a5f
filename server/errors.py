"""The one place where errors become HTTP responses: {code, message, message_en, details}."""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

import asyncpg.exceptions as asyncpg_exc
import msgspec
from litestar import Litestar, MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError

from server.domain.errors import DomainError

log = logging.getLogger("estatedesk")

STATUS_BY_KIND = {
    "invalid": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "unprocessable": 422,
    "throttled": 429,
    "unavailable": 503,
}


class ErrorBody(msgspec.Struct, kw_only=True):
    """The one error shape every route answers with (documented in OpenAPI for every status below)."""

    code: str
    message: str
    message_en: str
    details: dict[str, Any] = {}


ERROR_DESCRIPTIONS = {
    400: "Malformed or invalid request (request.invalid, request.nul_char, ...)",
    401: "No, unknown or revoked device token (auth.*)",
    403: "The caller's role or scope does not allow this (auth.forbidden, scope.*)",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused by a domain rule",
    413: "Request body too large (request.too_large)",
    422: "Unprocessable",
    429: "Too many requests (request.throttled, auth.login_throttled); see Retry-After",
    503: "Storage full or busy (storage.*); see Retry-After",
}
# What a public route cannot answer (it has no caller to refuse by role).
_NOT_FOR_PUBLIC = {403}


def document_error_responses(app: Litestar) -> None:
    """Declare the shared error responses on every route in the OpenAPI document.

    Route handlers may declare their own for a status; those win. This replaces Litestar's default
    400 schema ({status_code, detail}), which is not what this API sends.
    """
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
                continue
            public = bool(handler.opt.get("public"))
            shared = {
                status: ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False)
                for status, text in ERROR_DESCRIPTIONS.items()
                if not (public and status in _NOT_FOR_PUBLIC)
            }
            handler.responses = {**shared, **(handler.responses or {})}


def error_body(code: str, zh: str, en: str, details: dict | None = None) -> dict:
    return {"code": code, "message": zh, "message_en": en, "details": details or {}}


def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def domain_error_handler(_: Request, exc: DomainError) -> Response:
    r = exc.refusal
    headers = {"Retry-After": str(r.details.get("retry_after", 5))} if r.kind in ("unavailable", "throttled") else None
    return _json(STATUS_BY_KIND.get(r.kind, 409), error_body(r.code, r.zh, r.en, r.details), headers)


def validation_handler(_: Request, exc: ValidationException) -> Response:
    return _json(
        400,
        error_body("request.invalid", "请求内容格式不正确", "The request is malformed or invalid", {"errors": exc.extra}),
    )


def http_exception_handler(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    codes = {
        401: ("auth.required", "请先登录", "Please log in first"),
        403: ("auth.forbidden", "无权执行此操作", "Not allowed"),
        404: ("not_found", "未找到", "Not found"),
        405: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
        413: ("request.too_large", "请求内容过大", "The request body is too large"),
        429: ("request.throttled", "请求过于频繁，请稍后再试", "Too many requests; try again later"),
    }
    code, zh, en = codes.get(status, ("http.error", "请求失败", exc.detail or "Request failed"))
    if status == 400:
        code, zh, en = "request.invalid", "请求内容格式不正确", str(exc.detail or "Bad request")
    return _json(status, error_body(code, zh, en), exc.headers)


# Messages of a database that is restarting or unreachable: the request may be retried as is.
_TRANSIENT = ("locked", "busy", "connection", "terminating", "shutting down", "another operation is in progress",
              "cannot connect", "the database system is starting up")


# A storage failure is logged at most once a minute per kind (a full disk fails every request), and
# /api/health answers 503 "storage: full" for five minutes after the last full-disk error.
STORAGE_WARN_EVERY = 60.0
STORAGE_FULL_HEALTH_FOR = 300.0


def _where(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        return "the database"
    if settings.dialect == "sqlite":
        return f"data dir {settings.data_dir}"
    return "PostgreSQL " + settings.effective_database_url.rsplit("@", 1)[-1]


def _note_storage_failure(request: Request, kind: str, exc: DBAPIError) -> None:
    db = getattr(request.app.state, "db", None)
    now = time.monotonic()
    if kind == "storage.full" and db is not None:
        db.storage_full_until = now + STORAGE_FULL_HEALTH_FOR
    warned = db.storage_warned_at if db is not None else {}
    if now - warned.get(kind, -STORAGE_WARN_EVERY) < STORAGE_WARN_EVERY:
        return
    warned[kind] = now
    log.warning("%s on %s %s (%s): %s", kind, request.method, request.url.path, _where(request),
                getattr(exc, "orig", None) or exc)


def storage_error_handler(request: Request, exc: DBAPIError) -> Response:
    orig = getattr(exc, "orig", None)
    text = str(orig or exc).lower()
    if "disk i/o" in text:
        # Not "full": a failing disk or a vanished file needs the operator, not freed space.
        _note_storage_failure(request, "storage.io_error", exc)
        return _json(
            503,
            error_body("storage.io_error", "服务器存储读写出错，数据已保留在手机上，稍后自动重试",
                       "Server storage had a read/write error; your data stays on the phone and will be retried",
                       {}),
            {"Retry-After": "30"},
        )
    if "database or disk is full" in text or isinstance(orig, sqlite3.DataError):
        _note_storage_failure(request, "storage.full", exc)
        return _json(
            503,
            error_body("storage.full", "服务器存储空间不足，数据已保留在手机上，稍后自动重试",
                       "Server storage is full; your data stays on the phone and will be retried", {}),
            {"Retry-After": "30"},
        )
    if exc.connection_invalidated or any(m in text for m in _TRANSIENT):
        _note_storage_failure(request, "storage.busy", exc)
        return _json(
            503,
            error_body("storage.busy", "服务器繁忙，请稍后重试", "The server is busy; please retry", {}),
            {"Retry-After": "5"},
        )
    return internal_error_handler(request, exc)


def connection_error_handler(_: Request, exc: Exception) -> Response:
    """The database could not be reached at all (restarting, refused): the request may be retried.

    Raised by the driver while connecting, before SQLAlchemy could wrap it in a DBAPIError.
    """
    log.warning("database unreachable: %r", exc)
    return _json(
        503,
        error_body("storage.busy", "服务器繁忙，请稍后重试", "The server is busy; please retry", {}),
        {"Retry-After": "5"},
    )


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _json(
        HTTP_500_INTERNAL_SERVER_ERROR,
        error_body("internal", "服务器内部错误，已记录", "Internal server error; it has been logged"),
    )


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    NotAuthorizedException: http_exception_handler,
    PermissionDeniedException: http_exception_handler,
    NotFoundException: http_exception_handler,
    HTTPException: http_exception_handler,
    DBAPIError: storage_error_handler,
    ConnectionError: connection_error_handler,
    asyncpg_exc.PostgresConnectionError: connection_error_handler,
    asyncpg_exc.CannotConnectNowError: connection_error_handler,
    Exception: internal_error_handler,
}
