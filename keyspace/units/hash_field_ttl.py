"""Hash-field TTLs (Redis 7.4+, Valkey 9): each field of a hash may expire on its own.

Read for the rows of a page only, with one HPTTL naming the page's fields; set and cleared
one field at a time (HPEXPIRE, HPERSIST), guarded like every hash edit: the field must
still hold what the user saw, and expire when it did (see `field_digest`). HSET drops a
field's TTL, so edits that rewrite a value set its expiry time, read under their WATCH,
again in the same transaction.
Servers without these commands are told apart by `capabilities.has_command`; their hash
pages say that field TTLs are not available instead of offering them.
"""

from __future__ import annotations

from django import forms

from keyspace.display import bytes_to_text
from keyspace.redis.capabilities import has_command
from keyspace.services.editing.guard import (
    ConfirmsShortTtl,
    Conflict,
    Operation,
    Outcome,
    Refused,
    digest,
    guarded,
)
from keyspace.services.editing.inputs import KeyForm, TokenField, TtlForm
from keyspace.units.base import decode_row_token

NOT_AVAILABLE = ("Field TTLs are not available on this server (they need Redis 7.4 or later, "
                 "or Valkey 9)")
NO_TTL, NO_FIELD = -1, -2  # what HPTTL and HPEXPIRETIME answer for these


def field_ttls_available(client) -> bool:
    return has_command(client, "HPEXPIRE")


def read_ttls(client, key: bytes, fields: list[bytes]) -> list[tuple[int, int]]:
    """Each field's (TTL in ms, expiry time in Unix ms), NO_TTL or NO_FIELD (one gone
    meanwhile) for both where it has none: one HPTTL and one HPEXPIRETIME naming the fields,
    pipelined (one round trip). The expiry time is what a live page compares: it stays the
    same while the TTL counts down."""
    if not fields:
        return []
    with client.pipeline(transaction=False) as pipe:
        pipe.execute_command("HPTTL", key, "FIELDS", len(fields), *fields)
        pipe.execute_command("HPEXPIRETIME", key, "FIELDS", len(fields), *fields)
        ttls, times = pipe.execute()
    return list(zip(ttls, times, strict=True))


def expiry_times(reader, key: bytes, fields: list[bytes]) -> dict[bytes, int]:
    """The fields among `fields` that expire, with their expiry time (Unix ms): read under an
    edit's WATCH, before it rewrites them. Only on a server with field TTLs (ask
    `field_ttls_available` before the WATCH)."""
    if not fields:
        return {}
    times = reader.execute_command("HPEXPIRETIME", key, "FIELDS", len(fields), *fields)
    return {field: at for field, at in zip(fields, times, strict=True) if at > 0}


def field_digest(value: bytes | None, expires_at: int | None) -> str:
    """What a field edit carries: the digest of the field's value and, when it expires, of its
    expiry time too. A field deleted and made again with the same value is another field (its
    expiry time differs, or it has none), and a TTL changed meanwhile is a change: both fail
    the check. A field that does not expire has the digest of its value alone."""
    if value is None or expires_at is None or expires_at < 0:
        return digest(value)
    return digest(value + b"\0expires-at:%d" % expires_at)


def field_state(reader, key: bytes, field: bytes, ttls: bool) -> tuple[bytes | None, int | None]:
    """The field's value and expiry time (Unix ms, None where it does not expire or the server
    has no field TTLs), read through `reader` (a client, or a pipeline under WATCH)."""
    value = reader.hget(key, field)
    if not ttls or value is None:
        return value, None
    [expires_at] = reader.execute_command("HPEXPIRETIME", key, "FIELDS", 1, field)
    return value, expires_at if expires_at > 0 else None


def seen_field(client, key: bytes, field: bytes) -> str:
    """The `expected` a field edit's form carries for the field as it is now."""
    return field_digest(*field_state(client, key, field, field_ttls_available(client)))


def check_field(reader, key: bytes, field: bytes, expected: str, ttls: bool) -> int | None:
    """Refuse unless the field is the one the user saw (value and expiry time, see
    `field_digest`); its expiry time. Under the edit's WATCH."""
    value, expires_at = field_state(reader, key, field, ttls)
    state = field_digest(value, expires_at)
    if state == expected:
        return expires_at
    if value is None:
        raise Conflict("the field was removed meanwhile; nothing was written", removed=True)
    # On a server with field TTLs, when the field expires is part of what the user saw.
    what = " (its value, or when it expires)" if ttls else ""
    raise Conflict(f"the field was changed meanwhile{what}; nothing was written",
                   current=value, expected=state)


def queue_keep(pipe, key: bytes, expiring: dict[bytes, int]) -> None:
    """Queue, after the writes that dropped them, the fields' expiry times again."""
    for field, at in expiring.items():
        pipe.execute_command("HPEXPIREAT", key, at, "FIELDS", 1, field)


def _require(client) -> None:
    if not field_ttls_available(client):
        raise Refused(NOT_AVAILABLE + "; nothing was changed")


class FieldTtlForm(TtlForm):
    row = TokenField(label="Field")
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64)


class FieldForm(KeyForm):
    row = TokenField(label="Field")
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64)


class _FieldTtlEdit(Operation):
    scope = "row"
    needs_command = "HPEXPIRE"

    def initial(self, client, key, params):
        _require(client)
        field = decode_row_token(params.get("row", ""))
        return {"expected": seen_field(client, key, field)}

    def guarded_write(self, client, key, data, write) -> None:
        _require(client)
        field = data["row"]

        def attempt(pipe):
            check_field(pipe, key, field, data["expected"], ttls=True)
            return lambda pipe: write(pipe, field)

        guarded(client, [key], attempt, expected_type=data["expected_type"])


class SetFieldTtl(ConfirmsShortTtl, _FieldTtlEdit):
    name = "hash-field-ttl"
    label = "Set TTL"
    form_class = FieldTtlForm
    submit_label = "Set TTL"
    ttl_fields = ("row", "unit", "amount", "at")

    def apply(self, client, key, data):
        self.guarded_write(client, key, data, lambda pipe, field: pipe.execute_command(
            "HPEXPIRE", key, data["ttl_ms"], "FIELDS", 1, field))
        return Outcome(f"field {bytes_to_text(data['row'])[:100]} expires in "
                       f"{data['ttl_ms']:,} ms", refresh="row", row_id=data["row"])

    def confirming(self, client, key, data):
        return {}, (f"a TTL of {data['ttl_ms']:,} ms makes the field expire almost at once, "
                    "which deletes it: confirm below")


class PersistField(_FieldTtlEdit):
    name = "hash-field-persist"
    label = "Remove TTL"
    form_class = FieldForm
    submit_label = "Remove TTL"

    def apply(self, client, key, data):
        self.guarded_write(client, key, data, lambda pipe, field: pipe.execute_command(
            "HPERSIST", key, "FIELDS", 1, field))
        return Outcome(f"field {bytes_to_text(data['row'])[:100]} no longer expires",
                       refresh="row", row_id=data["row"])
