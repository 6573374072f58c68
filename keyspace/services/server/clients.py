"""CLIENT LIST as a table. Redis builds the whole list in one reply (O(clients)), so it is not
asked for when more clients are connected than a setting allows; rows shown are capped."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from django.http import QueryDict

from keyspace.conf import app_settings
from keyspace.display import bytes_to_text
from keyspace.services.server.access import Refusal, attempt
from keyspace.services.server.tables import Column, Sorted, sort_rows


@dataclass(frozen=True)
class ClientRow:
    id: int
    name: str
    address: str
    age: int
    idle: int
    db: int
    command: str
    memory: int | None  # tot-mem (Redis 7), else None
    user: str
    flags: str
    own: bool  # one of the dashboard's connections (its CLIENT SETNAME)


@dataclass(frozen=True)
class ClientsPanel:
    refusal: Refusal | None = None
    table: Sorted | None = None
    connected: int | None = None  # from INFO clients, when it may be read
    too_many: bool = False  # more than SERVER_CLIENTS_MAX: not listed
    limit: int = 0


COLUMNS = (
    Column("id", "Id", lambda c: c.id),
    Column("name", "Name", lambda c: c.name, numeric=False),
    Column("address", "Address", lambda c: c.address, numeric=False),
    Column("age", "Age (s)", lambda c: c.age),
    Column("idle", "Idle (s)", lambda c: c.idle),
    Column("db", "Db", lambda c: c.db, numeric=False),
    Column("command", "Last command", lambda c: c.command, numeric=False),
    Column("memory", "Memory", lambda c: c.memory or 0),
)


def clients_panel(client: redis.Redis, query: QueryDict) -> ClientsPanel:
    limit = app_settings.SERVER_CLIENTS_MAX
    info, _ = attempt("INFO clients", lambda: client.info("clients"))
    connected = int(info.get("connected_clients", 0)) if info else None
    if connected is not None and connected > limit:
        return ClientsPanel(connected=connected, too_many=True, limit=limit)
    # Two words, so redis-py leaves the reply as bytes: names need not be UTF-8.
    raw, refusal = attempt("CLIENT LIST", lambda: client.execute_command("CLIENT", "LIST"))
    if refusal is not None:
        return ClientsPanel(refusal=refusal, connected=connected, limit=limit)
    rows = [_row(line) for line in bytes(raw).splitlines() if line.strip()]
    table = sort_rows(rows, COLUMNS, query, default="-idle",
                      limit=app_settings.SERVER_TABLE_ROWS)
    return ClientsPanel(None, table, connected, False, limit)


def parse_client_line(line: bytes) -> dict[bytes, bytes]:
    fields = {}
    for part in line.split(b" "):
        name, _, value = part.partition(b"=")
        fields[name] = value
    return fields


def _row(line: bytes) -> ClientRow:
    fields = parse_client_line(line)

    def number(name: bytes) -> int:
        value = fields.get(name, b"")
        return int(value) if value.lstrip(b"-").isdigit() else 0

    name = fields.get(b"name", b"")
    memory = fields.get(b"tot-mem")
    return ClientRow(
        id=number(b"id"), name=bytes_to_text(name),
        address=bytes_to_text(fields.get(b"addr", b"")), age=number(b"age"),
        idle=number(b"idle"), db=number(b"db"), command=bytes_to_text(fields.get(b"cmd", b"")),
        memory=int(memory) if memory and memory.isdigit() else None,
        user=bytes_to_text(fields.get(b"user", b"")),
        flags=bytes_to_text(fields.get(b"flags", b"")),
        own=name == app_settings.CLIENT_NAME.encode(),
    )
