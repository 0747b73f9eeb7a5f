"""Which slices of the change feed a caller may pull."""

from __future__ import annotations

from server.auth.principal import Principal
from server.domain.roles import DESK, LEADERSHIP, Role

DESK_READERS = frozenset(str(r) for r in DESK | LEADERSHIP | {Role.ENGINEERING, Role.CASHIER, Role.TEAM_LEAD})
GATE_READERS = frozenset({str(Role.GUARD)}) | DESK_READERS


def user_scope(user_id: str) -> str:
    return f"user:{user_id}"


def desk_scope(compound_id: str) -> str:
    return f"desk:{compound_id}"


def gate_scope(compound_id: str) -> str:
    return f"gate:{compound_id}"


def scopes_for(p: Principal) -> list[str]:
    scopes = [user_scope(p.user_id)]
    if p.roles & DESK_READERS:
        scopes.append(desk_scope(p.compound_id))
    if p.roles & GATE_READERS:
        scopes.append(gate_scope(p.compound_id))
    return scopes
