"""How large a key Copy may duplicate. COPY runs inside Redis in one go, in time proportional
to the key's size (a 1,000,000-field hash holds every other client up for about half a
second), so past a size set in the settings the dashboard refuses, saying why. Checked inside
the guarded transaction that copies, in O(1): a length for collections, STRLEN for strings,
MEMORY USAGE's (sampled) estimate for types the dashboard does not know."""

from __future__ import annotations

from django.conf import settings

from keyspace.display import human_bytes
from keyspace.services.editing.guard import Refused, type_of
from keyspace.units import registry


def check_copy_size(pipe, key: bytes) -> None:
    """Refuse (Refused) a copy of `key` larger than the settings allow; `pipe` is watching."""
    key_type = type_of(pipe, key)
    if key_type == "string":
        _check_bytes(pipe.strlen(key), "this value")
        return
    unit = registry.unit_for(key_type)
    if unit.length_command:
        length = pipe.execute_command(unit.length_command, key)
        limit = settings.DASHBOARD_COPY_MAX_ELEMENTS
        if length > limit:
            raise Refused(
                f"this key holds {length:,} {unit.length_label}, more than the {limit:,} the "
                "dashboard copies (DASHBOARD_COPY_MAX_ELEMENTS): COPY would hold up every other "
                "client of Redis while it runs; nothing was copied"
            )
        return
    size = pipe.memory_usage(key)
    if size is None:
        raise Refused("the size of this key cannot be told, so it is not copied")
    _check_bytes(size, "this key")


def _check_bytes(size: int, what: str) -> None:
    limit = settings.DASHBOARD_COPY_MAX_BYTES
    if size > limit:
        raise Refused(
            f"{what} is {human_bytes(size)} ({size:,} bytes), more than the "
            f"{human_bytes(limit)} the dashboard copies (DASHBOARD_COPY_MAX_BYTES): COPY would "
            "hold up every other client of Redis while it runs; nothing was copied"
        )
