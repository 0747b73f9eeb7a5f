"""Shared steps for integration tests: a repair taken from intake to a signed slip."""

from __future__ import annotations

import hashlib
import uuid

from tests.conftest import login
from tests.images import signature_png  # noqa: F401  (re-exported: tests import it from here)


async def upload(client, headers, data: bytes, content_type: str = "image/png") -> str:  # noqa: ANN001
    sha = hashlib.sha256(data).hexdigest()
    r = await client.put(f"/api/blobs/{sha}", content=data, headers={**headers, "content-type": content_type})
    assert r.status_code == 201, r.text
    return sha


async def new_repair(client, desk, *, content: str = "厨房水龙头漏水", repair_class: str = "small") -> dict:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": content, "repair_responsibility": "common",
        "repair_class": repair_class,
    })
    assert r.status_code == 201, r.text
    return r.json()


async def open_and_dispatch(client, desk, case_id: str, assignee: str = "usr_tech") -> dict:  # noqa: ANN001
    r = await client.post(f"/api/cases/{case_id}/decide", headers=desk, json={"open": True, "reason": "A"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=desk, json={
        "assignee_id": assignee, "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    return r.json()


class Phone:
    """A simulated phone: its own client id and strictly increasing mutation ids."""

    def __init__(self, client, headers) -> None:  # noqa: ANN001
        self.client = client
        self.headers = headers
        self.client_id = "c" + uuid.uuid4().hex
        self.next_id = 1
        self.cursor = 0
        self.docs: dict[tuple[str, str], dict] = {}

    def mutation(self, type_: str, **args) -> dict:  # noqa: ANN003
        m = {"mutation_id": self.next_id, "type": type_, "args": args, "device_time": "2026-11-23T02:00:00Z"}
        self.next_id += 1
        return m

    async def push(self, *mutations: dict) -> dict:
        r = await self.client.post("/api/sync/push", headers=self.headers,
                                   json={"client_id": self.client_id, "mutations": list(mutations)})
        assert r.status_code == 200, r.text
        return r.json()

    async def pull(self) -> list[dict]:
        got = []
        while True:
            r = await self.client.get("/api/sync/pull", headers=self.headers, params={"cursor": self.cursor})
            assert r.status_code == 200, r.text
            body = r.json()
            for ch in body["changes"]:
                got.append(ch)
                key = (ch["entity"], ch["id"])
                if ch["op"] == "remove":
                    self.docs.pop(key, None)
                else:
                    self.docs[key] = ch["doc"]
            self.cursor = body["cursor"]
            if not body["more"]:
                return got

    def jobs(self) -> dict[str, dict]:
        return {k[1]: v for k, v in self.docs.items() if k[0] == "job"}


async def complete_on_phone(client, case_id: str, username: str = "tech", *, device: str = "phone",  # noqa: ANN001
                            signature_seed: str | None = None, **slip) -> tuple[Phone, str]:  # noqa: ANN003
    """On `username`'s phone: accept, arrive and complete the case's job with a drawn signature.

    `slip` overrides the completion's arguments (work done, materials, fee). `signature_seed` draws a
    different signature (a case's rework is signed again; one drawing belongs to one slip).
    """
    headers = await login(client, username, device=device)
    phone = Phone(client, headers)
    await phone.pull()
    job_id = next(j for j, d in phone.jobs().items() if d["case_id"] == case_id)
    sig = await upload(client, headers, signature_png(signature_seed or case_id))
    args = {"work_done": "更换阀芯", "materials": "阀芯1个", "fee_cents": 0, "signer_name": "黄业主",
            "signer_relation": "owner", **slip}
    res = await phone.push(
        phone.mutation("job.accept", job_id=job_id),
        phone.mutation("job.arrive", job_id=job_id),
        phone.mutation("job.complete", job_id=job_id, signature_sha256=sig, **args),
    )
    assert [x["status"] for x in res["results"]] == ["applied"] * 3, res
    return phone, job_id


async def closed_repair_owing_call_back(client, clock, desk) -> str:  # noqa: ANN001
    """A repair completed on the phone, its slip returned and countersigned an hour later, then closed:
    the R-FU-6 call-back is still owed. Returns the case id."""
    cid = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    await complete_on_phone(client, cid)
    clock.advance(hours=1)
    assert (await client.post(f"/api/cases/{cid}/return-slip", headers=desk)).status_code == 200
    assert (await client.post(f"/api/cases/{cid}/countersign", headers=desk)).status_code == 200
    r = await client.post(f"/api/cases/{cid}/close", headers=desk, json={"result": "已修复"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "closed"
    return cid


async def reassigned_before_sync(client, content: str = "卫生间地漏堵塞"):  # noqa: ANN001, ANN201
    """tech holds the job on the phone; the desk gives it to tech2 (刘师傅) before the phone syncs again.
    Returns the desk's headers, the case, the phone, the withdrawn job's id and the hash of a
    resident's signature the phone has uploaded, for the pushes the test then makes."""
    desk = await login(client, "dispatcher")
    case = (await new_repair(client, desk, content=content))["case"]
    await open_and_dispatch(client, desk, case["id"])
    phone = Phone(client, await login(client, "tech", device="phone"))
    await phone.pull()
    job_id = next(j for j, d in phone.jobs().items() if d["case_id"] == case["id"])
    r = await client.post(f"/api/cases/{case['id']}/dispatch", headers=desk,
                          json={"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    sig = await upload(client, phone.headers, signature_png(case["id"]))
    return desk, case, phone, job_id, sig


def rate_counts(report: dict, key: str) -> tuple[int, int]:
    """(numerator, denominator) of one of a monthly report's rates."""
    r = next(r for r in report["rates"] if r["key"] == key)
    return r["numerator"], r["denominator"]


async def call_backs(client, desk, case_id: str) -> list[dict]:  # noqa: ANN001
    """A case's call-backs, one per round of work, in the order the rounds were completed (D133)."""
    r = await client.get("/api/callbacks", headers=desk, params={"case_id": case_id})
    assert r.status_code == 200, r.text
    return sorted(r.json(), key=lambda t: t["completed_at"])
