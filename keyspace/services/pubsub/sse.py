"""Server-Sent Events framing. Data never ends an event early: every line break of any kind
(CR, LF, CRLF) starts a new `data:` line, and NUL, which some parsers choke on, is replaced."""

from __future__ import annotations

import re

_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


def sse_event(data: str, event: str | None = None) -> bytes:
    if event is not None and not _NAME.fullmatch(event):
        raise ValueError(f"not an SSE event name: {event!r}")
    text = data.replace("\x00", "\ufffd")
    if "\r" in text:  # CRLF first, as one break
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    head = f"event: {event}\n" if event else ""
    lines = text.replace("\n", "\ndata: ")
    return f"{head}data: {lines}\n\n".encode("utf-8", "replace")


def sse_comment(text: str = "") -> bytes:
    """A line EventSource ignores: keeps proxies and the connection awake."""
    return f": {_LINE_BREAKS.sub(' ', text)}\n\n".encode()


# The retry a stream sends before it ends for good (a refusal, a lost slot, a viewer who may no
# longer see it): the browser should not keep asking.
FINAL_RETRY_MS = 3_600_000


def sse_retry(milliseconds: int) -> bytes:
    return f"retry: {int(milliseconds)}\n\n".encode()
