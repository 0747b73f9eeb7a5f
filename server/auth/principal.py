"""Who is calling: the authenticated user and the device their token belongs to."""

from __future__ import annotations

import msgspec


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    username: str
    display_name: str
    roles: frozenset[str]
    compound_id: str
    device_id: str

    @property
    def primary_role(self) -> str:
        return sorted(self.roles)[0] if self.roles else ""

    def has_any(self, roles: frozenset[str] | set[str]) -> bool:
        return bool(self.roles & roles)
