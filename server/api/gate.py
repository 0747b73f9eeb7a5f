"""Release slips (放行通知单): the desk issues, revokes, prints and archives; the gate looks them up
and fetches the keys it verifies with offline. The guard's release itself is the sync mutation
`slip.release` (server/services/gate.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, Response, get, post, put
from litestar.params import JSONBody, Parameter, QueryParameter

from server.auth.guards import allow
from server.auth.principal import Principal
from server.domain.roles import Role
from server.input_guard import check_instants
from server.services import gate
from server.services.gate import (
    GateKeysView,
    GatesIn,
    GateSlipView,
    GatesView,
    HandInConfirmIn,
    HandInView,
    IncidentView,
    RevokeIn,
    SlipIssueIn,
    SlipSummary,
    SlipView,
    UnitRegisterView,
)
from server.storage.db import Database

ISSUE = allow(Role.DISPATCHER, Role.FRONT_DESK, Role.MANAGER)
DESK = allow(Role.DISPATCHER, Role.FRONT_DESK, Role.MANAGER, Role.CONTROL_ROOM)
MANAGE = allow(Role.MANAGER)
GATE_AND_DESK = allow(Role.GUARD, Role.DISPATCHER, Role.FRONT_DESK, Role.MANAGER, Role.CONTROL_ROOM)


class GateController(Controller):
    path = "/api"
    tags = ["release slips"]

    @post("/slips", opt=ISSUE, status_code=201)
    async def issue(self, db: Database, principal: Principal, data: JSONBody[SlipIssueIn]) -> SlipView:
        return await gate.issue(db, principal, data)

    @get("/slips", opt=DESK)
    async def list_slips(
        self,
        db: Database,
        principal: Principal,
        slip_state: Annotated[
            str | None, QueryParameter(name="state", pattern=r"^(issued|released|revoked|expired)$")
        ] = None,
        unit_id: str | None = None,
        gate_code: Annotated[str | None, QueryParameter(name="gate", pattern=r"^[A-Z0-9]{1,6}$")] = None,
        issued_from: datetime | None = None,
        issued_to: datetime | None = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
    ) -> list[SlipSummary]:
        check_instants(issued_from=issued_from, issued_to=issued_to)
        return await gate.list_slips(db, principal, state=slip_state, unit_id=unit_id, gate=gate_code,
                                     issued_from=issued_from, issued_to=issued_to, limit=limit)

    @get("/slips/handins", opt=GATE_AND_DESK)
    async def handins(
        self,
        db: Database,
        principal: Principal,
        period: Annotated[str | None, Parameter(pattern=r"^\d{4}-\d{2}-[123]$")] = None,
    ) -> list[HandInView]:
        return await gate.handins(db, principal, period)

    @post("/slips/handins/confirm", opt=ISSUE, status_code=200)
    async def confirm_handin(
        self, db: Database, principal: Principal, data: JSONBody[HandInConfirmIn]
    ) -> HandInView:
        return await gate.confirm_handin(db, principal, data)

    @get("/slips/incidents", opt=DESK)
    async def incidents(
        self,
        db: Database,
        principal: Principal,
        slip_id: str | None = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
    ) -> list[IncidentView]:
        return await gate.incidents(db, principal, slip_id=slip_id, limit=limit)

    @get("/slips/by-code/{short_code:str}", opt=GATE_AND_DESK)
    async def by_code(self, db: Database, principal: Principal, short_code: str) -> GateSlipView:
        return await gate.by_code(db, principal, short_code)

    @get("/slips/{slip_id:str}", opt=DESK)
    async def get_slip(self, db: Database, principal: Principal, slip_id: str) -> SlipView:
        return await gate.get_slip(db, principal, slip_id)

    @get("/slips/{slip_id:str}/print", opt=DESK, media_type="text/html")
    async def print_slip(self, db: Database, principal: Principal, slip_id: str,
                         lang: Annotated[Literal["zh", "en"], QueryParameter(description=(
                             "The slip's language, the one the desk shows; Chinese unless asked (D136)"))] = "zh",
                         ) -> Response[str]:
        body = await gate.print_html(db, principal, slip_id, lang)
        return Response(content=body, media_type="text/html; charset=utf-8")

    @post("/slips/{slip_id:str}/revoke", opt=ISSUE, status_code=200)
    async def revoke(self, db: Database, principal: Principal, slip_id: str, data: JSONBody[RevokeIn]) -> SlipView:
        return await gate.revoke(db, principal, slip_id, data)

    # The slip form shows who is on the unit's household register (R-RS-2) before the desk types a name.
    @get("/units/{unit_id:str}/register", opt=DESK)
    async def unit_register(self, db: Database, principal: Principal, unit_id: str) -> UnitRegisterView:
        return await gate.unit_register(db, principal, unit_id)

    @get("/gate/keys", opt=GATE_AND_DESK)
    async def keys(self, db: Database, principal: Principal) -> GateKeysView:
        return await gate.gate_keys(db, principal)

    # The compound's gates by name (东门 (E) …): the desk's slip form and print, the guard's phone.
    @get("/gates", opt=GATE_AND_DESK)
    async def gates(self, db: Database, principal: Principal) -> GatesView:
        return await gate.list_gates(db, principal)

    @put("/gates", opt=MANAGE, status_code=200)
    async def set_gates(self, db: Database, principal: Principal, data: JSONBody[GatesIn]) -> GatesView:
        return await gate.put_gates(db, principal, data)
