"""Health: is the server up, which database, which schema revision."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import get

from server.auth.guards import PUBLIC
from server.storage.db import Database
from server.storage.migrate import current_revision


class Health(msgspec.Struct, kw_only=True):
    status: str
    dialect: str
    revision: str | None
    server_time: datetime


@get("/api/health", opt=PUBLIC, tags=["system"])
async def health(db: Database) -> Health:
    async with db.read() as conn:
        rev = await current_revision(conn)
    return Health(status="ok", dialect=db.dialect, revision=rev, server_time=db.clock.now())
