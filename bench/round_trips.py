"""Counting Redis round trips from outside the dashboard: a TCP proxy between it and Redis.

redis-py sends a big pipeline in several writes, and Redis may answer the first part before
the rest arrives, so "a send after all replies came back" would count one pipeline many
times. The proxy therefore holds Redis's replies until the client has been quiet for
`QUIET_SECONDS`: a client gets nothing back while it is still sending, and each send that
follows a delivery of replies starts a round trip. This adds latency, so only a dashboard
process used for counting goes through it, never the timed one.
"""

from __future__ import annotations

import asyncio
import threading

import hiredis

from dashboard.local_redis import free_port

READ_BYTES = 1 << 16
QUIET_SECONDS = 0.01


class _Flow:
    """One client connection's state, shared by both directions."""

    def __init__(self) -> None:
        self.requests = hiredis.Reader()
        self.pending = bytearray()
        self.delivered = True  # the first send starts a round trip
        self.last_send = 0.0
        self.flusher: asyncio.Task | None = None


class CountingProxy:
    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.round_trips = 0
        self.commands = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> CountingProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self._server = future.result(timeout=5)
        return self

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter):
        redis_in, redis_out = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        flow = _Flow()
        try:
            await asyncio.gather(
                self._pump_requests(client_in, redis_out, flow),
                self._pump_replies(redis_in, client_out, flow),
            )
        except ConnectionError:
            pass
        finally:
            client_out.close()
            redis_out.close()

    async def _pump_requests(self, source, sink, flow: _Flow) -> None:
        while data := await source.read(READ_BYTES):
            flow.last_send = self._loop.time()
            if flow.delivered:
                self.round_trips += 1
                flow.delivered = False
            flow.requests.feed(data)
            while flow.requests.gets() is not False:
                self.commands += 1
            sink.write(data)
            await sink.drain()
        sink.close()

    async def _pump_replies(self, source, sink, flow: _Flow) -> None:
        while data := await source.read(READ_BYTES):
            flow.pending += data
            if flow.flusher is None or flow.flusher.done():
                flow.flusher = asyncio.create_task(self._deliver_when_quiet(sink, flow))
        if flow.flusher:
            await flow.flusher
        sink.close()

    async def _deliver_when_quiet(self, sink, flow: _Flow) -> None:
        while flow.pending:
            while (wait := flow.last_send + QUIET_SECONDS - self._loop.time()) > 0:
                await asyncio.sleep(wait)
            data = bytes(flow.pending)
            flow.pending.clear()
            flow.delivered = True
            sink.write(data)
            await sink.drain()

    def counts(self) -> tuple[int, int]:
        return self.round_trips, self.commands

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
