"""The transport floor for bench/sync_bench.py: the push endpoint with no semantics at all.

Same framework (Litestar on uvicorn), same wire contract (PushIn decoded and validated, PushOut
encoded), no middleware, no database: every mutation is answered "applied". What the bench's client
reaches against this is the most any push implementation on this stack could reach on this machine.

    .venv/bin/python -m uvicorn bench.floor_app:app --port 8001
"""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Litestar, post

from server.sync.protocol import MutationResult, PushIn, PushOut


@post("/api/sync/push", status_code=200)
async def push(data: PushIn) -> PushOut:
    return PushOut(results=[MutationResult(mutation_id=m.mutation_id, status="applied") for m in data.mutations],
                   expected_next_id=data.mutations[-1].mutation_id + 1 if data.mutations else 1,
                   server_time=datetime.now(UTC))


app = Litestar([push])
