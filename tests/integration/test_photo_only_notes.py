"""A note that is only a photo is stored without words (D145).

The server used to store the Chinese placeholder "（照片）" as its text, which an English phone and desk then
showed as if someone had written it. Each view says "photo" in its own language instead. Runs on SQLite and
PostgreSQL (ESTATEDESK_TEST_DB).
"""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import Phone, new_repair, open_and_dispatch, signature_png, upload


async def test_a_photo_only_note_from_the_phone_is_stored_without_text(client) -> None:  # noqa: ANN001  # design guarantee 5
    desk = await login(client, "dispatcher")
    case_id = (await new_repair(client, desk, content="地下室渗水"))["case"]["id"]
    await open_and_dispatch(client, desk, case_id)
    phone = Phone(client, await login(client, "tech", device="phone"))
    await phone.pull()
    job_id = next(j for j, d in phone.jobs().items() if d["case_id"] == case_id)
    photo = await upload(client, phone.headers, signature_png("damp wall"))

    res = await phone.push(phone.mutation("job.accept", job_id=job_id),
                           phone.mutation("job.note", job_id=job_id, text="", photo_sha256=photo),
                           phone.mutation("job.note", job_id=job_id, text="墙角返潮", photo_sha256=photo))
    assert [r["status"] for r in res["results"]] == ["applied"] * 3, res

    await phone.pull()
    notes = phone.jobs()[job_id]["notes"]
    assert [(n["text"], n["photo_sha256"]) for n in notes] == [("", photo), ("墙角返潮", photo)]
    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    [wo] = view["case"]["work_orders"]
    assert [n["text"] for n in wo["notes"]] == ["", "墙角返潮"]
