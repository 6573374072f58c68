"""SLOWLOG as a table: the newest N entries (SLOWLOG GET N, bounded by a setting), each
command's arguments shown binary-safe and cut, sortable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.http import QueryDict

from keyspace.conf import app_settings
from keyspace.display import bytes_to_text, truncate_bytes
from keyspace.services.server.access import Refusal, attempt, config_values
from keyspace.services.server.tables import Column, Sorted, sort_rows

ARGUMENT_BYTES = 80  # each argument is cut here on screen (Redis keeps at most 128)
ARGUMENTS_SHOWN = 12  # of the 32 Redis keeps


@dataclass(frozen=True)
class Argument:
    text: str
    cut: bool


@dataclass(frozen=True)
class SlowEntry:
    id: int
    when: datetime
    micros: int
    arguments: tuple[Argument, ...]
    more_arguments: int
    client: str
    client_name: str
    own: bool

    @property
    def command(self) -> str:
        return self.arguments[0].text.lower() if self.arguments else ""


@dataclass(frozen=True)
class SlowlogPanel:
    refusal: Refusal | None = None
    table: Sorted | None = None
    length: int | None = None  # entries Redis holds (SLOWLOG LEN)
    asked: int = 0
    config: dict | None = None
    config_refusal: Refusal | None = None
    argument_bytes: int = ARGUMENT_BYTES


COLUMNS = (
    Column("id", "Entry", lambda e: e.id),
    Column("when", "When", lambda e: e.when),
    Column("duration", "Duration (µs)", lambda e: e.micros),
    Column("command", "Command", lambda e: e.command, numeric=False),
    Column("client", "Client", lambda e: (e.client_name, e.client), numeric=False),
)


def slowlog_panel(client: redis.Redis, query: QueryDict) -> SlowlogPanel:
    asked = app_settings.SERVER_SLOWLOG_ROWS
    # SLOWLOG GET sent as two words so redis-py's parser (which joins the arguments into
    # one string, losing where each ends) leaves the reply as Redis sent it.
    raw, refusal = attempt("SLOWLOG GET", lambda: client.execute_command("SLOWLOG", "GET",
                                                                           asked))
    if refusal is not None:
        return SlowlogPanel(refusal=refusal)
    length, _ = attempt("SLOWLOG LEN", lambda: client.execute_command("SLOWLOG", "LEN"))
    config, config_refusal = config_values(client, "slowlog-log-slower-than",
                                           "slowlog-max-len")
    entries = [_entry(item) for item in raw]
    table = sort_rows(entries, COLUMNS, query, default="-id", limit=asked)
    return SlowlogPanel(None, table, length, asked, config, config_refusal)


def _entry(item: list) -> SlowEntry:
    arguments = [bytes(a) for a in item[3]]
    shown = tuple(_argument(a) for a in arguments[:ARGUMENTS_SHOWN])
    address = item[4] if len(item) > 4 else b""
    name = item[5] if len(item) > 5 else b""
    return SlowEntry(
        id=int(item[0]), when=datetime.fromtimestamp(int(item[1]), UTC), micros=int(item[2]),
        arguments=shown, more_arguments=max(0, len(arguments) - ARGUMENTS_SHOWN),
        client=bytes_to_text(address), client_name=bytes_to_text(name),
        own=name == app_settings.CLIENT_NAME.encode(),
    )


def _argument(value: bytes) -> Argument:
    kept, cut = truncate_bytes(value, ARGUMENT_BYTES)
    return Argument(bytes_to_text(kept), cut)
