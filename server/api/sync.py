"""Sync endpoints: push mutations, pull changes, upload and fetch blobs."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, head, patch, post, put
from litestar.datastructures import CacheControlHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, Parameter

from server.api.compression import NO_COMPRESSION
from server.auth.guards import allow
from server.auth.principal import Principal
from server.domain.roles import ALL_STAFF
from server.services import blobs
from server.storage.db import Database
from server.sync import pull as pull_service
from server.sync import push as push_service
from server.sync.protocol import BlobUploadOut, PullOut, PushIn, PushOut

STAFF = allow(*ALL_STAFF)


class SyncController(Controller):
    path = "/api"
    tags = ["sync"]

    @post("/sync/push", opt=STAFF, status_code=200)
    async def push(self, db: Database, principal: Principal, data: JSONBody[PushIn]) -> PushOut:
        return await push_service.push(db, principal, data)

    @get(
        "/sync/pull",
        opt=STAFF,
        responses={200: ResponseSpec(data_container=PullOut, description="Changes since the cursor")},
    )
    async def pull(
        self,
        db: Database,
        principal: Principal,
        cursor: Annotated[int, Parameter(ge=0)] = 0,
        limit: Annotated[int, Parameter(ge=1, le=5000)] = 1000,
    ) -> Response[bytes]:
        body = await pull_service.pull(db, principal, cursor, limit)
        return Response(content=body, media_type="application/json")

    @put("/blobs/{sha256:str}", opt=STAFF, status_code=201)
    async def put_blob(self, request: Request, db: Database, principal: Principal, sha256: str) -> dict:
        data = await request.body()
        settings = request.app.state.settings
        return await blobs.put_blob(
            db, principal, sha256, request.headers.get("content-type", ""), data, settings.max_blob_bytes
        )

    @head("/blobs/{sha256:str}", opt=STAFF)
    async def has_blob(self, db: Database, principal: Principal, sha256: str) -> Response[None]:
        """200 when stored; 404 otherwise. `Upload-Offset` says how many bytes of it this caller has sent."""
        stored, offset = await blobs.upload_offset(db, principal, sha256)
        return Response(content=None, status_code=200 if stored else 404, headers={"Upload-Offset": str(offset)})

    @patch("/blobs/{sha256:str}", opt=STAFF, status_code=200)
    async def append_blob(
        self,
        request: Request,
        db: Database,
        principal: Principal,
        sha256: str,
        upload_offset: Annotated[int, HeaderParameter(name="Upload-Offset", ge=0)],
        upload_length: Annotated[int, HeaderParameter(name="Upload-Length", ge=1)],
    ) -> BlobUploadOut:
        """A piece of a blob starting at `Upload-Offset`, of `Upload-Length` bytes in all (resumable upload)."""
        return await blobs.append_chunk(
            db, principal, sha256, offset=upload_offset, total=upload_length,
            content_type=request.headers.get("content-type", ""), chunk=await request.body(),
            max_bytes=request.app.state.settings.max_blob_bytes,
        )

    @get("/blobs/{sha256:str}", opt={**STAFF, **NO_COMPRESSION}, media_type="application/octet-stream")
    async def get_blob(self, db: Database, principal: Principal, sha256: str) -> Response[bytes]:
        content_type, data = await blobs.get_blob(db, principal, sha256)
        # Content-addressed: the bytes behind a hash never change.
        return Response(
            content=data, media_type=content_type,
            headers={"Content-Disposition": "inline",
                     "Cache-Control": CacheControlHeader(max_age=31536000, private=True).to_header()},
        )
