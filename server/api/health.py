"""Health: is the server up, which database, which schema revision."""

from __future__ import annotations

import time
from datetime import datetime

import msgspec
from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec

from server.auth.guards import PUBLIC
from server.storage.db import Database
from server.storage.migrate import current_revision


class Health(msgspec.Struct, kw_only=True):
    status: str
    dialect: str
    revision: str | None
    server_time: datetime
    # "full" (and 503) for a while after a write failed for lack of space, so a load balancer or a
    # monitor sees what the phones see (server/errors.py STORAGE_FULL_HEALTH_FOR).
    storage: str = "ok"


@get("/api/health", opt=PUBLIC, tags=["system"], responses={503: ResponseSpec(data_container=Health)})
async def health(db: Database) -> Response[Health]:
    full = time.monotonic() < db.storage_full_until
    # A full disk can still be read: the revision is asked either way.
    async with db.read() as conn:
        rev = await current_revision(conn)
    body = Health(status="degraded" if full else "ok", dialect=db.dialect, revision=rev,
                  server_time=db.clock.now(), storage="full" if full else "ok")
    return Response(body, status_code=503 if full else 200)
