"""What a live stream hands out: a subscription, messages, batches, statuses, and a message as
the page shows it. Message objects are made only for the messages a batch keeps (see hub.py)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from keyspace.display import bytes_to_text, pretty_json, readable_text


@dataclass(frozen=True)
class Subscription:
    channels: tuple[bytes, ...] = ()
    patterns: tuple[bytes, ...] = ()
    shards: tuple[bytes, ...] = ()  # sharded channels (SSUBSCRIBE)

    def __bool__(self) -> bool:
        return bool(self.channels or self.patterns or self.shards)


@dataclass(frozen=True)
class Message:
    received: float  # wall clock, when the dashboard read it off the socket
    channel: bytes
    pattern: bytes | None
    data: bytes


class CutData(bytes):
    """The first bytes of a message too long to keep whole (keyspace.services.pubsub.reader
    keeps at most KEEP_BYTES of each): `size` is the whole message's."""

    size: int


# What the reader keeps of a message: enough for any preview (DASHBOARD_PUBSUB_PREVIEW_BYTES,
# when larger) and for the key names keyspace notifications carry; the rest only counts.
KEEP_BYTES = 64 * 1024


def kept(data: bytes, limit: int) -> bytes:
    """`data`, or its first `limit` bytes as CutData when longer."""
    if len(data) <= limit:
        return data
    cut = CutData(data[:limit])
    cut.size = len(data)
    return cut


def full_size(data: bytes) -> int:
    return data.size if isinstance(data, CutData) else len(data)


@dataclass
class Batch:
    messages: list[Message] = field(default_factory=list)  # oldest first
    skipped: int = 0  # received but not handed out (older than the kept ones)
    per_second: float = 0.0  # messages received per second lately, by their arrival times
    # Which subscription and which of its messages (1-based, counted since it opened) the
    # first one is: viewers handed the same messages can share their rendering.
    source: int = 0
    first_seq: int = 0


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
    return present_all([message], limit)[0]


def present_all(messages: Iterable[Message], limit: int) -> list[ShownMessage]:
    """`present` for each message; channel names and arrival times, which repeat across a
    batch (one stamp per socket read), are made readable once."""
    names: dict[bytes, str] = {}
    stamps: dict[float, str] = {}
    shown = []
    for message in messages:
        data = message.data
        size = full_size(data)
        body, cut = data[:limit], size > limit
        pretty = None if cut else pretty_json(data)
        if pretty is not None:
            kind = "json"
        else:
            pretty, printable = readable_text(body)
            kind = "text" if printable else "binary"
        if (channel := names.get(message.channel)) is None:
            channel = names[message.channel] = bytes_to_text(message.channel) + (
                "…" if isinstance(message.channel, CutData) else "")
        pattern = message.pattern
        if pattern is not None and (pattern := names.get(message.pattern)) is None:
            pattern = names[message.pattern] = bytes_to_text(message.pattern)
        if (stamp := stamps.get(message.received)) is None:
            stamp = stamps[message.received] = _stamp(message.received)
        shown.append(ShownMessage(time=stamp, channel=channel, pattern=pattern, body=pretty,
                                  kind=kind, size=size, cut=cut))
    return shown


def _stamp(received: float) -> str:
    clock = time.strftime("%H:%M:%S", time.localtime(received))
    return f"{clock}.{int(received * 1000) % 1000:03d}"
