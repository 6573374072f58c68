"""What units declare for the rest of the dashboard to draw: New-key form inputs and toolbar
entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class CreateField:
    """One input of the New-key form, besides name, type and TTL, that a unit needs for the
    first element of a new key. Units that need the same input declare the same `name` (one
    "value" box serves every type), so their declarations must agree on `kind`."""

    name: str
    label: str
    # "bytes": a text box read as text or hex (an `<name>_encoding` choice goes beside it);
    # "line": the same on one line; "text": plain text turned into the value by `parse`.
    kind: str = "bytes"
    required: str = ""  # the message for an empty input; "" when it may be empty
    parse: Callable[[str], Any] | None = None  # raises ValidationError with the reason


@dataclass(frozen=True)
class ToolbarEntry:
    """One link in a key's toolbar: an edit or tool form opened in the page's editor panel."""

    label: str
    url: str
    edits: bool = True  # drawn only for people who may edit
    danger: bool = False


def toolbar_entries(db: int, key: bytes, tools, operations) -> list[ToolbarEntry]:
    """Entries for read-only tools (for everyone) and key-wide edits (for editors), in order."""

    def url(name: str, action: str) -> str:
        return reverse(name, kwargs={"db": db, "key": key, "action": action})

    return [
        *(ToolbarEntry(tool.label, url("keyspace:key-tool", tool.name), edits=False)
          for tool in tools),
        *(ToolbarEntry(op.label, url("keyspace:key-edit", op.name)) for op in operations),
    ]
