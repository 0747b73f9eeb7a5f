"""The one domain error type: a closed reason code plus a Chinese and an English message.

Pure rule functions return a `Refusal` (or raise `DomainError` wrapping one). The HTTP layer maps
`DomainError` to a 4xx response in exactly one place (server/errors.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

import msgspec


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    """Why a rule refused: `code` is a member of a module's closed StrEnum of reasons."""

    code: str
    zh: str
    en: str
    # What is missing or which fields are wrong; shown by the desk ("the slip is not signed").
    details: dict[str, Any] = {}
    # The HTTP layer picks the status from this kind: invalid -> 400/422, forbidden -> 403,
    # not_found -> 404, conflict -> 409.
    kind: str = "conflict"


class Notice(NamedTuple):
    """What the server tells a phone about a mutation it applied, not refused: it is recorded, and yet
    something about it is for the person to know (a guard's release recorded as an incident). The push
    answer carries it beside "applied" in the refusal's fields, so the phone shows it the same way."""

    code: str
    zh: str
    en: str
    details: dict[str, Any]


class DomainError(Exception):
    """Raised by services when a rule refuses. Carries exactly one Refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"{refusal.code}: {refusal.en}")
        self.refusal = refusal


def refuse(code: StrEnum | str, zh: str, en: str, *, kind: str = "conflict", **details: Any) -> Refusal:
    return Refusal(code=str(code), zh=zh, en=en, details=details, kind=kind)


def fail(code: StrEnum | str, zh: str, en: str, *, kind: str = "conflict", **details: Any) -> DomainError:
    return DomainError(refuse(code, zh, en, kind=kind, **details))
