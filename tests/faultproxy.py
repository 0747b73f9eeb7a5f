"""A loopback TCP proxy that can lose a response on purpose: the network fault between commit and reply.

It listens on 127.0.0.1 only and forwards to a server on 127.0.0.1. Armed with `drop_next_response()`,
it lets the request through, waits for the first bytes of the server's answer (the server answers
only after its transaction committed), then resets the client's connection without passing them on.
The client sees a dropped connection, exactly as a phone does when it loses signal at that moment.
"""

from __future__ import annotations

import asyncio
import contextlib

LOOPBACK = "127.0.0.1"
_CHUNK = 64 * 1024


class FaultProxy:
    def __init__(self, upstream_port: int, *, upstream_host: str = LOOPBACK) -> None:
        if upstream_host != LOOPBACK:
            raise ValueError("the fault proxy only forwards to loopback")
        self.upstream_port = upstream_port
        self.upstream_host = upstream_host
        self.port = 0
        self.dropped = 0
        self.connections = 0
        self._drop_armed = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def drop_next_response(self, count: int = 1) -> None:
        """The next `count` responses (on any connection) are swallowed and the connection reset."""
        self._drop_armed += count

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._handle, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        # Reset every open connection; each handler then ends by itself (no task is cancelled).
        for w in list(self._writers):
            w.transport.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _handle(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        u_writer = None
        self._writers.add(c_writer)
        try:
            u_reader, u_writer = await asyncio.wait_for(
                asyncio.open_connection(self.upstream_host, self.upstream_port), 10
            )
            self._writers.add(u_writer)
            up = asyncio.create_task(self._pump(c_reader, u_writer))
            down = asyncio.create_task(self._downstream(u_reader, c_writer))
            _, pending = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            for t in pending:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await t
        except (TimeoutError, OSError):
            pass
        finally:
            for w in (c_writer, u_writer):
                if w is not None:
                    w.transport.abort()
                    self._writers.discard(w)
            self._tasks.discard(task)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()

    async def _downstream(self, u_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        while data := await u_reader.read(_CHUNK):
            if self._drop_armed:
                # The server has committed and answered: lose the answer, reset the phone's connection.
                self._drop_armed -= 1
                self.dropped += 1
                c_writer.transport.abort()
                return
            c_writer.write(data)
            await c_writer.drain()
