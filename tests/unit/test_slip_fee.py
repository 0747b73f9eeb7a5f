"""A service slip carries a fee only where the resident pays (R-IN-6, R-SS-3)."""

from __future__ import annotations

import msgspec
import pytest

from server.domain import cases as c
from server.domain.cases import CaseReason, CaseState, Kind, RepairResponsibility
from tests.unit.test_cases import T0, dispatched, ok, opened, refused, signed_slip


def _on_site(kind: Kind = Kind.REPAIR, **kw):  # noqa: ANN003, ANN202
    case = dispatched(opened(kind, **kw), T0, to="t1")
    return ok(c.arrive(case, work_order_id="wo1", by="t1", now=T0)).case


def _complete(case, fee_cents: int):  # noqa: ANN001, ANN202
    slip = msgspec.structs.replace(signed_slip(T0), fee_cents=fee_cents)
    return c.complete(case, work_order_id="wo1", by="t1", now=T0, slip=slip)


@pytest.mark.parametrize("responsibility", [RepairResponsibility.COMMON, RepairResponsibility.DEVELOPER_DEFECT])
def test_a_free_repair_cannot_be_completed_with_a_fee_on_its_slip(responsibility) -> None:  # noqa: ANN001  # R-IN-6, R-SS-3
    case = _on_site(repair_responsibility=responsibility)
    r = refused(_complete(case, 3500), CaseReason.FEE_NOT_CHARGEABLE)
    assert r.details["field"] == "fee_cents" and r.kind == "invalid"
    assert ok(_complete(case, 0)).case.state == CaseState.COMPLETED


def test_a_complaint_job_cannot_be_signed_off_with_a_fee() -> None:  # R-SS-3
    refused(_complete(_on_site(Kind.COMPLAINT), 100), CaseReason.FEE_NOT_CHARGEABLE)


@pytest.mark.parametrize("responsibility", [
    RepairResponsibility.OWNER_PRIVATE, RepairResponsibility.OWNER_PAYS_DEFECT, None,
])
def test_an_owner_paid_or_unjudged_repair_may_carry_a_fee(responsibility) -> None:  # noqa: ANN001  # R-IN-6 a, c
    extra = {"fee_quote_cents": 5000} if responsibility == RepairResponsibility.OWNER_PRIVATE else {}
    case = _on_site(repair_responsibility=responsibility, **extra)
    assert ok(_complete(case, 5000)).case.slip.fee_cents == 5000


def test_a_paid_service_slip_carries_its_fee() -> None:  # R-SS-2
    case = _on_site(Kind.SPECIAL_SERVICE)
    assert ok(_complete(case, 5000)).case.slip.fee_cents == 5000


def _complete_with(case, fee_cents: int, reason: str = "", fee_unit: str | None = None):  # noqa: ANN001, ANN202
    slip = msgspec.structs.replace(signed_slip(T0), fee_cents=fee_cents, fee_over_reason=reason)
    return c.complete(case, work_order_id="wo1", by="t1", now=T0, slip=slip, fee_unit=fee_unit)


def test_a_per_visit_special_service_cannot_charge_above_the_agreed_fee() -> None:  # R-SS-2
    case = _on_site(Kind.SPECIAL_SERVICE, fee_quote_cents=8000)
    r = refused(_complete_with(case, 9000, "加收材料费", fee_unit="per_visit"), CaseReason.FEE_ABOVE_AGREED)
    assert r.kind == "invalid" and r.details["agreed_fee_cents"] == 8000 and "80.00" in r.zh
    assert ok(_complete_with(case, 8000, fee_unit="per_visit")).case.slip.fee_cents == 8000


def test_a_per_piece_special_service_may_charge_several_pieces() -> None:  # R-SS-2
    case = _on_site(Kind.SPECIAL_SERVICE, fee_quote_cents=1500)
    assert ok(_complete_with(case, 4500, fee_unit="per_piece")).case.slip.fee_cents == 4500


def test_a_repair_fee_above_the_fee_told_needs_a_reason_on_the_slip() -> None:  # R-IN-6 a
    case = _on_site(repair_responsibility=RepairResponsibility.OWNER_PRIVATE, fee_quote_cents=5000)
    r = refused(_complete_with(case, 8000, "  "), CaseReason.FEE_REASON_REQUIRED)
    assert r.details["missing"] == ["fee_over_reason"] and r.details["told_fee_cents"] == 5000
    slip = ok(_complete_with(case, 8000, "阀门锈死，须整套更换")).case.slip
    assert (slip.fee_cents, slip.fee_over_reason) == (8000, "阀门锈死，须整套更换")
    assert ok(_complete_with(case, 5000)).case.slip.fee_cents == 5000


def test_the_reason_for_a_higher_fee_is_covered_by_the_signature() -> None:  # R-IN-6 a, R-CL-1
    from server.domain.service_slips import canonical_slip

    case = _on_site(repair_responsibility=RepairResponsibility.OWNER_PRIVATE, fee_quote_cents=5000)
    slip = msgspec.structs.replace(signed_slip(T0), fee_cents=8000, fee_over_reason="阀门锈死")
    assert canonical_slip(case, case.work_orders[0], slip)["fee_over_reason"] == "阀门锈死"
    assert "fee_over_reason" not in canonical_slip(case, case.work_orders[0], signed_slip(T0))
