"""The sync protocol: exactly once, gaps, durable rejections, scope, blobs (design guarantees 1, 2, 5)."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, timedelta

from PIL import Image
from sqlalchemy import text

from tests.conftest import login
from tests.integration.scenarios import Phone, new_repair, open_and_dispatch, signature_png, upload


async def _job_for(client, username: str = "tech"):  # noqa: ANN001, ANN202
    desk = await login(client, "dispatcher")
    case_id = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, case_id, assignee=f"usr_{username}")
    phone = Phone(client, await login(client, username, device="phone"))
    await phone.pull()
    job_id = next(j for j, d in phone.jobs().items() if d["case_id"] == case_id)
    return desk, case_id, phone, job_id


async def test_a_retried_push_applies_nothing_twice(client, demo_db):
    _, case_id, phone, job_id = await _job_for(client)
    batch = [phone.mutation("job.accept", job_id=job_id), phone.mutation("job.note", job_id=job_id, text="已到楼下")]
    first = await phone.push(*batch)
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    # The response was lost: the phone sends the same batch again.
    again = await phone.push(*batch)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert [r["original"] for r in again["results"]] == ["applied", "applied"]
    async with demo_db.read() as conn:
        notes = (await conn.execute(text("SELECT count(*) FROM audit WHERE action = 'work_order.note_added' AND case_id = :c"),
                                    {"c": case_id})).scalar()
    assert notes == 1


async def test_a_gap_stops_the_batch_and_names_the_expected_id(client):
    _, _, phone, job_id = await _job_for(client)
    m1 = phone.mutation("job.accept", job_id=job_id)
    m2 = phone.mutation("job.note", job_id=job_id, text="a")
    m3 = phone.mutation("job.note", job_id=job_id, text="b")
    res = await phone.push(m2, m3)  # m1 never arrived
    assert res["results"] == [] and res["stopped"] == "gap" and res["expected_next_id"] == 1
    res = await phone.push(m1, m3)  # m2 missing in the middle
    assert [r["status"] for r in res["results"]] == ["applied"]
    assert res["stopped"] == "gap" and res["expected_next_id"] == 2


async def test_a_refused_mutation_is_recorded_and_does_not_block_the_queue(client):
    _, _, phone, job_id = await _job_for(client)
    sig = await upload(client, phone.headers, signature_png("early"))
    # Completing before arriving is refused by the rules (R-CL-3) ...
    bad = phone.mutation("job.complete", job_id=job_id, work_done="x", signature_sha256=sig,
                         signer_name="黄", signer_relation="owner")
    good = phone.mutation("job.accept", job_id=job_id)
    res = await phone.push(bad, good)
    assert [r["status"] for r in res["results"]] == ["rejected", "applied"]
    assert res["results"][0]["code"] == "case.not_on_site"
    assert res["results"][0]["message"] and res["results"][0]["message_en"]
    # ... and the outcome is durable: a client that lost the response reads it again.
    again = await phone.push(bad)
    assert again["results"][0]["status"] == "duplicate"
    assert again["results"][0]["original"] == "rejected"
    assert again["results"][0]["code"] == "case.not_on_site"


async def test_completion_waits_for_its_signature_blob(client):  # design guarantee 5
    _, _, phone, job_id = await _job_for(client)
    png = signature_png("late-upload")
    sha = hashlib.sha256(png).hexdigest()
    ms = [phone.mutation("job.accept", job_id=job_id), phone.mutation("job.arrive", job_id=job_id),
          phone.mutation("job.complete", job_id=job_id, work_done="修好", signature_sha256=sha,
                         signer_name="黄业主", signer_relation="owner")]
    res = await phone.push(*ms)
    assert [r["status"] for r in res["results"]] == ["applied", "applied", "waiting"]
    assert res["stopped"] == "waiting_blob" and res["expected_next_id"] == 3
    await upload(client, phone.headers, png)
    res = await phone.push(*ms)
    assert [r["status"] for r in res["results"]] == ["duplicate", "duplicate", "applied"]


async def test_push_on_another_technicians_job_is_refused_and_audited(client, demo_db):
    _, _, _, job_id = await _job_for(client, "tech")
    intruder = Phone(client, await login(client, "tech2", device="other phone"))
    res = await intruder.push(intruder.mutation("job.arrive", job_id=job_id))
    r = res["results"][0]
    assert r["status"] == "rejected" and r["code"] == "scope.not_assigned"
    async with demo_db.read() as conn:
        n = (await conn.execute(text("SELECT count(*) FROM audit WHERE action = 'refused.scope.not_assigned' "
                                     "AND actor_id = 'usr_tech2'"))).scalar()
    assert n == 1


async def test_technician_pulls_only_their_own_jobs_and_a_reassignment_removes_it(client):
    desk, case_id, tech_phone, job_id = await _job_for(client, "tech")
    other = Phone(client, await login(client, "tech2", device="p2"))
    await other.pull()
    assert other.jobs() == {}
    assert all(k[0] != "case" for k in tech_phone.docs)  # executors never receive the desk's feed
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=desk, json={"assignee_id": "usr_tech2",
                                                                              "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    changes = await tech_phone.pull()
    assert any(c["op"] == "remove" and c["id"] == job_id for c in changes)
    assert job_id not in tech_phone.jobs()
    await other.pull()
    assert [d["case_id"] for d in other.jobs().values()] == [case_id]


async def test_a_signature_cannot_be_replayed_onto_another_job(client):
    desk = await login(client, "dispatcher")
    ids = []
    for text_ in ("一号任务", "二号任务"):
        cid = (await new_repair(client, desk, content=text_))["case"]["id"]
        await open_and_dispatch(client, desk, cid)
        ids.append(cid)
    phone = Phone(client, await login(client, "tech", device="p"))
    await phone.pull()
    jobs = {d["case_id"]: j for j, d in phone.jobs().items()}
    sig = await upload(client, phone.headers, signature_png("once"))
    def finish(job):  # noqa: ANN001, ANN202
        return [phone.mutation("job.accept", job_id=job), phone.mutation("job.arrive", job_id=job),
                phone.mutation("job.complete", job_id=job, work_done="ok", signature_sha256=sig,
                               signer_name="黄业主", signer_relation="owner")]
    res = await phone.push(*finish(jobs[ids[0]]))
    assert [r["status"] for r in res["results"]] == ["applied"] * 3
    res = await phone.push(*finish(jobs[ids[1]]))
    assert res["results"][2]["status"] == "rejected"
    assert res["results"][2]["code"] == "slip.signature_reused"


async def test_pull_cursor_only_moves_forward_and_returns_nothing_twice(client):
    _, _, phone, job_id = await _job_for(client)
    c1 = phone.cursor
    assert await phone.pull() == []
    assert phone.cursor == c1
    await phone.push(phone.mutation("job.accept", job_id=job_id))
    changes = await phone.pull()
    assert [c["id"] for c in changes] == [job_id]
    assert phone.cursor > c1


async def test_unknown_cursor_from_another_database_resets_the_phone(client):
    tech = await login(client, "tech")
    r = await client.get("/api/sync/pull", headers=tech, params={"cursor": 10_000_000})
    assert r.status_code == 200 and r.json()["reset"] is True


async def test_outbox_of_one_user_is_not_accepted_from_another(client):
    _, _, phone, job_id = await _job_for(client)
    await phone.push(phone.mutation("job.accept", job_id=job_id))
    phone.headers = await login(client, "tech2")
    r = await client.post("/api/sync/push", headers=phone.headers,
                          json={"client_id": phone.client_id, "mutations": []})
    assert r.status_code == 409 and r.json()["code"] == "sync.client_other_user"


# --- blobs (design guarantee 5) ---


def _png(w: int = 4, h: int = 4) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "red").save(buf, "PNG")
    return buf.getvalue()


async def test_blob_upload_is_content_addressed_and_idempotent(client):
    tech = await login(client, "tech")
    data = _png()
    sha = await upload(client, tech, data)
    assert (await client.put(f"/api/blobs/{sha}", content=data,
                             headers={**tech, "content-type": "image/png"})).status_code == 201
    assert (await client.head(f"/api/blobs/{sha}", headers=tech)).status_code == 200
    r = await client.get(f"/api/blobs/{sha}", headers=tech)
    assert r.content == data and r.headers["content-type"].startswith("image/png")


async def test_blob_with_a_wrong_hash_is_refused(client):
    tech = await login(client, "tech")
    r = await client.put(f"/api/blobs/{'a' * 64}", content=_png(), headers={**tech, "content-type": "image/png"})
    assert r.status_code == 400 and r.json()["code"] == "blob.hash_mismatch"


async def test_blob_whose_bytes_are_not_the_declared_image_type_is_refused(client):
    tech = await login(client, "tech")
    data = b"GIF89a" + b"\0" * 100
    sha = hashlib.sha256(data).hexdigest()
    r = await client.put(f"/api/blobs/{sha}", content=data, headers={**tech, "content-type": "image/png"})
    assert r.status_code == 400 and r.json()["code"] == "blob.bad_image"


async def test_pixel_flood_image_is_refused(client):
    tech = await login(client, "tech")
    # A tiny file that claims 20000x20000 pixels (400 M): decoding it would exhaust memory.
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, "PNG")
    data = buf.getvalue()
    assert len(data) < 200_000
    sha = hashlib.sha256(data).hexdigest()
    r = await client.put(f"/api/blobs/{sha}", content=data, headers={**tech, "content-type": "image/png"})
    assert r.status_code == 400 and r.json()["code"] == "blob.bad_image"


async def test_blob_of_an_unaccepted_type_is_refused(client):
    tech = await login(client, "tech")
    data = b"%PDF-1.4 hello"
    sha = hashlib.sha256(data).hexdigest()
    r = await client.put(f"/api/blobs/{sha}", content=data, headers={**tech, "content-type": "application/pdf"})
    assert r.status_code == 400 and r.json()["code"] == "blob.bad_type"


async def test_a_technician_cannot_fetch_another_persons_file_by_its_hash(client):
    tech = await login(client, "tech")
    sha = await upload(client, tech, signature_png("private"))
    assert (await client.get(f"/api/blobs/{sha}", headers=tech)).status_code == 200
    other = await login(client, "tech2")
    r = await client.get(f"/api/blobs/{sha}", headers=other)
    assert r.status_code == 404 and r.json()["code"] == "blob.not_found"
    # The desk reads the compound's files (signatures on slips it countersigns).
    desk = await login(client, "dispatcher")
    assert (await client.get(f"/api/blobs/{sha}", headers=desk)).status_code == 200


async def test_a_phone_clock_that_cannot_be_placed_in_utc_does_not_block_the_queue(client, demo_db):  # design 4
    # A device time of year 1 in +14:00 (or 9999 in -14:00) could not be converted to UTC for storage,
    # and a time without an offset was refused at storage: a 500 each, which the phone retried forever.
    # The clock is the phone's and never moves a deadline: the mutation applies, the odd clock is
    # kept as unknown (or read as UTC, without an offset), and a reset phone's 1970 is kept as it is.
    from sqlalchemy import select

    from server.storage.schema import sync_mutations

    desk = await login(client, "dispatcher")
    case_id = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, case_id)
    phone = Phone(client, await login(client, "tech", device="phone"))
    await phone.pull()
    job_id = next(iter(phone.jobs()))
    sent = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-11-23T09:00:00", "1970-01-01T00:00:00Z"]
    mutations = []
    for device_time in sent:
        m = phone.mutation("job.note", job_id=job_id, text="到了")
        m["device_time"] = device_time
        mutations.append(m)
    res = await phone.push(*mutations)
    assert [x["status"] for x in res["results"]] == ["applied"] * 4
    async with demo_db.read() as conn:
        rows = (await conn.execute(select(sync_mutations.c.mutation_id, sync_mutations.c.device_time)
                                   .where(sync_mutations.c.client_id == phone.client_id)
                                   .order_by(sync_mutations.c.mutation_id))).all()
    stored = [r.device_time.isoformat() if r.device_time else None for r in rows]
    assert stored == [None, None, "2026-11-23T09:00:00+00:00", "1970-01-01T00:00:00+00:00"]


async def test_the_residents_grade_at_sign_off_is_stored_signed_and_flagged_to_the_desk(client):  # R-RV-3, R-CL-6
    desk, case_id, phone, job_id = await _job_for(client)
    sig = await upload(client, phone.headers, signature_png("graded"))
    base = {"job_id": job_id, "work_done": "更换阀芯", "signature_sha256": sig, "signer_name": "黄业主",
            "signer_relation": "owner"}
    # Not a grade, or an essay: refused as invalid arguments, and the job stays on site.
    res = await phone.push(phone.mutation("job.accept", job_id=job_id), phone.mutation("job.arrive", job_id=job_id),
                           phone.mutation("job.complete", **base, resident_grade="D"),
                           phone.mutation("job.complete", **base, resident_grade="C", resident_opinion="很" * 501))
    assert [(r["status"], r.get("code")) for r in res["results"][2:]] == [
        ("rejected", "sync.invalid_args"), ("rejected", "sync.invalid_args")]
    good = phone.mutation("job.complete", **base, resident_grade="C", resident_opinion="  地面没有清理干净  ")
    assert (await phone.push(good))["results"][0]["status"] == "applied"

    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    slip = view["case"]["slip"]
    assert (slip["resident_grade"], slip["resident_opinion"]) == ("C", "地面没有清理干净")
    assert view["slip_valid"] is True  # the grade is part of what the signature covers
    listed = (await client.get("/api/cases", params={"q": view["case"]["no"]}, headers=desk)).json()
    row = next(c for c in listed if c["id"] == case_id)
    assert row["resident_grade"] == "C"


async def test_a_sign_off_without_a_grade_stays_valid_and_unflagged(client):  # R-CL-6
    desk, case_id, phone, job_id = await _job_for(client)
    sig = await upload(client, phone.headers, signature_png("ungraded"))
    res = await phone.push(phone.mutation("job.accept", job_id=job_id), phone.mutation("job.arrive", job_id=job_id),
                           phone.mutation("job.complete", job_id=job_id, work_done="ok", signature_sha256=sig,
                                          signer_name="黄业主", signer_relation="owner"))
    assert [r["status"] for r in res["results"]] == ["applied"] * 3
    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    assert view["case"]["slip"]["resident_grade"] is None and view["slip_valid"] is True


async def test_an_arrival_tapped_offline_counts_when_it_happened_whatever_the_phones_clock(client, clock):  # R-FU-4, design 4
    # A technician arrives on time in a basement with no signal and the phone syncs 25 minutes after
    # the dispatch. The phone's clock is an hour fast. The arrival must count at 10 minutes (within
    # R-FU-4's 15), placed by the batch's own clock reading, not at the receive time (D35).
    desk, case_id, phone, job_id = await _job_for(client)
    dispatched = clock.now()
    fast = timedelta(hours=1)

    def at(m: dict, t: datetime) -> dict:
        m["device_time"] = (t + fast).isoformat()
        return m

    accept = at(phone.mutation("job.accept", job_id=job_id), dispatched + timedelta(minutes=2))
    arrive = at(phone.mutation("job.arrive", job_id=job_id), dispatched + timedelta(minutes=10))
    clock.advance(minutes=25)
    r = await client.post("/api/sync/push", headers=phone.headers, json={
        "client_id": phone.client_id, "mutations": [accept, arrive], "sent_at": (clock.now() + fast).isoformat()})
    assert [x["status"] for x in r.json()["results"]] == ["applied", "applied"]

    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    [wo] = view["case"]["work_orders"]
    assert datetime.fromisoformat(wo["accepted_at"]) == dispatched + timedelta(minutes=2)
    assert datetime.fromisoformat(wo["arrived_at"]) == dispatched + timedelta(minutes=10)
    assert datetime.fromisoformat(wo["arrived_device_at"]) == dispatched + timedelta(minutes=10) + fast
    on_site = next(c for c in view["clocks"] if c["code"] == "FU4_ON_SITE_15M")
    assert on_site["overdue"] is False, on_site


async def test_a_phone_cannot_place_an_arrival_before_its_dispatch_or_after_the_server_heard_of_it(client, clock):  # R-FU-4
    desk, case_id, phone, job_id = await _job_for(client)
    dispatched = clock.now()
    clock.advance(minutes=30)
    early = phone.mutation("job.arrive", job_id=job_id)
    early["device_time"] = (clock.now() - timedelta(days=2)).isoformat()  # claims two days ago
    r = await client.post("/api/sync/push", headers=phone.headers, json={
        "client_id": phone.client_id, "mutations": [early], "sent_at": clock.now().isoformat()})
    assert r.json()["results"][0]["status"] == "applied"
    [wo] = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]["work_orders"]
    assert datetime.fromisoformat(wo["arrived_at"]) == dispatched  # not before the dispatch

    desk2, case2, phone2, job2 = await _job_for(client)
    late = phone2.mutation("job.arrive", job_id=job2)
    late["device_time"] = (clock.now() + timedelta(hours=3)).isoformat()  # claims the future
    r = await client.post("/api/sync/push", headers=phone2.headers, json={
        "client_id": phone2.client_id, "mutations": [late], "sent_at": clock.now().isoformat()})
    [wo2] = (await client.get(f"/api/cases/{case2}", headers=desk2)).json()["case"]["work_orders"]
    assert datetime.fromisoformat(wo2["arrived_at"]) == clock.now()  # not after the server heard of it


async def test_without_the_phones_send_time_an_arrival_counts_at_the_receive_time(client, clock):  # R-FU-4
    # An older app sends no sent_at: its device_time cannot be placed, so it stays evidence only.
    desk, case_id, phone, job_id = await _job_for(client)
    clock.advance(minutes=20)
    m = phone.mutation("job.arrive", job_id=job_id)
    m["device_time"] = (clock.now() - timedelta(minutes=15)).isoformat()
    await phone.push(m)
    [wo] = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]["work_orders"]
    assert datetime.fromisoformat(wo["arrived_at"]) == clock.now()
