"""The one VAPID key all server processes share, kept in the database (first writer wins).

Why the database and not server/notify/vapid.py's key file: several server processes behind a load
balancer share PostgreSQL, not a disk. Two processes with their own key files would sign with
different keys, and a push service refuses (403) a push signed with any key other than the one the
phone subscribed with. The file is still honoured: a key created by an earlier single-machine run
is imported as the candidate, so the phones already subscribed with it keep working.
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.notify.tables import vapid_keys
from server.notify.vapid import PRIVATE_KEY_FILENAME, VapidKeyError, VapidKeys, application_server_key
from server.storage.db import Database

log = logging.getLogger(__name__)

_ROW_ID = 1
# The key never changes once stored, so each process reads it once per Database.
_cache: weakref.WeakKeyDictionary[Database, VapidKeys] = weakref.WeakKeyDictionary()


async def shared_vapid_keys(db: Database, key_dir: Path | None = None) -> VapidKeys:
    """The stored key pair; on the very first start, store one (imported from `key_dir` if present)."""
    cached = _cache.get(db)
    if cached is not None:
        return cached
    keys = await _read(db)
    if keys is None:
        candidate = _file_key(key_dir) or ec.generate_private_key(ec.SECP256R1())
        pem = candidate.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        async with db.transaction() as uow:
            ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(vapid_keys)
            # Several processes may start at once: exactly one insert lands, all read that one back.
            await uow.conn.execute(
                ins.values(
                    id=_ROW_ID, private_pem=pem, application_server_key=application_server_key(candidate),
                    created_at=uow.now,
                ).on_conflict_do_nothing(index_elements=[vapid_keys.c.id])
            )
        keys = await _read(db)
        assert keys is not None
        log.info("VAPID key in use: %s", keys.application_server_key)
    _cache[db] = keys
    return keys


async def _read(db: Database) -> VapidKeys | None:
    async with db.read() as conn:
        pem = (await conn.execute(select(vapid_keys.c.private_pem).where(vapid_keys.c.id == _ROW_ID))).scalar()
    if pem is None:
        return None
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise VapidKeyError("the stored VAPID key is not a P-256 key")
    return VapidKeys(key)


def _file_key(key_dir: Path | None) -> ec.EllipticCurvePrivateKey | None:
    if key_dir is None or not (key_dir / PRIVATE_KEY_FILENAME).exists():
        return None
    from server.notify.vapid import load_or_create_vapid_keys

    return load_or_create_vapid_keys(key_dir).private_key
