"""What every check needs: the probe, raw clients, the special keys and the run's options."""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
from dataset import SpecialKeys
from probe import Probe

from keyspace.redis.keynames import encode_key


@dataclass
class Bench:
    probe: Probe
    port: int
    keys: SpecialKeys
    repeat: int
    warmup: int
    notes: list[str] = field(default_factory=list)
    _clients: dict[int, redis.Redis] = field(default_factory=dict)

    def raw(self, db: int) -> redis.Redis:
        """A redis-py + hiredis client of the benchmark process itself (the raw floor's)."""
        if db not in self._clients:
            self._clients[db] = redis.Redis(port=self.port, db=db, client_name="bench-raw")
        return self._clients[db]

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  {text}", flush=True)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def key_path(db: int, key: bytes) -> str:
    return f"/c/default/db/{db}/key/{encode_key(key)}/"
