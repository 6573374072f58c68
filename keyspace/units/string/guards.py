"""Values that a view of a string guards from being written as text (a HyperLogLog): the
edits that replace or append ask for a confirmation first, and check under their WATCH that
nobody skipped it."""

from __future__ import annotations

from keyspace.services.editing.guard import Conflict
from keyspace.units.string.views import HEAD_BYTES, string_views


def guarding_view(reader, key: bytes):
    """The view of a string that guards the value now from being written as text, if any."""
    return string_views.guarding(reader.getrange(key, 0, HEAD_BYTES - 1))


def check_guard(pipe, key: bytes, data) -> None:
    """Inside the guarded attempt: refuse to write as text over a value a view guards unless
    the form says it was confirmed for that view (the confirmation itself is checked first,
    by the edit view, for any form that says so)."""
    view = guarding_view(pipe, key)
    if view is not None and data.get("replaces") != view.name:
        raise Conflict(f"{view.guards_plain_edits}; nothing was written. Save again to be "
                       "asked to confirm", updates={"replaces": view.name})


class ConfirmsGuardedViews:
    """For edits that write a string as text (replace, append): over a value a view guards,
    only once confirmed for that view (the form's `replaces`)."""

    def needs_confirmation(self, data: dict) -> bool:
        return bool(data.get("replaces")) or super().needs_confirmation(data)

    def confirmation_subject(self, data: dict) -> str:
        own = f"replaces:{data['replaces']}" if data.get("replaces") else ""
        return "|".join(part for part in (own, super().confirmation_subject(data)) if part)

    def confirming(self, client, key: bytes, data: dict) -> tuple[dict, str]:
        asked = super().needs_confirmation(data)  # a short TTL, say: asked about too
        updates, note = super().confirming(client, key, data) if asked else ({}, "")
        view = string_views.get(data.get("replaces") or "")
        if view is None:
            return updates, note
        return updates, f"{view.guards_plain_edits}: confirm below" + (f". Also: {note}"
                                                                        if note else "")


def replaces(client, key: bytes) -> dict:
    """What an edit form starts with: the view that guards the value, if any."""
    view = guarding_view(client, key)
    return {"replaces": view.name} if view is not None else {}
