"""Which of a caller's roles a rule sees: a person may hold several, the rule judges one."""

from __future__ import annotations

from collections.abc import Iterable

from server.auth.principal import Principal
from server.domain.roles import Role


def acting_role(who: Principal, prefer: Iterable[Role]) -> Role:
    """The first preferred role the caller holds, else their primary role (the rule then refuses it)."""
    for role in prefer:
        if str(role) in who.roles:
            return Role(role)
    return Role(who.primary_role) if who.primary_role else Role.RESIDENT
