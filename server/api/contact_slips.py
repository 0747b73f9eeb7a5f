"""Desk endpoints for the work-contact slip 工作联系单 to the developer (R-IN-6 d, D44)."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import JSONBody

from server.auth.guards import allow
from server.auth.principal import Principal
from server.domain.roles import DESK
from server.services import contact_slips as svc
from server.storage.db import Database

# The desk writes and follows the slip; the developer answers on paper, not through the app.
DESK_ROLES = allow(*DESK)


class ContactSlipController(Controller):
    path = "/api"
    tags = ["contact slips"]

    @get("/cases/{case_id:str}/contact-slips", opt=DESK_ROLES)
    async def list_for_case(self, db: Database, principal: Principal, case_id: str) -> svc.CaseContactSlips:
        return await svc.list_for_case(db, principal, case_id)

    @post("/cases/{case_id:str}/contact-slips", opt=DESK_ROLES, status_code=201)
    async def create(self, db: Database, principal: Principal, case_id: str,
                     data: JSONBody[svc.CreateIn]) -> svc.ContactSlipView:
        """R-IN-6 (d): a draft slip for a repair classified as the developer's legacy defect."""
        return await svc.create(db, principal, case_id, data)

    @get("/contact-slips/{slip_id:str}", opt=DESK_ROLES)
    async def get_slip(self, db: Database, principal: Principal, slip_id: str) -> svc.ContactSlipView:
        return await svc.get(db, principal, slip_id)

    @put("/contact-slips/{slip_id:str}", opt=DESK_ROLES, status_code=200)
    async def edit(self, db: Database, principal: Principal, slip_id: str,
                   data: JSONBody[svc.EditIn]) -> svc.ContactSlipView:
        """Change a draft; a sent slip is refused (contact_slip.already_issued)."""
        return await svc.edit(db, principal, slip_id, data)

    @post("/contact-slips/{slip_id:str}/verification", opt=DESK_ROLES, status_code=200)
    async def verify(self, db: Database, principal: Principal, slip_id: str,
                     data: JSONBody[svc.VerifyIn]) -> svc.ContactSlipView:
        """R-IN-6 (d): who verified the defect on site, when, and what was found."""
        return await svc.verify(db, principal, slip_id, data)

    @post("/contact-slips/{slip_id:str}/issue", opt=DESK_ROLES, status_code=200)
    async def issue(self, db: Database, principal: Principal, slip_id: str) -> svc.ContactSlipView:
        """Number and send the slip; refused before the on-site verification (contact_slip.not_verified)."""
        return await svc.issue(db, principal, slip_id)

    @post("/contact-slips/{slip_id:str}/reply", opt=DESK_ROLES, status_code=200)
    async def reply(self, db: Database, principal: Principal, slip_id: str,
                    data: JSONBody[svc.ReplyIn]) -> svc.ContactSlipView:
        """Record the developer's answer (date and text)."""
        return await svc.reply(db, principal, slip_id, data)
