"""The manager's staff page: people, their phones and emergency posts, sign-in on and off (D129)."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import JSONBody

from server.auth.guards import allow
from server.auth.principal import Principal
from server.domain.roles import ALL_STAFF, Role
from server.services import accounts, field_emergency
from server.services.accounts import PasswordIn, StaffAccount, StaffAccountIn, StaffDetailsIn
from server.services.field_emergency import CompoundPhones
from server.storage.db import Database

# Only the office's manager keeps the staff list: these change who can sign in and whom the emergency
# panel calls. Everyone at the desk reads the directory through GET /api/staff.
MANAGER = allow(Role.MANAGER)


class StaffController(Controller):
    path = "/api/staff/accounts"
    tags = ["staff"]

    @get("", opt=MANAGER)
    async def list_accounts(self, db: Database, principal: Principal) -> list[StaffAccount]:
        return await accounts.staff_accounts(db, principal)

    @post("", opt=MANAGER, status_code=201)
    async def add(self, db: Database, principal: Principal, data: JSONBody[StaffAccountIn]) -> StaffAccount:
        return await accounts.add_staff(db, principal, data)

    @put("/{user_id:str}", opt=MANAGER)
    async def edit(self, db: Database, principal: Principal, user_id: str,
                   data: JSONBody[StaffDetailsIn]) -> StaffAccount:
        return await accounts.edit_staff(db, principal, user_id, data)

    @post("/{user_id:str}/deactivate", opt=MANAGER, status_code=200)
    async def deactivate(self, db: Database, principal: Principal, user_id: str) -> StaffAccount:
        return await accounts.deactivate_staff(db, principal, user_id)

    @post("/{user_id:str}/reactivate", opt=MANAGER, status_code=200)
    async def reactivate(self, db: Database, principal: Principal, user_id: str) -> StaffAccount:
        return await accounts.reactivate_staff(db, principal, user_id)

    @post("/{user_id:str}/password", opt=MANAGER, status_code=200)
    async def reset_password(self, db: Database, principal: Principal, user_id: str,
                             data: JSONBody[PasswordIn]) -> StaffAccount:
        return await accounts.reset_password(db, principal, user_id, data)


class CompoundPhonesController(Controller):
    """The compound's service-centre and control-room numbers: every staff phone's emergency sheet lists
    them beside the public numbers (R-EM-2, R-EM-5); the manager keeps them with the staff list."""

    path = "/api/compound/phones"
    tags = ["staff"]

    @get("", opt=allow(*ALL_STAFF))
    async def get_phones(self, db: Database, principal: Principal) -> CompoundPhones:
        return await field_emergency.get_phones(db, principal)

    @put("", opt=MANAGER)
    async def put_phones(self, db: Database, principal: Principal, data: JSONBody[CompoundPhones]) -> CompoundPhones:
        return await field_emergency.put_phones(db, principal, data)
