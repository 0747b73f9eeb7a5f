"""Desk endpoints for field records the push refused: the list, marking one or several handled, and accepting
a refused completion as the work done."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, Parameter

from server.auth.guards import allow
from server.auth.principal import Principal
from server.domain.roles import DESK, LEADERSHIP, Role
from server.services import field_refusals as service
from server.services.field_refusals import FieldRefusalView, HandleIn, HandleManyIn
from server.storage.db import Database
from server.sync.protocol import MAX_MUTATION_ID


class FieldRefusalController(Controller):
    path = "/api/field-refusals"
    tags = ["sync"]

    @get("/", opt=allow(*DESK, *LEADERSHIP))
    async def refusals(
        self, db: Database, principal: Principal,
        case_id: Annotated[str | None, Parameter(max_length=40)] = None,
        include_handled: bool = False,
    ) -> list[FieldRefusalView]:
        """Refused field records of the compound, newest first: the open ones, or with `include_handled` all.

        Each carries the case's state now and who holds its job now (`holder`: name, role, phone)."""
        return await service.list_refusals(db, principal, case_id=case_id, include_handled=include_handled)

    @post("/handle-many", opt=allow(*DESK), status_code=200)
    async def handle_many(self, db: Database, principal: Principal,
                          data: JSONBody[HandleManyIn]) -> list[FieldRefusalView]:
        """Say once what the desk did about several records refused for the same reason: all or none."""
        return await service.handle_many(db, principal, data)

    @post("/{client_id:str}/{mutation_id:int}/handle", opt=allow(*DESK), status_code=200)
    async def handle(self, db: Database, principal: Principal, client_id: str,
                     mutation_id: Annotated[int, Parameter(ge=1, le=MAX_MUTATION_ID)],
                     data: JSONBody[HandleIn]) -> FieldRefusalView:
        """Say what the desk did about a refused record (once)."""
        return await service.handle(db, principal, client_id, mutation_id, data)

    @post("/{client_id:str}/{mutation_id:int}/accept", opt=allow(Role.DISPATCHER, Role.MANAGER), status_code=200)
    async def accept(self, db: Database, principal: Principal, client_id: str,
                     mutation_id: Annotated[int, Parameter(ge=1, le=MAX_MUTATION_ID)]) -> FieldRefusalView:
        """Accept a signed completion refused because its job was reassigned: the case is completed by the
        technician at the time the phone recorded it, the order held now is withdrawn (once; refused with
        its code when the case has moved on)."""
        return await service.accept(db, principal, client_id, mutation_id)
