"""Dependencies shared by controllers: the database and the calling principal."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State

from server.auth.principal import Principal
from server.storage.db import Database


def provide_db(state: State) -> Database:
    return state.db


def provide_principal(request: Request) -> Principal:
    return request.user
