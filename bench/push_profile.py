"""Where a push's time goes, in process (no HTTP): median time per batch, and a cProfile listing.

    .venv/bin/python bench/push_profile.py            # SQLite temp file
    .venv/bin/python bench/push_profile.py --profile  # plus the top functions by own time

Seeds the same 10,000 dispatched jobs as sync_bench.py, then calls server.sync.push.push directly
with batches of 100 job.note mutations (20 jobs x 5 notes), the collector tuned as `serve` tunes it.
Not part of the test run; used to decide what to optimise (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sync_bench  # noqa: E402


async def run(profile: bool, batches: int) -> None:
    from server.auth.principal import Principal
    from server.storage.db import Database
    from server.sync.protocol import PushIn
    from server.sync.push import push

    tmp = Path(tempfile.mkdtemp(prefix="estatedesk-profile-"))
    url = f"sqlite+aiosqlite:///{tmp / 'server.sqlite3'}"
    jobs = await sync_bench.seed(url, tmp)
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    db = Database(url)
    who = Principal(user_id="usr_tech", username="tech", display_name="tech", roles=frozenset({"technician"}),
                    compound_id="cmp_demo", device_id="dev_profile")
    dec = msgspec.json.Decoder(PushIn)
    cid = "profile" + uuid.uuid4().hex
    per = sync_bench.BATCH // sync_bench.NOTES_PER_JOB_PER_BATCH
    bodies = [sync_bench.push_body(cid, 1 + b * sync_bench.BATCH, jobs[1 + b * per: 1 + (b + 1) * per])
              for b in range(5 + batches)]
    for body in bodies[:5]:  # warm-up: compiled statements, caches
        await push(db, who, dec.decode(body))
    times = []
    prof = cProfile.Profile() if profile else None
    for body in bodies[5:]:
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        out = await push(db, who, dec.decode(body))
        if prof:
            prof.disable()
        times.append(time.perf_counter() - t0)
        assert all(r.status == "applied" for r in out.results)
    await db.dispose()
    times.sort()
    print(f"push in process: median {times[len(times) // 2] * 1000:.2f} ms per batch of {sync_bench.BATCH}, "
          f"p10 {times[len(times) // 10] * 1000:.2f} ms, p90 {times[len(times) * 9 // 10] * 1000:.2f} ms"
          + (" (profiled: slower)" if profile else ""))
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--batches", type=int, default=100)
    args = ap.parse_args()
    asyncio.run(run(args.profile, args.batches))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
