"""Background work started with the server (the reminder scheduler)."""

from __future__ import annotations

import asyncio

from litestar import Litestar


async def start_background(app: Litestar) -> list[asyncio.Task]:
    return []


async def stop_background(tasks: list[asyncio.Task]) -> None:
    for t in tasks:
        t.cancel()
    for t in tasks:
        try:
            await t
        except asyncio.CancelledError:
            pass
