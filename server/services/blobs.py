"""Content-addressed blobs (signatures, photos): validated, idempotent, uploaded apart from mutations.

An upload names its SHA-256; the server recomputes it, checks size, declared type and magic bytes,
and decodes the whole image under a pixel limit (a decompression bomb or a truncated file is
refused). It arrives whole (PUT) or in pieces that resume where a broken link left off (PATCH).
The original bytes are kept: the hash is the evidence a signed service slip refers to, and
re-encoding would change it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import warnings
from datetime import timedelta

from PIL import Image
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.domain.errors import DomainError, fail
from server.storage.db import Database, UnitOfWork
from server.storage.schema import blob_upload_parts, blob_uploads, blobs, users
from server.sync.mutations import BlobMissing
from server.sync.protocol import BlobUploadOut

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# Pillow format name and leading bytes for each accepted type.
ACCEPTED = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
MAX_PIXELS = 24_000_000  # a 6000x4000 photo; far more is a pixel-flood attack, not a photo


def check_sha256(sha256: str) -> str:
    if not SHA256_RE.match(sha256):
        raise fail("blob.bad_hash", "文件标识无效", "The blob id must be a lowercase SHA-256 hex digest",
                   kind="invalid")
    return sha256


def _magic_ok(content_type: str, data: bytes) -> bool:
    if content_type == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if content_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return False


def _decode_image(content_type: str, data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[ACCEPTED[content_type]]) as im:
                w, h = im.size
                if w * h > MAX_PIXELS or w == 0 or h == 0:
                    raise ValueError("too many pixels")
                im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning, ValueError, OSError,
                SyntaxError) as e:
            raise fail("blob.bad_image", "图片无法识别或过大", f"The image is invalid or too large: {e}",
                       kind="invalid") from e


def _check_type(content_type: str) -> str:
    content_type = content_type.split(";")[0].strip().lower()
    if content_type not in ACCEPTED:
        raise fail("blob.bad_type", "只接受 PNG、JPEG 或 WebP 图片", "Only PNG, JPEG or WebP images are accepted",
                   kind="invalid", accepted=sorted(ACCEPTED))
    return content_type


def _too_large(max_bytes: int) -> DomainError:
    return fail("blob.too_large", "文件过大", f"The file exceeds {max_bytes} bytes", kind="too_large",
                max_bytes=max_bytes)


async def _verify(sha256: str, content_type: str, data: bytes) -> None:
    """The checks every stored blob has passed, whether it came whole or in pieces."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise fail("blob.hash_mismatch", "文件内容与标识不符，请重新上传",
                   "The content does not match its SHA-256; upload again", kind="invalid")
    if not _magic_ok(content_type, data):
        raise fail("blob.bad_image", "文件类型与内容不符", "The file's content is not of its declared type",
                   kind="invalid")
    # Decoding a large image takes tens of milliseconds: keep it off the event loop.
    await asyncio.to_thread(_decode_image, content_type, data)


async def _store(uow: UnitOfWork, who: Principal, sha256: str, content_type: str, data: bytes) -> None:
    ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(blobs)
    await uow.conn.execute(
        ins.values(sha256=sha256, content_type=content_type, size=len(data), data=data,
                   created_at=uow.now, created_by=who.user_id)
        .on_conflict_do_nothing(index_elements=[blobs.c.sha256])
    )


async def put_blob(db: Database, who: Principal, sha256: str, content_type: str, data: bytes,
                   max_bytes: int) -> dict:
    check_sha256(sha256)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    content_type = _check_type(content_type)
    await _verify(sha256, content_type, data)
    async with db.transaction() as uow:
        await _store(uow, who, sha256, content_type, data)
    return {"sha256": sha256, "size": len(data)}


# --- resumable upload (design guarantee 5) ---------------------------------------------------------
# A phone in a lift shaft loses the link mid-photo. Instead of sending the whole photo again, it asks
# how much arrived (HEAD → Upload-Offset) and sends the rest in pieces (PATCH with Upload-Offset and
# Upload-Length). Pieces are kept per user: nobody can see, extend or finish another person's upload.

# A partial upload untouched this long is abandoned (the phone was wiped, the job cancelled): its
# pieces are deleted when the next upload starts, so they cannot pile up.
ABANDONED_AFTER = timedelta(days=7)
_PURGE_BATCH = 50


def _offset_mismatch(received: int) -> DomainError:
    return fail("blob.offset_mismatch", "上传位置不一致，请从服务器记录的位置继续",
                f"This piece does not start where the upload stands; continue from byte {received}",
                kind="conflict", offset=received)


def _bad_range(en: str) -> DomainError:
    return fail("blob.bad_range", "上传分段的位置或长度无效", en, kind="invalid")


def _key(table, sha256: str, user_id: str):  # noqa: ANN001, ANN202
    return (table.c.sha256 == sha256) & (table.c.user_id == user_id)


async def _stored_size(conn, sha256: str) -> int | None:  # noqa: ANN001
    return (await conn.execute(select(blobs.c.size).where(blobs.c.sha256 == sha256))).scalar()


async def upload_offset(db: Database, who: Principal, sha256: str) -> tuple[bool, int]:
    """(stored, offset): a stored blob is complete; otherwise how many bytes of it this user has sent."""
    check_sha256(sha256)
    async with db.read() as conn:
        size = await _stored_size(conn, sha256)
        if size is not None:
            return True, size
        received = (await conn.execute(
            select(blob_uploads.c.received).where(_key(blob_uploads, sha256, who.user_id)))).scalar()
    return False, received or 0


async def _purge_abandoned(uow: UnitOfWork) -> None:
    stale = (await uow.conn.execute(
        select(blob_uploads.c.sha256, blob_uploads.c.user_id)
        .where(blob_uploads.c.updated_at < uow.now - ABANDONED_AFTER).limit(_PURGE_BATCH))).all()
    for sha, user_id in stale:
        await _discard(uow, user_id, sha)


async def _discard(uow: UnitOfWork, user_id: str, sha256: str) -> None:
    for table in (blob_upload_parts, blob_uploads):
        await uow.conn.execute(delete(table).where(_key(table, sha256, user_id)))


async def append_chunk(db: Database, who: Principal, sha256: str, *, offset: int, total: int,
                       content_type: str, chunk: bytes, max_bytes: int) -> BlobUploadOut:
    """Append the piece that starts at `offset` of a `total`-byte blob; at the last piece, store it.

    Idempotent like PUT: a piece of a blob already stored changes nothing and answers complete. An
    empty piece at offset == total finishes an upload whose last answer was lost before it was stored.
    """
    check_sha256(sha256)
    content_type = _check_type(content_type)
    if total > max_bytes:
        raise _too_large(max_bytes)
    if total < 1 or offset < 0 or offset + len(chunk) > total or (not chunk and offset != total):
        raise _bad_range(f"A piece of {len(chunk)} bytes at offset {offset} does not fit a blob of {total} bytes")
    async with db.transaction() as uow:
        size = await _stored_size(uow.conn, sha256)
        if size is not None:
            return BlobUploadOut(sha256=sha256, offset=size, complete=True)
        q = select(blob_uploads).where(_key(blob_uploads, sha256, who.user_id))
        row = (await uow.conn.execute(q.with_for_update() if uow.dialect == "postgresql" else q)).first()
        if row is not None and (row.total != total or row.content_type != content_type):
            # The same hash declared differently: only a fresh start (offset 0) may redo it.
            if offset != 0:
                raise _offset_mismatch(0)
            await _discard(uow, who.user_id, sha256)
            row = None
        if row is None:
            if offset != 0:
                raise _offset_mismatch(0)
            await _purge_abandoned(uow)
            ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(blob_uploads)
            await uow.conn.execute(ins.values(
                sha256=sha256, user_id=who.user_id, content_type=content_type, total=total, received=0,
                created_at=uow.now, updated_at=uow.now).on_conflict_do_nothing())
            # A twin request may have created it first: take its row (and, on PostgreSQL, its lock).
            row = (await uow.conn.execute(q.with_for_update() if uow.dialect == "postgresql" else q)).one()
        if offset != row.received:
            raise _offset_mismatch(row.received)
        received = row.received + len(chunk)
        if chunk:
            await uow.conn.execute(insert(blob_upload_parts).values(
                sha256=sha256, user_id=who.user_id, start=offset, data=chunk))
            await uow.conn.execute(update(blob_uploads).where(_key(blob_uploads, sha256, who.user_id))
                                   .values(received=received, updated_at=uow.now))
    if received < total:
        return BlobUploadOut(sha256=sha256, offset=received, complete=False)
    return await _finish(db, who, sha256, content_type, total)


async def _finish(db: Database, who: Principal, sha256: str, content_type: str, total: int) -> BlobUploadOut:
    async with db.read() as conn:
        parts = (await conn.execute(
            select(blob_upload_parts.c.start, blob_upload_parts.c.data)
            .where(_key(blob_upload_parts, sha256, who.user_id)).order_by(blob_upload_parts.c.start))).all()
    data = b"".join(bytes(p.data) for p in parts)
    try:
        if len(data) != total:  # pieces are contiguous by construction; this guards the invariant
            raise _bad_range(f"The pieces hold {len(data)} bytes, not the declared {total}")
        await _verify(sha256, content_type, data)
    except DomainError:
        # Bytes that fail the checks are not worth resuming: the next attempt starts from zero.
        async with db.transaction() as uow:
            await _discard(uow, who.user_id, sha256)
        raise
    async with db.transaction() as uow:
        await _store(uow, who, sha256, content_type, data)
        await _discard(uow, who.user_id, sha256)
    return BlobUploadOut(sha256=sha256, offset=total, complete=True)


async def get_blob(db: Database, who: Principal, sha256: str) -> tuple[str, bytes]:
    """Object-level read rule: desk-side roles read their compound's files; field staff their own.

    Signatures and ID copies are personal data: a hash learned from a slip must not be enough.
    """
    from server.sync.scopes import DESK_READERS

    check_sha256(sha256)
    q = (
        select(blobs.c.content_type, blobs.c.data)
        .join(users, users.c.id == blobs.c.created_by)
        .where(blobs.c.sha256 == sha256, users.c.compound_id == who.compound_id)
    )
    if not (who.roles & DESK_READERS):
        q = q.where(blobs.c.created_by == who.user_id)
    async with db.read() as conn:
        row = (await conn.execute(q)).first()
    if row is None:
        # Not found and not yours look the same: the answer must not confirm that a hash exists.
        raise fail("blob.not_found", "文件不存在", "No such file", kind="not_found")
    return row.content_type, bytes(row.data)


async def require_blobs(conn: AsyncConnection, hashes: list[str]) -> None:
    """Inside a mutation: every referenced blob must be uploaded, else the mutation waits."""
    wanted = [check_sha256(h) for h in hashes if h]
    if not wanted:
        return
    present = set((await conn.execute(select(blobs.c.sha256).where(blobs.c.sha256.in_(wanted)))).scalars())
    for h in wanted:
        if h not in present:
            raise BlobMissing(h)
