"""Edits that may write over another key (rename, copy, storing a set comparison).

Replacing a key is confirmed for that key as it was shown: the confirmation names it and its
fingerprint, the form carries the fingerprint, and the write goes through only if the key is
still exactly that (checked under the edit's WATCH).
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

from keyspace.display import bytes_to_text
from keyspace.redis.keynames import encode_key
from keyspace.services.editing.guard import Conflict, type_of

# The type units import this module (set-store replaces a key), so the registry is imported
# where it is used, once every unit is loaded.


def refuse_existing(pipe, target: bytes) -> None:
    if pipe.exists(target):
        raise Conflict(
            f"a key named {bytes_to_text(target)[:200]} already exists; tick “Replace the key "
            "if it exists” to overwrite it"
        )


def describe_key(reader, key: bytes) -> str:
    """“a list of 3 elements”, “nothing”: what a key holds, in a few words, bounded."""
    type_name = type_of(reader, key)
    if type_name == "none":
        return "nothing (no such key)"
    from keyspace.units.base import registry

    unit = registry.unit_for(type_name)
    if not unit.length_command:
        return f"a {unit.label.lower()}"
    length = reader.execute_command(unit.length_command, key)
    return f"a {unit.label.lower()} of {length:,} {unit.length_label}"


class ReplacesTarget:
    """For edits that may write over another key (rename, copy, store a result): replacing it
    is confirmed for that key as it was shown, and goes through only if it is unchanged."""

    target_field: ClassVar[str]

    def confirmation_subject(self, data):
        target = data.get(self.target_field) or b""
        return f"{encode_key(target)}:{data.get('target_expected', '')}"

    def confirming(self, client, key, data):
        from keyspace.units.base import key_fingerprint

        target = data[self.target_field]
        note = (
            f"“Replace” is ticked: {bytes_to_text(target)[:200]} now holds "
            f"{describe_key(client, target)}, which will be replaced. Confirm below."
        )
        return {"target_expected": key_fingerprint(client, target)}, note

    def check_target(self, pipe, data) -> None:
        """Inside the guarded attempt: refuse to replace a key nobody confirmed replacing."""
        from keyspace.units.base import key_fingerprint

        target = data[self.target_field]
        if not data.get("overwrite"):
            refuse_existing(pipe, target)
            return
        now = key_fingerprint(pipe, target)
        if now != data.get("target_expected"):
            raise Conflict(
                f"{bytes_to_text(target)[:200]} changed after you confirmed replacing it: it "
                f"now holds {describe_key(pipe, target)}; nothing was written. Confirm again "
                "to replace it as it is now.",
                updates={"target_expected": now},
            )


class ReplacesEntries:
    """For edits that may write over fields or members that exist (hash *Add several* with
    *Replace*, sorted-set adds with *Update*): replacing is confirmed for those entries as
    they are now (names and values), and goes through only if they are unchanged, checked
    under the edit's WATCH. Entries that do not exist yet are part of what is confirmed too:
    one created meanwhile is a change."""

    replace_flag: ClassVar[str]
    entry_word: ClassVar[str]  # "fields", "members"

    def entries(self, data) -> list[bytes]:
        raise NotImplementedError

    def read_entries(self, reader, key: bytes, names: list[bytes]) -> list:
        """The current value (or score) of each entry, None where there is none."""
        raise NotImplementedError

    def needs_confirmation(self, data):
        return bool(data.get(self.replace_flag))

    def confirmation_subject(self, data):
        names = hashlib.sha256(b"\0".join(sorted(self.entries(data)))).hexdigest()[:16]
        return f"entries:{names}:{data.get('replaced_expected', '')}"

    def confirming(self, client, key, data):
        names = self.entries(data)
        current = self.read_entries(client, key, names)
        there = [name for name, value in zip(names, current, strict=True) if value is not None]
        shown = ", ".join(bytes_to_text(name)[:50] for name in there[:5])
        more = f" and {len(there) - 5:,} more" if len(there) > 5 else ""
        note = (
            f"{len(there):,} of these {self.entry_word} exist ({shown}{more}) and will be "
            "replaced. Confirm below." if there else
            f"none of these {self.entry_word} exist now; confirm to add them."
        )
        return {"replaced_expected": _entries_digest(names, current)}, note

    def check_replaced(self, pipe, key: bytes, data, current: list) -> None:
        """Inside the guarded attempt, with the entries as read under the WATCH."""
        if not data.get(self.replace_flag):
            return
        now = _entries_digest(self.entries(data), current)
        if now != data.get("replaced_expected"):
            raise Conflict(
                f"some of these {self.entry_word} changed after you confirmed replacing them; "
                "nothing was written. Confirm again to replace them as they are now.",
                updates={"replaced_expected": now},
            )


def _entries_digest(names: list[bytes], values: list) -> str:
    hashed = hashlib.sha256()
    for name, value in sorted(zip(names, values, strict=True), key=lambda pair: pair[0]):
        shown = b"\x00absent" if value is None else repr(value).encode()
        hashed.update(b"%d:%s%d:%s" % (len(name), name, len(shown), shown))
    return hashed.hexdigest()[:32]
