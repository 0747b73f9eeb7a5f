"""The key cabinet set up through the API for the desk's key tests (R-KY-1): a key filed, lent to an
outsider against ID and deposit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from e2e.api import Api
from e2e.bookings import _upload
from tests.images import signature_png


def new_key(desk: Api, label: str, *, building: str, floor: str) -> dict:
    return desk.call("POST", "/api/keys", {"building": building, "floor": floor, "key_type": "resident_entrusted",
                                           "label": label})["key"]


def lend_outsider(server, desk: Api, key_id: str, *, name: str, deposit_cents: int, receipt: str,  # noqa: ANN001
                  last4: str = "1234", doc_type: str = "resident_id_card") -> dict:
    """Lent for 4 hours from now, the borrower's signature uploaded first; returns the loan."""
    sig = _upload(server.url, desk, signature_png(f"outsider-{key_id}-{name}"))
    return desk.call("POST", f"/api/keys/{key_id}/loans", {
        "borrower_name": name, "borrower_kind": "outsider", "signature_sha256": sig,
        "due_at": (datetime.now(UTC) + timedelta(hours=4)).isoformat(),
        "id_shown": {"doc_type": doc_type, "last4": last4}, "deposit_cents": deposit_cents,
        "deposit_receipt_no": receipt, "borrower_phone": "13800138000"})["loan"]
