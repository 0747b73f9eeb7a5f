"""Demo content that builds on the feature services (price list, cases in different states)."""

from __future__ import annotations

from server.demo_cases import seed_cases
from server.services.gate import seed_demo_slips
from server.services.visits import seed_services_demo
from server.storage.db import Database


async def seed(db: Database, *, sample_cases: bool = True) -> None:
    if sample_cases:
        await seed_cases(db)
    await seed_demo_slips(db, "cmp_demo")
    await seed_services_demo(db, "cmp_demo")
