"""The compound's slip-signing keys in the database: made on first use, rotated with an overlap, and
published to the guards' phones through the change feed (entity `slip_key` in the gate scope).

Run a rotation: ``.venv/bin/python -m server.gate.keystore rotate COMPOUND_ID [--overlap-days 7]``
(see docs/deploy-notes-gate.md).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.domain.release_slips import MAX_VALIDITY
from server.gate import signing
from server.gate.signing import KeyRecord, PublicKey
from server.gate.tables import slip_keys
from server.storage.db import UnitOfWork
from server.sync.scopes import gate_scope

# A retired key must keep verifying for as long as a slip signed just before the rotation can live.
MIN_OVERLAP = MAX_VALIDITY
DEFAULT_OVERLAP = timedelta(days=7)

_enc = msgspec.json.Encoder()


def new_kid() -> str:
    # Random rather than a counter: two processes creating a key at once can never pick the same id.
    return "k" + secrets.token_hex(5)


def _record(row) -> KeyRecord:  # noqa: ANN001
    return KeyRecord(
        kid=row.kid,
        private_raw=bytes(row.private_raw),
        public=row.public,
        created_at=row.created_at,
        retired_at=row.retired_at,
        verify_until=row.verify_until,
    )


def key_doc(compound_id: str, key: KeyRecord) -> bytes:
    """The `slip_key` feed document: what verify.js reads as keys[kid] = {public, verify_until}."""
    until = None if key.verify_until is None else int(key.verify_until.timestamp())
    return _enc.encode({"kid": key.kid, "compound_id": compound_id, "public": key.public, "verify_until": until})


def _emit_key(uow: UnitOfWork, compound_id: str, key: KeyRecord) -> None:
    uow.emit(gate_scope(compound_id), "slip_key", key.kid, "upsert", key_doc(compound_id, key))


async def _select_active(conn: AsyncConnection, compound_id: str, *, lock: bool) -> KeyRecord | None:
    q = select(slip_keys).where(slip_keys.c.compound_id == compound_id, slip_keys.c.active.is_(True))
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = (await conn.execute(q)).first()
    return _record(row) if row is not None else None


async def signing_key(uow: UnitOfWork, compound_id: str) -> KeyRecord:
    """The compound's active key, created on first use.

    Two server processes may both find no key: each inserts with ON CONFLICT DO NOTHING against the
    one-active-key-per-compound index, so exactly one insert wins and both then sign with its key.
    """
    key = await _select_active(uow.conn, compound_id, lock=False)
    if key is not None:
        return key
    fresh = signing.generate_key(new_kid(), uow.now)
    ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(slip_keys)
    result = await uow.conn.execute(
        ins.values(
            kid=fresh.kid, compound_id=compound_id, private_raw=fresh.private_raw, public=fresh.public,
            created_at=fresh.created_at, retired_at=None, verify_until=None, active=True,
        ).on_conflict_do_nothing(index_elements=[slip_keys.c.compound_id], index_where=slip_keys.c.active)
    )
    if result.rowcount:
        _emit_key(uow, compound_id, fresh)
        uow.audit(entity="slip_key", entity_id=fresh.kid, action="slip_key.created", actor_id=None,
                  actor_role=None, device_id=None, compound_id=compound_id, data={"public": fresh.public})
        return fresh
    key = await _select_active(uow.conn, compound_id, lock=False)
    if key is None:  # pragma: no cover - the conflicting insert committed, so it is visible now
        raise RuntimeError(f"no active slip key for {compound_id} after a conflicting insert")
    return key


async def key_by_kid(conn: AsyncConnection, compound_id: str, kid: str) -> KeyRecord | None:
    row = (
        await conn.execute(select(slip_keys).where(slip_keys.c.compound_id == compound_id, slip_keys.c.kid == kid))
    ).first()
    return _record(row) if row is not None else None


async def public_keys(conn: AsyncConnection, compound_id: str, now: datetime) -> dict[str, PublicKey]:
    """The keys a guard's phone should hold now (the same as the `slip_key` entities in the feed)."""
    rows = (await conn.execute(select(slip_keys).where(slip_keys.c.compound_id == compound_id))).all()
    keyring = signing.Keyring(compound_id=compound_id, keys=tuple(_record(r) for r in rows))
    return signing.public_keys(keyring, now)


async def rotate(
    uow: UnitOfWork, compound_id: str, *, overlap: timedelta = DEFAULT_OVERLAP, actor_id: str | None = None
) -> KeyRecord:
    """Retire the active key (it keeps verifying for `overlap`) and sign with a new one from now on.

    Keys whose overlap is over are deleted and removed from the guards' phones.
    """
    if overlap < MIN_OVERLAP:
        raise ValueError(f"overlap must be at least {MIN_OVERLAP} (the longest slip validity)")
    now = uow.now
    old = await _select_active(uow.conn, compound_id, lock=True)
    if old is None:
        return await signing_key(uow, compound_id)
    retired = msgspec.structs.replace(old, retired_at=now, verify_until=now + overlap)
    await uow.conn.execute(
        update(slip_keys)
        .where(slip_keys.c.kid == old.kid)
        .values(active=False, retired_at=now, verify_until=retired.verify_until)
    )
    _emit_key(uow, compound_id, retired)
    fresh = signing.generate_key(new_kid(), now)
    await uow.conn.execute(
        slip_keys.insert().values(
            kid=fresh.kid, compound_id=compound_id, private_raw=fresh.private_raw, public=fresh.public,
            created_at=now, retired_at=None, verify_until=None, active=True,
        )
    )
    _emit_key(uow, compound_id, fresh)
    dead = (
        await uow.conn.execute(
            select(slip_keys.c.kid).where(
                slip_keys.c.compound_id == compound_id,
                slip_keys.c.active.is_(False),
                slip_keys.c.verify_until <= now,
            )
        )
    ).scalars().all()
    if dead:
        await uow.conn.execute(delete(slip_keys).where(slip_keys.c.kid.in_(dead)))
        for kid in dead:
            uow.emit(gate_scope(compound_id), "slip_key", kid, "remove", None)
    uow.audit(entity="slip_key", entity_id=fresh.kid, action="slip_key.rotated", actor_id=actor_id,
              actor_role=None, device_id=None, compound_id=compound_id,
              data={"retired": old.kid, "verify_until": retired.verify_until.isoformat(), "dropped": list(dead)})
    return fresh


def _main(argv: list[str] | None = None) -> int:
    import argparse
    import asyncio
    import sys

    from server.settings import SettingsError, from_env
    from server.storage.db import Database
    from server.storage.migrate import upgrade
    from server.storage.schema import compounds

    parser = argparse.ArgumentParser(prog="python -m server.gate.keystore")
    sub = parser.add_subparsers(dest="cmd", required=True)
    rot = sub.add_parser("rotate", help="retire the compound's signing key and start a new one")
    rot.add_argument("compound_id")
    rot.add_argument("--overlap-days", type=float, default=DEFAULT_OVERLAP.days)
    args = parser.parse_args(argv)

    overlap = timedelta(days=args.overlap_days)
    if overlap < MIN_OVERLAP:
        print(f"--overlap-days 至少 {MIN_OVERLAP.days} 天（放行条最长有效期） / --overlap-days must be at least "
              f"{MIN_OVERLAP.days} (the longest a release slip stays valid): {args.overlap_days:g}", file=sys.stderr)
        return 2
    try:
        url = from_env().effective_database_url
    except SettingsError as e:
        print(e, file=sys.stderr)
        return 2

    async def run() -> str | list[str]:
        await upgrade(url)
        db = Database(url)
        try:
            async with db.transaction() as uow:
                known = (await uow.conn.execute(select(compounds.c.id).order_by(compounds.c.id))).scalars().all()
                if args.compound_id not in known:
                    return list(known)
                key = await rotate(uow, args.compound_id, overlap=overlap)
            return key.kid
        finally:
            await db.dispose()

    result = asyncio.run(run())
    if isinstance(result, list):
        print(f"没有小区 {args.compound_id} / no compound {args.compound_id}; compounds here: "
              f"{', '.join(result) or '(none)'}", file=sys.stderr)
        return 2
    print(f"new signing key: {result}")
    return 0

if __name__ == "__main__":
    raise SystemExit(_main())
