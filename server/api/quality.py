"""Desk endpoints for the manager's weekly quality check and its CAPA report (R-RV-4)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.params import JSONBody

from server.auth.guards import allow
from server.auth.principal import Principal
from server.domain import monthly_report as mr
from server.domain.roles import DESK, LEADERSHIP
from server.services import quality
from server.storage.db import Database

# Those who read the monthly report read the weekly checks too. Only the manager records or files:
# the rule refuses other desk roles with its own code (monthly_report.not_manager).
QUALITY_ROLES = allow(*DESK, *LEADERSHIP)


class WeeklyCheckView(mr.WeeklyCheck, kw_only=True):
    id: str


def _view(check_id: str, check: mr.WeeklyCheck) -> WeeklyCheckView:
    return WeeklyCheckView(id=check_id, **msgspec.structs.asdict(check))


class QualityController(Controller):
    path = "/api/quality"
    tags = ["quality"]

    @post("/weekly-checks", opt=QUALITY_ROLES, status_code=201)
    async def record(self, db: Database, principal: Principal,
                     data: JSONBody[quality.WeeklyCheckIn]) -> WeeklyCheckView:
        return _view(*await quality.record(db, principal, data))

    @get("/weekly-checks", opt=QUALITY_ROLES)
    async def checks(self, db: Database, principal: Principal) -> list[WeeklyCheckView]:
        """The compound's checks of the last year, newest week first."""
        return [_view(i, c) for i, c in await quality.list_checks(db, principal)]

    @post("/weekly-checks/{check_id:str}/capa", opt=QUALITY_ROLES, status_code=200)
    async def capa(self, db: Database, principal: Principal, check_id: str,
                   data: JSONBody[quality.CapaIn]) -> WeeklyCheckView:
        return _view(*await quality.file_capa(db, principal, check_id, data))

    @post("/weekly-checks/{check_id:str}/capa/decision", opt=QUALITY_ROLES, status_code=200)
    async def capa_decision(self, db: Database, principal: Principal, check_id: str,
                            data: JSONBody[quality.CapaDecisionIn]) -> WeeklyCheckView:
        """The general manager signs a filed CAPA report off, or sends it back with a reason (D117)."""
        return _view(*await quality.decide_capa(db, principal, check_id, data))

    @post("/weekly-checks/{check_id:str}/capa/done", opt=QUALITY_ROLES, status_code=200)
    async def capa_done(self, db: Database, principal: Principal, check_id: str,
                        data: JSONBody[quality.CapaDoneIn]) -> WeeklyCheckView:
        """The manager records the CAPA report's actions as carried out, and how; its reminders stop."""
        return _view(*await quality.complete_capa(db, principal, check_id, data))
