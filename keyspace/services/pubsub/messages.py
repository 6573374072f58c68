"""What a live stream hands out: a subscription, messages, batches, statuses, and a message as
the page shows it. Message objects are made only for the messages a batch keeps (see hub.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from keyspace.display import bytes_to_text, is_printable_text, pretty_json


@dataclass(frozen=True)
class Subscription:
    channels: tuple[bytes, ...] = ()
    patterns: tuple[bytes, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.channels or self.patterns)


@dataclass(frozen=True)
class Message:
    received: float  # wall clock, when the dashboard read it off the socket
    channel: bytes
    pattern: bytes | None
    data: bytes


@dataclass
class Batch:
    messages: list[Message] = field(default_factory=list)  # oldest first
    skipped: int = 0  # received but not handed out (older than the kept ones)
    per_second: float = 0.0  # messages received per second lately, by their arrival times


@dataclass(frozen=True)
class Status:
    """Something to tell the user about the stream itself."""

    text: str
    level: str = "info"
    final: bool = False  # the stream ends here and the browser should not retry soon
    lost: int | None = None  # messages that could not be received (None: unknown or n/a)


@dataclass(frozen=True)
class ShownMessage:
    """A message as the page shows it: payload as JSON, text or escaped bytes, cut to size."""

    time: str
    channel: str
    pattern: str | None
    body: str
    kind: str
    size: int
    cut: bool


def present(message: Message, limit: int) -> ShownMessage:
    data = message.data
    shown, cut = data[:limit], len(data) > limit
    pretty = None if cut else pretty_json(data)
    if pretty is not None:
        body, kind = pretty, "json"
    else:
        body, kind = bytes_to_text(shown), "text" if is_printable_text(shown) else "binary"
    stamp = time.strftime("%H:%M:%S", time.localtime(message.received))
    return ShownMessage(
        time=f"{stamp}.{int(message.received * 1000) % 1000:03d}",
        channel=bytes_to_text(message.channel),
        pattern=None if message.pattern is None else bytes_to_text(message.pattern),
        body=body, kind=kind, size=len(data), cut=cut,
    )
