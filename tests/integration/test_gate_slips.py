"""Release slips through the API: issuing rules, the guard's release by sync push, incidents, revocation
in the guards' feed, keys, the short code, printing and the ten-day hand-in (R-RS-1..6)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from server.gate import keystore, signing
from server.gate.signing import Verdict
from tests.conftest import T0, login
from tests.vectors.generate_release_slips import VECTORS_PATH

UNIT = "unit_1_101"  # 1栋-101: 黄业主 (owner), 黄小明 (registered household), 马保姆 (nanny)
TENANT_UNIT = "unit_2_301"  # 2栋-301: 杨租户 (tenant), 高业主 (owner)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def upload_png(client, headers, shade: int) -> str:  # noqa: ANN001
    buf = io.BytesIO()
    Image.new("L", (40, 20), shade).save(buf, format="PNG")
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    r = await client.put(f"/api/blobs/{sha}", content=data, headers={**headers, "Content-Type": "image/png"})
    assert r.status_code in (200, 201), r.text
    return sha


@pytest.fixture
async def desk(client):  # noqa: ANN001, ANN201
    return await login(client, "frontdesk")


@pytest.fixture
async def sig(client, desk):  # noqa: ANN001, ANN201
    return await upload_png(client, desk, 200)


def owner_request(sig: str, **changes) -> dict:  # noqa: ANN003
    body = {
        "unit_id": UNIT,
        "requester_name": "黄业主",
        "relation": "owner",
        "items": [{"name": "冰箱", "quantity": 1, "large": True}, {"name": "纸箱", "quantity": 2}],
        "gates": ["N", "S"],
        "valid_until": iso(T0 + timedelta(days=1)),
        "id_check": {"id_type": "resident_id_card", "last4": "123X"},
        "requester_signature_sha256": sig,
    }
    body.update(changes)
    return body


async def issue(client, headers, body) -> dict:  # noqa: ANN001
    r = await client.post("/api/slips", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def refused(client, headers, body, status: int, code: str) -> dict:  # noqa: ANN001
    r = await client.post("/api/slips", json=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code, r.text
    return r.json()


async def push_release(client, headers, client_id: str, mutation_id: int, slip_id: str, gate: str,  # noqa: ANN001
                       device_time: datetime = T0) -> dict:
    r = await client.post("/api/sync/push", headers=headers, json={
        "client_id": client_id,
        "mutations": [{"mutation_id": mutation_id, "type": "slip.release",
                       "args": {"slip_id": slip_id, "gate": gate}, "device_time": iso(device_time)}],
    })
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


async def pull_all(client, headers) -> list[dict]:  # noqa: ANN001
    r = await client.get("/api/sync/pull", params={"cursor": 0, "limit": 5000}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["changes"]


async def keys_for(client, headers) -> dict:  # noqa: ANN001
    r = await client.get("/api/gate/keys", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


# --- issuing ---------------------------------------------------------------------------------------


async def test_owner_gets_a_signed_slip_the_gate_can_verify(client, desk, sig):  # noqa: ANN001
    slip = await issue(client, desk, owner_request(sig))
    assert slip["state"] == "issued"
    assert slip["slip"]["path"] == "self"
    assert slip["slip"]["unit_label"] == "1栋-101"
    assert [c["holder"] for c in slip["slip"]["copies"]] == ["service_centre", "security"]  # R-RS-4
    assert slip["short_code"] == signing.short_code(slip["payload"])
    guard = await login(client, "guard")
    cache = await keys_for(client, guard)
    check = signing.check(slip["payload"], cache["keys"], set(cache["revoked"]), T0 + timedelta(minutes=1), gate="N")
    assert check.verdict is Verdict.VALID
    assert check.claims.item_count == 3 and check.claims.gates == ("N", "S")  # R-RS-2


async def test_valuable_items_carried_by_a_household_member_need_the_owners_signature(client, desk, sig):  # noqa: ANN001
    body = owner_request(sig, requester_name="黄小明", relation="household_member")
    await refused(client, desk, body, 409, "slip.owner_signature_required")  # R-RS-1
    owner_sig = await upload_png(client, desk, 120)
    slip = await issue(client, desk, {**body, "owner_signature_sha256": owner_sig})
    assert slip["slip"]["path"] == "self"  # R-RS-2: a registered household member is served in person


async def test_a_nanny_needs_the_owners_written_authorisation(client, desk, sig):  # noqa: ANN001
    body = owner_request(sig, requester_name="马保姆", relation="nanny", items=[{"name": "纸箱"}])
    await refused(client, desk, body, 409, "slip.written_authorisation_required")  # R-RS-2


async def test_household_membership_is_checked_against_the_owners_record(client, desk, sig):  # noqa: ANN001
    # The desk cannot make someone a household member by choosing the relation: the register decides.
    body = owner_request(sig, requester_name="黄大明", relation="household_member", items=[{"name": "纸箱"}])
    await refused(client, desk, body, 409, "slip.written_authorisation_required")  # R-RS-2


async def test_a_name_not_on_the_register_is_refused_as_such_not_as_someone_else(client, desk, sig):  # noqa: ANN001
    # R-RS-2 R-RS-3: the desk chose 业主本人 for a name the register does not have. The refusal used to
    # say "非业主本人或登记家属" (not the owner), contradicting the desk's own choice, and asked for a
    # letter the form does not offer an owner. It now says the name is not on the unit's register,
    # names who is, and says what to do; the code is unchanged (docs and clients rely on it).
    body = owner_request(sig, requester_name="黄先生", items=[{"name": "纸箱"}])
    err = await refused(client, desk, body, 409, "slip.written_authorisation_required")
    assert not err["message"].startswith("非业主本人"), err
    assert "“黄先生”不是1栋-101登记的业主或家属" in err["message"], err
    assert "登记业主：黄业主；登记家属：黄小明" in err["message"], err  # the names the desk can pick
    assert "书面授权" in err["message"] and "实际关系" in err["message"], err  # R-RS-3: what anyone else needs
    assert "is not the registered owner or a household member of 1栋-101" in err["message_en"], err
    assert "registered owner: 黄业主; registered household: 黄小明" in err["message_en"], err
    assert "written authorisation" in err["message_en"], err
    assert err["details"]["on_record"] is False and err["details"]["missing"] == ["authorisation"], err
    # As a household member the same holds, worded for that choice.
    err = await refused(client, desk, {**body, "requester_name": "黄大明", "relation": "household_member"},
                        409, "slip.written_authorisation_required")
    assert "“黄大明”不是1栋-101登记的业主或家属" in err["message"] and "不能按登记家属办理" in err["message"], err
    # A unit with nobody on its register says so.
    err = await refused(client, desk, {**body, "unit_id": "unit_1_102"}, 409, "slip.written_authorisation_required")
    assert "该房号没有登记业主或家属" in err["message"] and "nobody is registered" in err["message_en"], err
    # Someone the desk itself names as another relation keeps the rules' own words.  # R-RS-3
    err = await refused(client, desk, {**body, "requester_name": "马保姆", "relation": "nanny"},
                        409, "slip.written_authorisation_required")
    assert err["message"].startswith("保姆不属于业主家属") and "on_record" not in err["details"], err


# --- the unit's household register, for the slip form (R-RS-2) -------------------------------------


async def test_the_desk_reads_a_units_registered_owner_and_household_members(client, desk):  # noqa: ANN001
    # R-RS-2: the form shows who is on the register, so the desk picks a name the server will accept.
    r = await client.get(f"/api/units/{UNIT}/register", headers=desk)
    assert r.status_code == 200, r.text
    assert r.json() == {"unit_id": UNIT, "unit_label": "1栋-101", "people": [
        {"name": "黄业主", "relation": "owner"}, {"name": "黄小明", "relation": "household_member"},
    ]}  # 马保姆 is not: a nanny is never a household member; and no phone numbers
    r = await client.get(f"/api/units/{TENANT_UNIT}/register", headers=desk)
    assert r.json()["people"] == [{"name": "高业主", "relation": "owner"}]  # the tenant is not on it  # R-RS-3
    r = await client.get("/api/units/unit_1_102/register", headers=desk)
    assert (r.status_code, r.json()["people"]) == (200, [])  # nobody registered: the form says so


async def test_a_registered_name_from_the_register_issues_a_self_slip(client, desk, sig):  # noqa: ANN001
    # R-RS-2: what the register endpoint lists is exactly what the issuing check accepts.
    people = (await client.get(f"/api/units/{UNIT}/register", headers=desk)).json()["people"]
    owner_sig = await upload_png(client, desk, 120)
    for p in people:
        slip = await issue(client, desk, owner_request(sig, requester_name=p["name"], relation=p["relation"],
                                                       owner_signature_sha256=owner_sig))
        assert slip["slip"]["path"] == "self", p


async def test_another_compounds_unit_register_is_not_found(client, demo_db, desk):  # noqa: ANN001
    # R-RS-2: the register is the compound's own; another compound's unit is unknown here.
    from sqlalchemy import insert

    from server.services.accounts import ensure_compound
    from server.storage.schema import buildings, people, units

    async with demo_db.transaction() as uow:
        other = await ensure_compound(uow.conn, uow.now, name="别的小区", compound_id="cmp_other")
        await uow.conn.execute(insert(buildings).values(id="bld_other", compound_id=other, name="9栋"))
        await uow.conn.execute(insert(units).values(id="unit_other", compound_id=other, building_id="bld_other",
                                                    floor=1, label="9栋-101"))
        await uow.conn.execute(insert(people).values(id="psn_other", compound_id=other, unit_id="unit_other",
                                                     name="外区业主", relation="owner", registered=True, phone=""))
    for unit_id in ("unit_other", "unit_no_such"):
        r = await client.get(f"/api/units/{unit_id}/register", headers=desk)
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "unit.not_found" and "外区业主" not in r.text, r.text


async def test_only_desk_roles_read_a_units_register(client):  # noqa: ANN001
    # R-RS-2: residents' names are the service centre's to see, not the field's or the gate's.
    for user in ("dispatcher", "frontdesk", "manager", "control"):
        r = await client.get(f"/api/units/{UNIT}/register", headers=await login(client, user))
        assert r.status_code == 200, (user, r.text)
    for user in ("guard", "tech", "cashier", "lead"):
        r = await client.get(f"/api/units/{UNIT}/register", headers=await login(client, user))
        assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden"), (user, r.text)


async def authorisation(client, desk, **changes) -> dict:  # noqa: ANN001, ANN003
    body = {
        "kind": "written",
        "delegate_name": "杨租户",
        "visit_date": "2026-11-23",  # T0 is 10:00 on 2026-11-23 in Shanghai
        "items": ["电视机"],
        "owner_signature_sha256": await upload_png(client, desk, 90),
        "owner_signature_source": "scanned",
        "owner_id_copy_sha256": await upload_png(client, desk, 60),
    }
    body.update(changes)
    return body


def tenant_request(sig: str, auth: dict | None) -> dict:
    return owner_request(sig, unit_id=TENANT_UNIT, requester_name="杨租户", relation="tenant",
                         items=[{"name": "电视机", "valuable": True}], authorisation=auth)


async def test_an_owners_phone_call_is_not_an_authorisation(client, desk, sig):  # noqa: ANN001
    auth = {"kind": "phone_call"}
    await refused(client, desk, tenant_request(sig, auth), 409, "slip.phone_call_not_authorisation")  # R-RS-3


async def test_an_incomplete_authorisation_names_what_is_missing(client, desk, sig):  # noqa: ANN001
    auth = await authorisation(client, desk, owner_id_copy_sha256=None)
    body = await refused(client, desk, tenant_request(sig, auth), 409, "slip.authorisation_incomplete")  # R-RS-3
    assert body["details"]["missing"] == ["owner_id_copy_sha256"]


async def test_a_complete_written_authorisation_issues_a_delegate_slip(client, desk, sig):  # noqa: ANN001
    auth = await authorisation(client, desk)
    await refused(client, desk, tenant_request(sig, None), 409, "slip.written_authorisation_required")  # R-RS-3
    wrong_items = await authorisation(client, desk, items=["冰箱"])
    await refused(client, desk, tenant_request(sig, wrong_items), 409,
                  "slip.authorisation_items_not_covered")  # R-RS-3
    slip = await issue(client, desk, tenant_request(sig, auth))
    assert slip["slip"]["path"] == "delegate"
    assert slip["slip"]["authorisation"]["owner_id_copy_sha256"] == auth["owner_id_copy_sha256"]  # R-RS-3


async def test_the_requesters_id_is_checked_and_only_its_last_four_kept(client, desk, sig):  # noqa: ANN001
    await refused(client, desk, owner_request(sig, id_check=None), 409, "slip.id_not_checked")  # R-RS-2
    full = {"id_type": "resident_id_card", "last4": "11010119900101123X"}
    await refused(client, desk, owner_request(sig, id_check=full), 400, "slip.full_id_number_refused")  # R-RS-2
    await refused(client, desk, owner_request(sig, requester_signature_sha256=None), 409,
                  "slip.requester_not_signed")  # R-RS-2


async def test_contractor_items_during_handover_need_engineerings_confirmation(client, desk, sig):  # noqa: ANN001
    body = owner_request(sig, requester_name="王师傅", relation="contractor", handover_period=True,
                         items=[{"name": "切割机"}], id_check=None, requester_signature_sha256=None)
    await refused(client, desk, body, 409, "slip.engineering_confirmation_required")  # R-RS-5
    by_tech = {"confirmed_by_id": "usr_tech", "confirmed_at": iso(T0 - timedelta(minutes=5))}
    await refused(client, desk, {**body, "engineering_confirmation": by_tech}, 403,
                  "slip.confirmer_not_engineering")  # R-RS-5
    by_eng = {"confirmed_by_id": "usr_engineering", "confirmed_at": iso(T0 - timedelta(minutes=5))}
    slip = await issue(client, desk, {**body, "engineering_confirmation": by_eng})
    assert slip["slip"]["path"] == "handover_contractor"
    assert slip["slip"]["engineering_confirmation"]["confirmed_by"]["role"] == "engineering"  # R-RS-5


async def test_renovation_tools_need_the_owner_and_the_gate_is_told_the_tool_names(client, desk, sig):  # noqa: ANN001
    body = owner_request(sig, requester_name="刘装修", relation="renovation_worker", id_check=None,
                         requester_signature_sha256=None,
                         items=[{"name": "电钻", "tool": True}, {"name": "梯子", "quantity": 2, "tool": True}])
    await refused(client, desk, body, 409, "slip.owner_tool_confirmation_required")  # R-RS-6
    conf = {"owner_name": "黄业主", "channel": "phone", "confirmed_at": iso(T0 - timedelta(minutes=2))}
    slip = await issue(client, desk, {**body, "owner_confirmation": conf})
    assert slip["slip"]["path"] == "renovation_tools"
    guard = await login(client, "guard")
    notices = [c for c in await pull_all(client, guard) if c["entity"] == "gate_notice"]
    assert [n["doc"]["tool_names"] for n in notices if n["id"] == slip["id"]] == [["电钻", "梯子 ×2"]]  # R-RS-6


async def test_evidence_must_be_uploaded_before_the_slip_is_issued(client, desk):  # noqa: ANN001
    body = owner_request("ab" * 32)
    r = await refused(client, desk, body, 409, "blob.missing")
    assert r["details"]["missing"] == ["ab" * 32]


async def test_validity_and_gates_are_checked(client, desk, sig):  # noqa: ANN001
    await refused(client, desk, owner_request(sig, valid_until=iso(T0 + timedelta(days=8))), 400,
                  "slip.bad_validity_window")
    await refused(client, desk, owner_request(sig, gates=[]), 400, "slip.bad_gates")
    await refused(client, desk, owner_request(sig, items=[]), 400, "slip.no_items")


async def test_only_the_desk_issues_slips(client, sig):  # noqa: ANN001
    for username in ("guard", "tech"):
        r = await client.post("/api/slips", json=owner_request(sig), headers=await login(client, username))
        assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"
    r = await client.get("/api/slips", headers=await login(client, "guard"))
    assert r.status_code == 403


# --- the gate --------------------------------------------------------------------------------------


async def test_one_release_is_applied_and_the_desk_sees_the_slip_released(client, desk, sig):  # noqa: ANN001
    slip = await issue(client, desk, owner_request(sig))
    guard = await login(client, "guard")
    result = await push_release(client, guard, "guard-phone-a", 1, slip["id"], "N", T0 + timedelta(minutes=3))
    assert result["status"] == "applied"
    view = (await client.get(f"/api/slips/{slip['id']}", headers=desk)).json()
    assert view["state"] == "released"
    assert view["slip"]["released_gate"] == "N"
    assert view["slip"]["released_by"] == "usr_guard"
    listed = (await client.get("/api/slips", params={"state": "released"}, headers=desk)).json()
    assert [s["id"] for s in listed] == [slip["id"]]
    assert (await client.get("/api/slips/incidents", headers=desk)).json() == []
    # The other guards' phones learn the slip was used.
    uses = [c for c in await pull_all(client, guard) if c["entity"] == "slip_use"]
    assert [u["id"] for u in uses] == [slip["id"]]


async def test_a_second_release_from_another_phone_is_recorded_as_an_incident(client, desk, sig):  # noqa: ANN001
    slip = await issue(client, desk, owner_request(sig))
    phone_a = await login(client, "guard", device="north gate phone")
    phone_b = await login(client, "guard", device="south gate phone")
    # Both gates were offline and let the same slip out; the pushes arrive later.
    first = await push_release(client, phone_a, "north-gate-phone", 1, slip["id"], "N", T0 + timedelta(minutes=5))
    second = await push_release(client, phone_b, "south-gate-phone", 1, slip["id"], "S", T0 + timedelta(minutes=7))
    assert first["status"] == "applied" and second["status"] == "applied"
    view = (await client.get(f"/api/slips/{slip['id']}", headers=desk)).json()
    assert view["slip"]["released_gate"] == "N"  # the first release counts
    assert view["incident_count"] == 1
    manager = await login(client, "manager")
    incidents = (await client.get("/api/slips/incidents", headers=manager)).json()
    assert len(incidents) == 1
    inc = incidents[0]
    assert inc["slip_id"] == slip["id"] and inc["kinds"] == ["double_release"]
    assert (inc["gate"], inc["first_gate"]) == ("S", "N")
    desk_feed = [c for c in await pull_all(client, desk) if c["entity"] == "slip_incident"]
    assert [c["doc"]["slip_id"] for c in desk_feed] == [slip["id"]]
    r = await client.get("/api/slips/incidents", headers=await login(client, "guard"))
    assert r.status_code == 403


async def test_a_release_of_an_unknown_slip_is_rejected(client):  # noqa: ANN001
    guard = await login(client, "guard")
    result = await push_release(client, guard, "guard-phone-a", 1, "rs-no-such-slip", "N")
    assert (result["status"], result["code"]) == ("rejected", "slip.not_found")


async def test_a_slip_of_another_compound_cannot_be_released(client, demo_db, desk, sig):  # noqa: ANN001
    from server.services.accounts import create_user, ensure_compound

    async with demo_db.transaction() as uow:
        other = await ensure_compound(uow.conn, uow.now, name="别的小区", compound_id="cmp_other")
    await create_user(demo_db, username="guard_other", password="pw-other-1", display_name="外区护卫",
                      roles=["guard"], compound_id=other)
    slip = await issue(client, desk, owner_request(sig))
    outsider = await login(client, "guard_other", password="pw-other-1")
    result = await push_release(client, outsider, "outsider-phone", 1, slip["id"], "N")
    assert (result["status"], result["code"]) == ("rejected", "slip.not_found")
    assert (await client.get(f"/api/slips/by-code/{slip['short_code']}", headers=outsider)).status_code == 404


async def test_only_a_guard_pushes_a_release(client, desk, sig):  # noqa: ANN001
    slip = await issue(client, desk, owner_request(sig))
    result = await push_release(client, desk, "desk-browser", 1, slip["id"], "N")
    assert (result["status"], result["code"]) == ("rejected", "auth.forbidden")


async def test_the_guards_feed_carries_the_public_keys(client):  # noqa: ANN001
    guard = await login(client, "guard")
    feed = {c["id"]: c["doc"] for c in await pull_all(client, guard) if c["entity"] == "slip_key"}
    cache = await keys_for(client, guard)
    assert feed and set(feed) == set(cache["keys"])
    for kid, doc in feed.items():
        assert doc["public"] == cache["keys"][kid]["public"]
    tech = await login(client, "tech")
    assert not [c for c in await pull_all(client, tech) if c["entity"] == "slip_key"]


async def test_a_revocation_reaches_the_guards_feed_and_fails_verification(client, desk, sig):  # noqa: ANN001
    slip = await issue(client, desk, owner_request(sig))
    r = await client.post(f"/api/slips/{slip['id']}/revoke", json={"reason": "业主取消"}, headers=desk)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "revoked"
    again = await client.post(f"/api/slips/{slip['id']}/revoke", json={"reason": "again"}, headers=desk)
    assert (again.status_code, again.json()["code"]) == (409, "slip.not_revocable")
    guard = await login(client, "guard")
    revoked = [c["id"] for c in await pull_all(client, guard) if c["entity"] == "slip_revocation"]
    assert slip["id"] in revoked
    cache = await keys_for(client, guard)
    assert slip["id"] in cache["revoked"]
    assert signing.verify(slip["payload"], cache["keys"], set(revoked), T0) is Verdict.REVOKED
    # A gate whose list was stale released it anyway: a fact, but an incident.
    result = await push_release(client, guard, "stale-phone", 1, slip["id"], "N")
    assert result["status"] == "applied"
    incidents = (await client.get("/api/slips/incidents", params={"slip_id": slip["id"]}, headers=desk)).json()
    assert incidents[0]["kinds"] == ["released_while_revoked"]


async def test_a_release_recorded_as_an_incident_tells_the_phone_so(client, desk, sig):  # noqa: ANN001
    # R-RS-1: the release stands (the goods left), but the phone learns the desk will follow it up; a resend
    # of the same release is answered the same way.
    slip = await issue(client, desk, owner_request(sig))
    r = await client.post(f"/api/slips/{slip['id']}/revoke", json={"reason": "业主取消"}, headers=desk)
    assert r.status_code == 200, r.text
    guard = await login(client, "guard")
    result = await push_release(client, guard, "late-phone", 1, slip["id"], "N")
    assert (result["status"], result["code"]) == ("applied", "slip.release_incident")
    assert "放行时该单已作废" in result["message"]
    assert "the slip had been revoked" in result["message_en"]
    assert result["details"] == {"kinds": ["released_while_revoked"]}
    again = await push_release(client, guard, "late-phone", 1, slip["id"], "N")
    assert (again["status"], again["original"], again["code"]) == ("duplicate", "applied", "slip.release_incident")
    assert again["message"] == result["message"] and again["message_en"] == result["message_en"]
    # A release with nothing wrong says nothing more than "applied".
    clean = await issue(client, desk, owner_request(sig))
    fine = await push_release(client, guard, "late-phone", 2, clean["id"], "N")
    assert fine == {"mutation_id": 2, "status": "applied"}


async def test_the_guard_looks_up_a_typed_short_code(client, desk, sig):  # noqa: ANN001
    slip = await issue(client, desk, owner_request(sig))
    guard = await login(client, "guard")
    typed = slip["short_code"].lower()[:4] + "-" + slip["short_code"].lower()[4:]
    r = await client.get(f"/api/slips/by-code/{typed}", headers=guard)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["payload"] == slip["payload"] and body["item_count"] == 3
    # The guard checks the goods and the person against the slip (R-RS-1..3), never the ID details.
    assert (body["requester_name"], body["relation"]) == ("黄业主", "owner")
    assert [(i["name"], i["quantity"], i["large"]) for i in body["items"]] == [("冰箱", 1, True), ("纸箱", 2, False)]
    assert "id_check" not in body
    bad = slip["short_code"][:8] + ("0" if slip["short_code"][8] != "0" else "1")
    r = await client.get(f"/api/slips/by-code/{bad}", headers=guard)
    assert (r.status_code, r.json()["code"]) == (400, "slip.bad_short_code")


async def test_a_guards_pull_carries_what_a_typed_code_stands_for_until_the_slip_is_revoked(  # R-RS-1
    client, desk, sig  # noqa: ANN001
):
    body = owner_request(sig, items=[{"name": "冰箱", "quantity": 1, "large": True},
                                     {"name": "金饰盒", "quantity": 2, "valuable": True}])
    slip = await issue(client, desk, body)
    guard = await login(client, "guard")
    docs = {c["id"]: c for c in await pull_all(client, guard) if c["entity"] == "gate_slip"}
    doc = docs[slip["id"]]["doc"]
    assert docs[slip["id"]]["op"] == "upsert"
    assert (doc["slip_id"], doc["short_code"], doc["payload"]) == (slip["id"], slip["short_code"], slip["payload"])
    assert (doc["unit_label"], doc["requester_name"], doc["relation"]) == ("1栋-101", "黄业主", "owner")
    assert [(i["name"], i["quantity"], i["large"], i["valuable"]) for i in doc["items"]] == [
        ("冰箱", 1, True, False), ("金饰盒", 2, False, True)]
    # The phone proves the list against the signed payload: the digest of the document's items is the
    # one the QR was signed over (pwa/src/gate/details.js recomputes it the same way).
    claims, _, _ = signing.parse_payload(doc["payload"])
    assert signing.items_digest([(i["name"], i["quantity"]) for i in doc["items"]]).hex() == claims.items_digest
    assert claims.item_count == 3
    # The shared vectors the phone's proof is tested against have this very shape.
    vector_doc = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))["gate_slips"][0]["doc"]
    assert set(doc) == set(vector_doc) and set(doc["items"][0]) == set(vector_doc["items"][0])
    # Not the technician's business: the gate scope is for guards and the desk.
    tech = await login(client, "tech")
    assert not [c for c in await pull_all(client, tech) if c["entity"] == "gate_slip"]

    cursor = (await client.get("/api/sync/pull", params={"cursor": 0, "limit": 5000}, headers=guard)).json()["cursor"]
    r = await client.post(f"/api/slips/{slip['id']}/revoke", json={"reason": "业主取消"}, headers=desk)
    assert r.status_code == 200, r.text
    r = await client.get("/api/sync/pull", params={"cursor": cursor, "limit": 5000}, headers=guard)
    changes = r.json()["changes"]
    assert [(c["op"], c["doc"]) for c in changes if c["entity"] == "gate_slip"] == [("remove", None)]
    revocation = next(c["doc"] for c in changes if c["entity"] == "slip_revocation")
    assert revocation["short_code"] == slip["short_code"]  # a code typed offline is answered "revoked"
    tech_changes = (await client.get("/api/sync/pull", params={"cursor": 0, "limit": 5000}, headers=tech)).json()
    assert not [c for c in tech_changes["changes"] if c["entity"] in ("gate_slip", "slip_revocation")]


async def test_a_released_slip_keeps_its_gate_document(client, desk, sig):  # R-RS-1  # noqa: ANN001
    # A second gate told "already released" still sees what left and for whom.
    slip = await issue(client, desk, owner_request(sig))
    guard = await login(client, "guard")
    assert (await push_release(client, guard, "gate-phone", 1, slip["id"], "N"))["status"] == "applied"
    docs = [c for c in await pull_all(client, guard) if c["entity"] == "gate_slip" and c["id"] == slip["id"]]
    assert [c["op"] for c in docs] == ["upsert"]


async def test_the_printed_slip_has_both_copies_and_obeys_the_csp(client, desk, sig):  # noqa: ANN001
    slip = await issue(client, desk, owner_request(sig))
    r = await client.get(f"/api/slips/{slip['id']}/print", headers=desk)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert page.count("<section class=\"copy") == 2  # R-RS-4: two copies
    assert "服务中心联" in page and "安全护卫部联" in page
    assert '<link rel="stylesheet" href="/print-slip.css">' in page and "<svg" in page
    assert "<style" not in page and "style=" not in page and "<script" not in page
    assert slip["short_code"] in page


async def test_key_rotation_keeps_slips_signed_before_it_verifiable(client, demo_db, clock, desk, sig):  # noqa: ANN001
    before = await issue(client, desk, owner_request(sig))
    async with demo_db.transaction() as uow:
        with pytest.raises(ValueError):
            await keystore.rotate(uow, "cmp_demo", overlap=timedelta(days=2))
        new_key = await keystore.rotate(uow, "cmp_demo", overlap=timedelta(days=7))
    after = await issue(client, desk, owner_request(sig))
    guard = await login(client, "guard")
    cache = await keys_for(client, guard)
    assert new_key.kid in cache["keys"] and len(cache["keys"]) == 2
    now = T0 + timedelta(hours=1)
    assert signing.verify(before["payload"], cache["keys"], set(), now) is Verdict.VALID
    assert signing.verify(after["payload"], cache["keys"], set(), now) is Verdict.VALID
    feed = {c["id"]: c["doc"] for c in await pull_all(client, guard) if c["entity"] == "slip_key"}
    assert set(feed) == set(cache["keys"])
    old_kid = signing.parse_payload(before["payload"])[0].kid
    assert feed[old_kid]["verify_until"] == int((T0 + timedelta(days=7)).timestamp())
    # After the overlap the next rotation drops the old key from the phones.
    clock.advance(days=8)
    async with demo_db.transaction() as uow:
        await keystore.rotate(uow, "cmp_demo")
    removed = [c for c in await pull_all(client, guard) if c["entity"] == "slip_key" and c["op"] == "remove"]
    assert [c["id"] for c in removed] == [old_kid]


async def test_two_server_processes_creating_the_first_key_share_one(db_url, demo_db, clock):  # noqa: ANN001
    from server.services.accounts import ensure_compound
    from server.storage.db import Database

    async with demo_db.transaction() as uow:
        await ensure_compound(uow.conn, uow.now, name="新小区", compound_id="cmp_new")
    one, two = Database(db_url, clock=clock), Database(db_url, clock=clock)

    async def first_key(database) -> str:  # noqa: ANN001
        async with database.transaction() as uow:
            return (await keystore.signing_key(uow, "cmp_new")).kid

    try:
        kids = await asyncio.gather(first_key(one), first_key(two))
    finally:
        await one.dispose()
        await two.dispose()
    assert kids[0] == kids[1]
    async with demo_db.read() as conn:
        assert list(await keystore.public_keys(conn, "cmp_new", T0)) == [kids[0]]


# --- R-RS-4: ten-day hand-in ---------------------------------------------------------------------


async def test_handin_lists_per_gate_per_ten_day_period_and_the_desk_signs_after_it_ends(  # noqa: ANN001
    client, desk, sig, clock
):
    slips = [await issue(client, desk, owner_request(sig)) for _ in range(3)]
    guard = await login(client, "guard")
    for n, (slip, gate) in enumerate(zip(slips, ["N", "N", "S"], strict=True), start=1):
        assert (await push_release(client, guard, "gate-phone", n, slip["id"], gate))["status"] == "applied"
    # T0 is 2026-11-23: the third period of November (下旬, 21st to the 30th).
    lists = (await client.get("/api/slips/handins", params={"period": "2026-11-3"}, headers=desk)).json()
    assert [(h["gate"], h["slip_ids"]) for h in lists] == [
        ("N", [slips[0]["id"], slips[1]["id"]]), ("S", [slips[2]["id"]]),
    ]  # R-RS-4
    assert (await client.get("/api/slips/handins", params={"period": "2026-11-2"}, headers=desk)).json() == []
    assert (await client.get("/api/slips/handins", headers=guard)).json() == lists  # the current period
    confirm = {"period": "2026-11-3", "gate": "N", "received_ids": [slips[0]["id"]]}
    r = await client.post("/api/slips/handins/confirm", json=confirm, headers=desk)
    assert (r.status_code, r.json()["code"]) == (409, "slip.handin_before_period_end")  # R-RS-4
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # 09:00 on 1 December in Shanghai
    r = await client.post("/api/slips/handins/confirm", json=confirm, headers=desk)
    assert r.status_code == 200, r.text
    receipt = r.json()["receipt"]
    assert receipt["received_ids"] == [slips[0]["id"]] and receipt["missing_ids"] == [slips[1]["id"]]  # R-RS-4
    assert receipt["complete"] is False
    view = (await client.get(f"/api/slips/{slips[0]['id']}", headers=desk)).json()
    security = [c for c in view["slip"]["copies"] if c["holder"] == "security"][0]
    assert security["handed_in_at"] is not None  # archived (R-RS-4, R-RC-1)
    # The late copy arrives: the receipt becomes complete and keeps the first one.
    late = {**confirm, "received_ids": [slips[1]["id"]]}
    receipt = (await client.post("/api/slips/handins/confirm", json=late, headers=desk)).json()["receipt"]
    assert receipt["complete"] is True and len(receipt["received_ids"]) == 2
    stray = {**confirm, "gate": "S", "received_ids": [slips[0]["id"]]}
    r = await client.post("/api/slips/handins/confirm", json=stray, headers=desk)
    assert (r.status_code, r.json()["code"]) == (400, "slip.handin_unknown_slip")
    r = await client.post("/api/slips/handins/confirm", json=confirm, headers=guard)
    assert r.status_code == 403


async def test_a_handin_period_or_slip_search_outside_plausible_years_is_a_coded_400(client, desk, demo_db):  # R-RS-4  # noqa: ANN001
    # 0001-01-1 begins in year 0 in UTC and the period after 9999-12-3 in year 10000: both once
    # reached the query or the domain as an OverflowError (a 500). Nothing is stored for them.
    from sqlalchemy import func, select

    from server.gate.tables import slip_handins

    for period in ("0001-01-1", "9999-12-3", "1999-12-3", "3000-01-1"):
        r = await client.get("/api/slips/handins", params={"period": period}, headers=desk)
        assert (r.status_code, r.json()["code"]) == (400, "slip.bad_period"), (period, r.text)
        r = await client.post("/api/slips/handins/confirm", headers=desk,
                              json={"period": period, "gate": "N", "received_ids": []})
        assert (r.status_code, r.json()["code"]) == (400, "slip.bad_period"), (period, r.text)
    async with demo_db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(slip_handins))).scalar() == 0
    for param in ("issued_from", "issued_to"):
        for instant in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-11-01T00:00:00"):
            r = await client.get("/api/slips", params={param: instant}, headers=desk)
            assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), (param, instant, r.text)
    r = await client.get("/api/slips", params={"issued_from": "2026-11-01T00:00:00+08:00"}, headers=desk)
    assert r.status_code == 200, r.text


async def test_a_slip_valid_until_no_real_instant_is_refused(client, desk, sig):  # R-RS-1  # noqa: ANN001
    for instant in ("9999-12-31T23:59:59-14:00", "2026-11-24T10:00:00"):
        await refused(client, desk, owner_request(sig, valid_until=instant), 400, "request.invalid")
