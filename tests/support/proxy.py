"""A small TCP proxy in front of several dashboard processes, as nginx or HAProxy would stand
there: one port, each new connection handed to the next backend in turn (round robin), and a
backend that refuses the connection skipped for the next one (as nginx's `proxy_next_upstream
error` does). It records which backend took each connection, so a test knows which process
answered what."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from dashboard.local_redis import free_port


class RoundRobinProxy:
    def __init__(self, backends: list[int]) -> None:
        self.backends = list(backends)  # backend ports on 127.0.0.1
        self.port = free_port()
        self.served: list[int] = []  # the backend port of each connection, in order
        self._turn = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def upcoming(self) -> int:
        """The backend port the next connection is handed to first."""
        return self.backends[self._turn % len(self.backends)]

    def start(self) -> RoundRobinProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self.port), self._loop)
        self._server = future.result(10)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = None
        for _ in self.backends:
            port = self.upcoming
            self._turn += 1
            try:
                upstream = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue  # that backend is down: the next one
            self.served.append(port)
            break
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            sink.close()
