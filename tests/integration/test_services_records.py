"""Records through the API: retention dates (R-RC-1) and compensation closing rules (R-RC-2)."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import new_repair, signature_png, upload


async def test_retention_dates_for_help_log_and_slips(client):  # R-RC-1
    desk = await login(client, "dispatcher")
    r = await client.get("/api/records/retention", headers=desk, params={"created_at": "2026-03-10T02:00:00Z"})
    assert r.status_code == 200, r.text
    rows = {x["kind"]: x for x in r.json()}
    assert rows["help_log"]["archive_due"].startswith("2027-01-01T00:00:00+08:00")
    assert rows["help_log"]["keep_until"].startswith("2029-01-01T00:00:00+08:00")  # archived, then two years
    assert rows["service_slip"]["keep_until"] is None and rows["release_slip"]["keep_until"] is None
    assert rows["release_slip"]["archive_due"].startswith("2026-03-20")  # handed in every 10 days (R-RS-4)


async def test_large_compensation_closes_only_with_the_owner_signed_memo(client):  # R-RC-2
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    cid = (await new_repair(client, desk))["case"]["id"]
    r = await client.post("/api/compensations", headers=desk, json={"case_id": cid, "amount_cents": 500_000})
    assert r.status_code == 201, r.text
    comp = r.json()
    assert comp["large"] is True and comp["missing_to_close"] == ["settlement_memo"]
    r = await client.post(f"/api/compensations/{comp['id']}/phone-approval", headers=desk,
                          json={"developer_lead": "开发商 陈经理"})
    assert r.status_code == 409 and r.json()["code"] == "records.phone_approval_only_for_small"
    r = await client.post(f"/api/compensations/{comp['id']}/close", headers=mgr)
    assert r.status_code == 409 and r.json()["code"] == "records.no_signed_memo"
    r = await client.post(f"/api/compensations/{comp['id']}/memo", headers=desk, json={
        "memo_no": "HJ-2026-01", "owner_name": "黄业主", "owner_signature_sha256": "0" * 64})
    assert r.status_code == 400 and r.json()["code"] == "records.memo_not_signed_by_owner"
    sig = await upload(client, desk, signature_png("owner-memo"))
    r = await client.post(f"/api/compensations/{comp['id']}/memo", headers=desk, json={
        "memo_no": "HJ-2026-01", "owner_name": "黄业主", "owner_signature_sha256": sig})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/compensations/{comp['id']}/close", headers=desk)
    assert r.status_code == 403 and r.json()["code"] == "records.not_allowed_to_close"
    r = await client.post(f"/api/compensations/{comp['id']}/close", headers=mgr)
    assert r.status_code == 200 and r.json()["closed_at"] and r.json()["closed_by"] == "usr_manager"


async def test_small_compensation_needs_phone_approval_confirmed_in_writing(client):  # R-RC-2
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    cid = (await new_repair(client, desk))["case"]["id"]
    comp = (await client.post("/api/compensations", headers=desk, json={"case_id": cid, "amount_cents": 30_000})).json()
    assert comp["large"] is False
    r = await client.post(f"/api/compensations/{comp['id']}/close", headers=mgr)
    assert r.status_code == 409 and r.json()["code"] == "records.no_phone_approval"
    await client.post(f"/api/compensations/{comp['id']}/phone-approval", headers=desk, json={"developer_lead": "陈经理"})
    r = await client.post(f"/api/compensations/{comp['id']}/close", headers=mgr)
    assert r.status_code == 409 and r.json()["code"] == "records.no_written_confirmation"
    await client.post(f"/api/compensations/{comp['id']}/written-confirmation", headers=desk,
                      json={"contact_slip_no": "LX-0098"})
    r = await client.post(f"/api/compensations/{comp['id']}/close", headers=mgr)
    assert r.status_code == 200, r.text


async def test_retention_for_an_instant_outside_plausible_years_is_a_coded_400(client):  # R-RC-1
    # Year 1 in +14:00 once reached the calendar as an OverflowError (a 500); a time without an offset
    # could not be placed in the compound's zone at all.
    desk = await login(client, "dispatcher")
    for created_at in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-03-10T10:00:00"):
        r = await client.get("/api/records/retention", headers=desk, params={"created_at": created_at})
        assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), (created_at, r.text)
        assert "created_at" in r.json()["message_en"]
