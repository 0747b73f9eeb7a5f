"""Alembic environment: runs on a connection handed in by server.storage.migrate (async engines)."""

from __future__ import annotations

from alembic import context

# Every module that defines tables on the shared metadata, so autogenerate sees the whole schema.
import server.gate.tables  # noqa: F401, E402
import server.notify.tables  # noqa: F401, E402
import server.storage.tables_contact_slips  # noqa: F401, E402
import server.storage.tables_services  # noqa: F401, E402
from server.storage.schema import metadata

config = context.config


def _render_item(type_, obj, autogen_context):  # noqa: ANN001
    # Migrations must not import application types: render our UTC wrapper as a plain timestamp.
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    # `alembic` on the command line: run through the async engine for ESTATEDESK_DATABASE_URL.
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    from server.settings import from_env

    async def _main() -> None:
        engine = create_async_engine(from_env().effective_database_url)
        async with engine.begin() as conn:
            await conn.run_sync(_run)
        await engine.dispose()

    asyncio.run(_main())
else:
    _run(connection)
