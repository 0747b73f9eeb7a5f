"""Background work started with the server (the reminder scheduler)."""

from __future__ import annotations

import asyncio

from litestar import Litestar


async def start_background(app: Litestar) -> list[asyncio.Task]:
    from server.notify.scheduler import run_forever

    settings = app.state.settings
    tasks: list[asyncio.Task] = []
    if settings.run_scheduler:
        tasks.append(asyncio.create_task(
            run_forever(app.state.db, key_dir=settings.keys_dir, subject=settings.push_subject),
            name="reminder-scheduler",
        ))
    return tasks


async def stop_background(tasks: list[asyncio.Task]) -> None:
    for t in tasks:
        t.cancel()
    for t in tasks:
        try:
            await t
        except asyncio.CancelledError:
            pass
