"""Writes that look through every element of a key, refused on keys too long for one command.

LREM, LINSERT and LPOS walk a list from one end until they are done; SREM of many members and
ZREMRANGEBY* grow with the key the same way. On a list of a million elements that is tens of
milliseconds in which Redis serves nobody else. Above DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS
(100,000 by default: where such a command takes about 5 ms, as measured for the README) the
dashboard refuses them, saying why, instead of running them.

The length is read through the edit's watching pipeline, inside the guarded transaction that
writes (`guard.guarded`): a key that grows between the check and the write fails the
transaction, and the check runs again on what is there now.
"""

from __future__ import annotations

from keyspace.conf import app_settings
from keyspace.services.editing.guard import Refused
from keyspace.services.editing.inputs import FieldRefused

# Each command checked here, and the command that reads the length it grows with.
LENGTH_COMMANDS = {
    "LREM": "LLEN",
    "LINSERT": "LLEN",
    "LPOS": "LLEN",
    "SREM": "SCARD",
    "ZREMRANGEBYSCORE": "ZCARD",
    "ZREMRANGEBYLEX": "ZCARD",
    "ZREMRANGEBYRANK": "ZCARD",
}
_WORDS = {"LLEN": ("list", "elements"), "SCARD": ("set", "members"),
          "ZCARD": ("sorted set", "members")}


def check_linear_write(pipe, key: bytes, command: str, *, field: str | None = None) -> int:
    """The length of `key`, after refusing `command` on it if the key is longer than
    DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS: by `field` (the input the command searches for, where
    the form shows the reason), or for the whole form. Call it from a guarded attempt, before
    any read that is itself linear (LPOS)."""
    length_command = LENGTH_COMMANDS[command]
    length = pipe.execute_command(length_command, key)
    limit = app_settings.MAX_LINEAR_WRITE_ELEMENTS
    if length > limit:
        kind, elements = _WORDS[length_command]
        message = (
            f"this {kind} holds {length:,} {elements}, more than the {limit:,} the dashboard "
            f"lets {command} look through (DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS): it would hold "
            "up every other client of Redis while it runs; nothing was written"
        )
        raise FieldRefused(field, message) if field else Refused(message)
    return length
