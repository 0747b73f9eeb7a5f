"""Pull: every change in the caller's scopes since their cursor, streamed from stored JSON."""

from __future__ import annotations

import msgspec

from server.auth.principal import Principal
from server.storage.db import Database
from server.sync.feed import current_seq, read_changes
from server.sync.scopes import scopes_for

MAX_LIMIT = 5000
_enc = msgspec.json.Encoder()


async def pull(db: Database, who: Principal, cursor: int, limit: int) -> bytes:
    limit = max(1, min(limit, MAX_LIMIT))
    scopes = scopes_for(who)
    reset = False
    async with db.read() as conn:
        if cursor > 0 and cursor > await current_seq(conn):
            # The client's cursor comes from another database (restored backup, reinstall):
            # start over from zero and tell it to clear its cached copies first.
            cursor, reset = 0, True
        rows = await read_changes(conn, scopes, cursor, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    new_cursor = rows[-1].seq if rows else cursor
    # Stored documents are already JSON: splice them in rather than decode and re-encode.
    parts = [
        b'{"seq":%d,"entity":%b,"id":%b,"op":%b,"doc":%b}'
        % (r.seq, _enc.encode(r.entity), _enc.encode(r.entity_id), _enc.encode(r.op),
           r.doc.encode() if r.doc is not None else b"null")
        for r in rows
    ]
    return b'{"changes":[%b],"cursor":%d,"more":%b,"reset":%b,"server_time":%b}' % (
        b",".join(parts), new_cursor, b"true" if more else b"false", b"true" if reset else b"false",
        _enc.encode(db.clock.now()),
    )
