"""Content-addressed blobs (signatures, photos): validated, idempotent, uploaded apart from mutations.

An upload names its SHA-256; the server recomputes it, checks size, declared type and magic bytes,
and decodes the whole image under a pixel limit (a decompression bomb or a truncated file is
refused). The original bytes are kept: the hash is the evidence a signed service slip refers to,
and re-encoding would change it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import warnings

from PIL import Image
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.domain.errors import fail
from server.storage.db import Database
from server.storage.schema import blobs, users
from server.sync.mutations import BlobMissing

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


async def put_blob(db: Database, who: Principal, sha256: str, content_type: str, data: bytes,
                   max_bytes: int) -> dict:
    check_sha256(sha256)
    content_type = content_type.split(";")[0].strip().lower()
    if len(data) > max_bytes:
        raise fail("blob.too_large", "文件过大", f"The file exceeds {max_bytes} bytes", kind="too_large")
    if content_type not in ACCEPTED:
        raise fail("blob.bad_type", "只接受 PNG、JPEG 或 WebP 图片", "Only PNG, JPEG or WebP images are accepted",
                   kind="invalid", accepted=sorted(ACCEPTED))
    if hashlib.sha256(data).hexdigest() != sha256:
        raise fail("blob.hash_mismatch", "文件内容与标识不符，请重新上传",
                   "The content does not match its SHA-256; upload again", kind="invalid")
    if not _magic_ok(content_type, data):
        raise fail("blob.bad_image", "文件类型与内容不符", "The file's content is not of its declared type",
                   kind="invalid")
    # Decoding a large image takes tens of milliseconds: keep it off the event loop.
    await asyncio.to_thread(_decode_image, content_type, data)
    async with db.transaction() as uow:
        ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(blobs)
        await uow.conn.execute(
            ins.values(sha256=sha256, content_type=content_type, size=len(data), data=data,
                       created_at=uow.now, created_by=who.user_id)
            .on_conflict_do_nothing(index_elements=[blobs.c.sha256])
        )
    return {"sha256": sha256, "size": len(data)}


async def has_blob(db: Database, sha256: str) -> bool:
    check_sha256(sha256)
    async with db.read() as conn:
        return (await conn.execute(select(blobs.c.size).where(blobs.c.sha256 == sha256))).first() is not None


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
