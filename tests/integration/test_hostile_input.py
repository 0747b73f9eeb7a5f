"""Hostile input at the edge: NUL characters, oversized and malformed bodies, and text in any script.

Runs on SQLite and PostgreSQL alike (ESTATEDESK_TEST_DB): the point of the NUL check is that both
engines refuse the same requests with the same code before anything is stored (docs/decisions.md D15).
Forged mutations, replayed signatures and hostile images are covered in test_sync_protocol.py
(see docs/reliability.md for the list).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.input_guard import has_nul
from tests.conftest import login
from tests.integration.scenarios import Phone, new_repair, open_and_dispatch

INTAKE = {"kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
          "unit_id": "unit_1_101", "content": "厨房漏水", "repair_responsibility": "common", "repair_class": "small"}
JSON = {"content-type": "application/json"}


async def _counts(db) -> tuple[int, int, int]:  # noqa: ANN001
    async with db.read() as conn:
        cases = (await conn.execute(text("SELECT count(*) FROM cases"))).scalar()
        audit = (await conn.execute(text("SELECT count(*) FROM audit"))).scalar()
        muts = (await conn.execute(text("SELECT count(*) FROM sync_mutations"))).scalar()
    return cases, audit, muts


# --- NUL characters: one stable code on both engines, nothing stored ---


@pytest.mark.parametrize(
    "body",
    [
        # The JSON escape, as every JSON encoder writes U+0000 ...
        b'{"kind":"repair","channel":"phone","contact_name":"\\u0000","content":"x"}',
        # ... in a key, in the middle of a string, escaped as upper-case hex ...
        b'{"ki\\u0000nd":"repair"}',
        b'{"kind":"repair","channel":"phone","contact_name":"a","content":"\xe6\xbc\x8f\\u0000\xe6\xb0\xb4"}',
        # ... after an escaped backslash (three backslashes: one literal, then the escape) ...
        b'{"content":"\\\\\\u0000"}',
        # ... and a raw 0x00 byte, which is not even valid JSON.
        b'{"content":"a\x00b"}',
    ],
)
async def test_nul_in_a_json_body_is_refused_before_anything_is_stored(client, demo_db, body):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    before = await _counts(demo_db)
    r = await client.post("/api/cases", headers={**desk, **JSON}, content=body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "request.nul_char"
    assert r.json()["message"] and r.json()["message_en"]
    assert await _counts(demo_db) == before


async def test_nul_is_refused_whatever_content_type_the_body_claims(client, demo_db):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    body = b'{"kind":"repair","channel":"phone","contact_name":"a\\u0000","content":"x"}'
    for ctype in ("text/plain", "image/png", "application/octet-stream", ""):
        r = await client.post("/api/cases", headers={**desk, "content-type": ctype}, content=body)
        assert r.status_code == 400 and r.json()["code"] == "request.nul_char", (ctype, r.text)


async def test_nul_in_a_sync_mutation_is_refused_and_the_outbox_does_not_advance(client, demo_db):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    case_id = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, case_id)
    phone = Phone(client, await login(client, "tech", device="phone"))
    await phone.pull()
    job_id = next(iter(phone.jobs()))
    before = await _counts(demo_db)
    m = phone.mutation("job.note", job_id=job_id, text="到了\u0000")
    r = await client.post("/api/sync/push", headers=phone.headers, json={"client_id": phone.client_id, "mutations": [m]})
    assert r.status_code == 400 and r.json()["code"] == "request.nul_char"
    assert await _counts(demo_db) == before
    # The phone drops the NUL and sends the same mutation id again: it applies, nothing was skipped.
    m["args"]["text"] = "到了"
    res = await phone.push(m)
    assert [x["status"] for x in res["results"]] == ["applied"]


@pytest.mark.parametrize("url", ["/api/cases?q=a%00b", "/api/cases/case_%00x", "/api/staff?role=%00"])
async def test_nul_in_the_path_or_query_is_refused(client, url):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    r = await client.get(url, headers=desk)
    assert r.status_code == 400 and r.json()["code"] == "request.nul_char", r.text


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(client):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    literal = "路径 C:\\u0000\\temp"  # a backslash followed by the letters u0000: no NUL here
    r = await client.post("/api/cases", headers=desk, json={**INTAKE, "content": literal})
    assert r.status_code == 201, r.text
    got = await client.get(f"/api/cases/{r.json()['case']['id']}", headers=desk)
    assert got.json()["case"]["content"] == literal


def test_nul_detection_counts_backslashes():
    assert has_nul(b'"\\u0000"') and has_nul(b'"\\\\\\u0000"') and has_nul(b"\x00")
    assert not has_nul(b'"\\\\u0000"') and not has_nul(b'"\\\\\\\\u0000"') and not has_nul(b'"u0000"')


# --- sizes and malformed payloads ---


async def test_an_oversized_json_body_gets_413_in_the_error_shape(client, settings):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    big = b'{"content":"' + b"x" * (settings.max_body_bytes + 1) + b'"}'
    r = await client.post("/api/cases", headers={**desk, **JSON}, content=big)
    assert r.status_code == 413
    body = r.json()
    assert body["code"] == "request.too_large" and body["message"] and body["message_en"]


async def test_an_oversized_upload_gets_413_in_the_error_shape(client, settings):  # noqa: ANN001
    tech = await login(client, "tech")
    r = await client.put("/api/blobs/" + "a" * 64, headers={**tech, "content-type": "image/png"},
                         content=b"\x89PNG" + b"\0" * settings.max_body_bytes)
    assert r.status_code == 413 and r.json()["code"] == "request.too_large"


async def test_an_oversized_streamed_body_without_length_is_cut_off(client, settings):  # noqa: ANN001
    desk = await login(client, "dispatcher")

    async def chunks():  # noqa: ANN202
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536

    r = await client.post("/api/cases", headers={**desk, **JSON}, content=chunks())
    assert r.status_code == 413 and r.json()["code"] == "request.too_large"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[]",
        b'"a string"',
        b'{"kind": 5}',
        b'{"kind":"repair","channel":"phone","contact_name":"a","content":"x","is_admin":true}',  # unknown field
        b'{"kind":"repair","channel":"phone","contact_name":"\xff\xfe","content":"x"}',  # not UTF-8
        b'{"kind":"repair","channel":"phone","contact_name":"\\ud800","content":"x"}',  # lone surrogate
        b'{"kind":"repair","channel":"phone","contact_name":"a","content":"x"' + b"}" * 3,
        b"[" * 100_000 + b"]" * 100_000,  # deep nesting must not crash the decoder
        b'{"kind":"repair","channel":"phone","contact_name":"a","content":"x","fee_quote_cents":1e999}',
    ],
)
async def test_malformed_payloads_get_400_with_a_code(client, demo_db, body):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    before = await _counts(demo_db)
    r = await client.post("/api/cases", headers={**desk, **JSON}, content=body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "request.invalid"
    assert await _counts(demo_db) == before


async def test_malformed_sync_push_gets_400_with_a_code(client):  # noqa: ANN001
    tech = await login(client, "tech")
    for body in ({"client_id": "x", "mutations": []},  # client id too short
                 {"client_id": "c" * 20, "mutations": [{"mutation_id": 0, "type": "job.accept"}]},
                 {"client_id": "c" * 20, "mutations": "all"},
                 {"client_id": "../../etc/passwd", "mutations": []}):
        r = await client.post("/api/sync/push", headers=tech, json=body)
        assert r.status_code == 400 and r.json()["code"] == "request.invalid", (body, r.text)


# --- any script round-trips exactly ---

TEXTS = {
    "chinese": "厨房水龙头漏水，楼下天花板渗水（紧急）",
    "emoji": "漏水了 🚰💧😭 👨‍👩‍👧 🏳️‍🌈",  # astral-plane code points and ZWJ sequences
    "rtl": "الماء يتسرب من السقف — דליפה במטבח",  # Arabic and Hebrew, mixed with an em dash
    "marks": "\u202eRLO\u202c e\u0301 ﷺ \u200f\u200e ｆｕｌｌ　width",  # bidi controls, combining accent
}


@pytest.mark.parametrize("name", sorted(TEXTS))
async def test_text_in_any_script_round_trips_through_intake_and_the_feed(client, name):  # noqa: ANN001
    value = TEXTS[name]
    desk = await login(client, "dispatcher")
    r = await client.post("/api/cases", headers=desk, json={**INTAKE, "content": value, "contact_name": value[:20]})
    assert r.status_code == 201, r.text
    case_id = r.json()["case"]["id"]
    got = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]
    assert got["content"] == value and got["contact_name"] == value[:20]
    listed = (await client.get("/api/cases", headers=desk, params={"q": value[:6]})).json()
    assert case_id in {c["id"] for c in listed}
    # ... through dispatch to the technician's phone, and back up as a note.
    await open_and_dispatch(client, desk, case_id)
    phone = Phone(client, await login(client, "tech", device="phone"))
    await phone.pull()
    job_id, job = next((j, d) for j, d in phone.jobs().items() if d["case_id"] == case_id)
    assert job["content"] == value
    res = await phone.push(phone.mutation("job.note", job_id=job_id, text=value))
    assert [x["status"] for x in res["results"]] == ["applied"]
    await phone.pull()
    notes = phone.jobs()[job_id]["notes"]
    assert any(n.get("text") == value for n in notes), notes
