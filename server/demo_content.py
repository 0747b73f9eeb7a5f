"""Demo content that builds on the feature services (price list, cases in different states)."""

from __future__ import annotations

from server.storage.db import Database


async def seed(db: Database) -> None:
    return None
