"""A repair taken to completion through the API (desk intake, dispatch, the technician's sync push),
for e2e tests of what the desk does after the resident has signed."""

from __future__ import annotations

import uuid
from datetime import datetime

from e2e.api import Api
from e2e.bookings import _upload
from tests.images import signature_png


def completed_repair(base: str, content: str, *, resident: str = "黄业主", phone: str = "13800000001",
                     work_done: str = "更换水龙头阀芯", rating: dict | None = None,
                     signer: str | None = None, relation: str = "owner", responsibility: str = "common",
                     fee_quote_cents: int | None = None, fee_cents: int = 0, fee_over_reason: str = "") -> str:
    """A repair dispatched to the technician, who completed it with the signature of `signer` (the
    resident by default) as `relation` and, when `rating` is given ({"resident_grade",
    "resident_opinion"}), the resident's own rating. A private-part repair (`responsibility`
    "owner_private") may carry the fee told at intake and a slip fee above it with its reason."""
    desk = Api(base, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": resident, "phone": phone,
        "unit_id": "unit_1_101", "content": content, "repair_responsibility": responsibility, "repair_class": "small",
        **({"fee_quote_cents": fee_quote_cents} if fee_quote_cents is not None else {}),
    })["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    job_id = desk.call("GET", f"/api/cases/{case['id']}")["case"]["work_orders"][-1]["id"]
    tech = Api(base, "tech")
    sig = _upload(base, tech, signature_png(case["id"]))
    steps = [("job.accept", {}), ("job.arrive", {}),
             ("job.complete", {"work_done": work_done, "fee_cents": fee_cents, "signature_sha256": sig,
                               **({"fee_over_reason": fee_over_reason} if fee_over_reason else {}),
                               "signer_name": signer or resident, "signer_relation": relation, **(rating or {})})]
    res = tech.call("POST", "/api/sync/push", {"client_id": "c" + uuid.uuid4().hex, "mutations": [
        {"mutation_id": i + 1, "type": t, "args": {"job_id": job_id, **a}, "device_time": datetime.now().astimezone().isoformat()}
        for i, (t, a) in enumerate(steps)]})
    assert [r["status"] for r in res["results"]] == ["applied"] * 3, res
    return case["id"]
