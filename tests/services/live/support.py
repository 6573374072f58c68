"""Driving the live services from a test: a watch on a key run in an event loop of its own,
with its updates handed to the test's thread as they come."""

from __future__ import annotations

import asyncio
import queue
import threading

import redis

from keyspace.services.live.key_watch import Update, watch_key
from keyspace.services.live.snapshot import take
from keyspace.units import PageRequest


class Watch:
    """`watch_key` running in a thread with its own loop; `next()` is its next update."""

    def __init__(self, db: int, key: bytes, request: PageRequest, shown_digest: str):
        self.updates: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=asyncio.run, args=(self._run(db, key, request, shown_digest),), daemon=True)
        self.thread.start()

    async def _run(self, db, key, request, shown_digest):
        watch = watch_key(db, key, request, shown_digest=shown_digest)
        try:
            while not self.stopping.is_set():
                try:
                    item = await asyncio.wait_for(anext(watch), 0.2)
                except TimeoutError:
                    continue
                if item is not None:
                    self.updates.put(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.updates.put(exc)
        finally:
            await watch.aclose()

    def next(self, timeout: float = 5.0, *, skip_status: bool = True) -> Update:
        while True:
            item = self.updates.get(timeout=timeout)
            if isinstance(item, BaseException):
                raise item
            if skip_status and not isinstance(item, Update):
                continue
            return item

    def subscribed(self) -> Update:
        """The opening update, once the subscription is in place."""
        status = self.updates.get(timeout=5)
        assert getattr(status, "text", "") == "subscribed", status
        return self.next()

    def quiet(self, seconds: float = 0.5) -> list:
        """Updates that arrive within `seconds` (none, when nothing changed)."""
        found = []
        try:
            while True:
                found.append(self.updates.get(timeout=seconds))
        except queue.Empty:
            return found

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)


def watch(r: redis.Redis, key: bytes, request: PageRequest | None = None) -> Watch:
    """Watch `key` as a page drawn now with `request` shows it."""
    request = request or PageRequest(count=100)
    from keyspace.redis.connection import get_client

    shown = take(get_client(0), key, _validated(r, key, request))
    return Watch(0, key, _validated(r, key, request), shown.digest)


def _validated(r: redis.Redis, key: bytes, request: PageRequest) -> PageRequest:
    from keyspace.units import registry

    return registry.unit_for(r.type(key)).validate(request)
