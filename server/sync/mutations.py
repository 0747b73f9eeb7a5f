"""The registry of mutation types a phone may push, each with the roles allowed to send it.

Feature services register handlers with @mutation("job.arrive", roles=...). A handler receives the
open unit of work and the decoded args, applies domain rules, and raises DomainError to refuse. It
returns None, or a Notice when the mutation applied but the person must still be told something.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.auth.principal import Principal
from server.domain.errors import Notice
from server.domain.roles import Role
from server.storage.db import UnitOfWork


@dataclass(frozen=True, slots=True)
class MutationContext:
    uow: UnitOfWork
    principal: Principal
    client_id: str
    mutation_id: int
    device_time: datetime | None
    # When the person acted, in server time: the phone's own server-time estimate (D128), else
    # device_time moved by the batch's clock offset (D35); never after the receive time; None when
    # the phone sent no clock readings.
    acted_at: datetime | None = None
    # Seconds the phone's clock moved between the act and the send, when beyond drift (the phone's
    # server-time estimate minus the D35 reading); kept on the step as evidence (D128).
    clock_changed_s: int | None = None

    @property
    def now(self) -> datetime:
        return self.uow.now


Handler = Callable[[MutationContext, dict[str, Any]], Awaitable[Notice | None]]


@dataclass(frozen=True, slots=True)
class Registered:
    handler: Handler
    roles: frozenset[str]
    # False for handlers whose only writes are staged aggregates (written at flush): a refusal then
    # leaves nothing in the database to undo, so push skips the per-mutation savepoint.
    direct_writes: bool = True
    # The case a mutation's args name, when that can be read without running it: push reads all
    # of a batch's cases in one query before the first step.
    case_of: Callable[[dict[str, Any]], str | None] | None = None


_REGISTRY: dict[str, Registered] = {}


def mutation(
    type_: str,
    *,
    roles: Iterable[Role],
    direct_writes: bool = True,
    case_of: Callable[[dict[str, Any]], str | None] | None = None,
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _REGISTRY[type_] = Registered(fn, frozenset(str(r) for r in roles), direct_writes, case_of)
        return fn

    return register


def registry() -> dict[str, Registered]:
    # Importing the feature modules registers their handlers.
    from server.sync import handlers  # noqa: F401

    return _REGISTRY


class BlobMissing(Exception):
    """A mutation references a blob that has not been uploaded yet: wait, do not record."""

    def __init__(self, sha256: str) -> None:
        super().__init__(sha256)
        self.sha256 = sha256
