"""Resumable blob uploads: a photo cut off mid-way continues where the server says it stands (design guarantee 5)."""

from __future__ import annotations

import hashlib
import io
import random
from datetime import timedelta

from PIL import Image
from sqlalchemy import text

from tests.conftest import login


def _photo(seed: int = 7) -> bytes:
    """A JPEG of ~100 KB that does not compress away: noise, like a real photo's detail."""
    rnd = random.Random(seed)
    im = Image.frombytes("RGB", (200, 200), bytes(rnd.getrandbits(8) for _ in range(200 * 200 * 3)))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95)
    return buf.getvalue()


async def _piece(client, headers, sha: str, data: bytes, start: int, end: int, *, total: int | None = None,  # noqa: ANN001, ANN202
                 content_type: str = "image/jpeg"):
    return await client.patch(f"/api/blobs/{sha}", content=data[start:end], headers={
        **headers, "content-type": content_type, "upload-offset": str(start),
        "upload-length": str(len(data) if total is None else total)})


async def _offset(client, headers, sha: str) -> tuple[int, int]:  # noqa: ANN001
    r = await client.head(f"/api/blobs/{sha}", headers=headers)
    return r.status_code, int(r.headers["upload-offset"])


async def test_an_interrupted_photo_upload_resumes_from_where_the_server_stands(client, demo_db):  # design guarantee 5
    tech = await login(client, "tech")
    data = _photo()
    sha = hashlib.sha256(data).hexdigest()
    cut = len(data) // 3
    r = await _piece(client, tech, sha, data, 0, cut)
    assert r.status_code == 200 and r.json() == {"sha256": sha, "offset": cut, "complete": False}
    # The link dropped here. Back in signal, the phone asks how much arrived and sends only the rest.
    assert await _offset(client, tech, sha) == (404, cut)
    r = await _piece(client, tech, sha, data, cut, 2 * cut)
    assert r.json()["offset"] == 2 * cut
    r = await _piece(client, tech, sha, data, 2 * cut, len(data))
    assert r.status_code == 200 and r.json() == {"sha256": sha, "offset": len(data), "complete": True}
    assert await _offset(client, tech, sha) == (200, len(data))
    got = await client.get(f"/api/blobs/{sha}", headers=tech)
    assert got.content == data and got.headers["content-type"].startswith("image/jpeg")
    async with demo_db.read() as conn:
        left = (await conn.execute(text("SELECT count(*) FROM blob_upload_parts"))).scalar()
    assert left == 0  # the pieces are gone once the blob is stored


async def test_a_piece_at_the_wrong_offset_is_refused_with_the_offset_to_resume_from(client):  # design guarantee 5
    tech = await login(client, "tech")
    data = _photo()
    sha = hashlib.sha256(data).hexdigest()
    # Nothing sent yet: only offset 0 may start an upload.
    r = await _piece(client, tech, sha, data, 100, 200)
    assert r.status_code == 409 and r.json()["code"] == "blob.offset_mismatch"
    assert r.json()["details"]["offset"] == 0
    await _piece(client, tech, sha, data, 0, 1000)
    # A retried piece whose first answer was lost: refused, nothing appended twice.
    r = await _piece(client, tech, sha, data, 0, 1000)
    assert r.status_code == 409 and r.json()["details"]["offset"] == 1000
    r = await _piece(client, tech, sha, data, 1000, len(data))
    assert r.json()["complete"] is True
    assert (await client.get(f"/api/blobs/{sha}", headers=tech)).content == data


async def test_pieces_whose_bytes_do_not_match_the_hash_are_refused_and_the_upload_starts_over(client, demo_db):  # design guarantee 5
    tech = await login(client, "tech")
    data = _photo()
    sha = hashlib.sha256(data).hexdigest()
    half = len(data) // 2
    await _piece(client, tech, sha, data, 0, half)
    corrupted = data[:half] + bytes([data[half] ^ 0xFF]) + data[half + 1:]
    r = await _piece(client, tech, sha, corrupted, half, len(data))
    assert r.status_code == 400 and r.json()["code"] == "blob.hash_mismatch"
    assert await _offset(client, tech, sha) == (404, 0)
    async with demo_db.read() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM blob_upload_parts"))).scalar() == 0
        assert (await conn.execute(text("SELECT count(*) FROM blobs WHERE sha256 = :s"), {"s": sha})).scalar() == 0


async def test_another_persons_partial_upload_is_neither_seen_nor_continued(client):  # design guarantee 5
    tech = await login(client, "tech")
    other = await login(client, "tech2")
    data = _photo()
    sha = hashlib.sha256(data).hexdigest()
    await _piece(client, tech, sha, data, 0, 5000)
    assert await _offset(client, other, sha) == (404, 0)
    r = await _piece(client, other, sha, data, 5000, len(data))
    assert r.status_code == 409 and r.json()["details"]["offset"] == 0
    # The owner's upload is untouched and still completes.
    r = await _piece(client, tech, sha, data, 5000, len(data))
    assert r.json()["complete"] is True


async def test_pieces_that_do_not_fit_the_declared_length_or_type_are_refused(client):  # design guarantee 5
    tech = await login(client, "tech")
    data = _photo()
    sha = hashlib.sha256(data).hexdigest()
    r = await _piece(client, tech, sha, data, 0, len(data), total=len(data) - 1)
    assert r.status_code == 400 and r.json()["code"] == "blob.bad_range"
    r = await _piece(client, tech, sha, data, 0, 10, total=7 * 1024 * 1024)
    assert r.status_code == 413 and r.json()["code"] == "blob.too_large"
    r = await _piece(client, tech, sha, data, 0, 10, content_type="application/octet-stream")
    assert r.status_code == 400 and r.json()["code"] == "blob.bad_type"
    r = await client.patch(f"/api/blobs/{sha}", content=data[:10],
                           headers={**tech, "content-type": "image/jpeg", "upload-offset": "-1", "upload-length": "9"})
    assert r.status_code == 400
    assert await _offset(client, tech, sha) == (404, 0)


async def test_a_piece_of_a_blob_already_stored_changes_nothing(client):  # design guarantee 5
    tech = await login(client, "tech")
    data = _photo()
    sha = hashlib.sha256(data).hexdigest()
    assert (await client.put(f"/api/blobs/{sha}", content=data,
                             headers={**tech, "content-type": "image/jpeg"})).status_code == 201
    r = await _piece(client, tech, sha, data, 0, 100)
    assert r.status_code == 200 and r.json() == {"sha256": sha, "offset": len(data), "complete": True}


async def test_an_upload_whose_last_answer_was_lost_is_finished_by_an_empty_piece(client, demo_db):  # design guarantee 5
    tech = await login(client, "tech")
    data = _photo()
    sha = hashlib.sha256(data).hexdigest()
    await _piece(client, tech, sha, data, 0, 1000)
    # Every byte arrived but the blob was not stored (the process died before finishing).
    async with demo_db.transaction() as uow:
        await uow.conn.execute(text(
            "INSERT INTO blob_upload_parts (sha256, user_id, start, data) VALUES (:s, 'usr_tech', 1000, :d)"),
            {"s": sha, "d": data[1000:]})
        await uow.conn.execute(text("UPDATE blob_uploads SET received = :n WHERE sha256 = :s"),
                               {"n": len(data), "s": sha})
    assert await _offset(client, tech, sha) == (404, len(data))
    r = await _piece(client, tech, sha, data, len(data), len(data))
    assert r.status_code == 200 and r.json()["complete"] is True
    assert (await client.get(f"/api/blobs/{sha}", headers=tech)).content == data


async def test_an_abandoned_partial_upload_is_purged_when_a_later_one_starts(client, demo_db):  # design guarantee 5
    tech = await login(client, "tech")
    old = _photo()
    old_sha = hashlib.sha256(old).hexdigest()
    await _piece(client, tech, old_sha, old, 0, 1000)
    week_ago = demo_db.clock.now() - timedelta(days=8)
    async with demo_db.transaction() as uow:
        await uow.conn.execute(text("UPDATE blob_uploads SET updated_at = :t"), {"t": week_ago})
    new = _photo(seed=8)
    new_sha = hashlib.sha256(new).hexdigest()
    await _piece(client, tech, new_sha, new, 0, 1000)
    async with demo_db.read() as conn:
        shas = set((await conn.execute(text("SELECT DISTINCT sha256 FROM blob_upload_parts"))).scalars())
    assert shas == {new_sha}
