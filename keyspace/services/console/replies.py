"""A reply laid out as redis-cli prints it (numbered, nested arrays indented under their
number), as lines the template shows one by one, escaped. Bounded: at most
`CONSOLE_REPLY_LINES` lines, and each string cut at `ELEMENT_PREVIEW_BYTES`."""

from __future__ import annotations

from dataclasses import dataclass

from redis.exceptions import ResponseError

from keyspace.conf import app_settings
from keyspace.services.console.parsing import quote


@dataclass(frozen=True)
class Line:
    prefix: str  # the numbering ("1) ", "   2) 1) ")
    kind: str  # string, integer, double, nil, error, empty, cut
    text: str


class _Layout:
    def __init__(self, limit: int, preview: int) -> None:
        self.lines: list[Line] = []
        self.limit = limit
        self.preview = preview
        self.cut = False

    def add(self, prefix: str, kind: str, text: str) -> None:
        if len(self.lines) >= self.limit:
            self.cut = True
            return
        self.lines.append(Line(prefix, kind, text))

    def value(self, prefix: str, indent: str, reply) -> None:
        if isinstance(reply, list | tuple | set):
            self.array(prefix, indent, list(reply))
        elif isinstance(reply, dict):
            self.array(prefix, indent, [item for pair in reply.items() for item in pair])
        else:
            self.add(prefix, *_scalar(reply, self.preview))

    def array(self, prefix: str, indent: str, items: list) -> None:
        if not items:
            self.add(prefix, "empty", "(empty array)")
            return
        width = len(str(len(items)))
        for number, item in enumerate(items, 1):
            if self.cut:
                return
            label = f"{number:>{width}}) "
            first = prefix if number == 1 else indent
            self.value(first + label, indent + " " * len(label), item)


def _scalar(reply, preview: int) -> tuple[str, str]:
    if reply is None:
        return "nil", "(nil)"
    if isinstance(reply, ResponseError | Exception):
        return "error", f"(error) {reply}"
    if isinstance(reply, bool):
        return "integer", f"(integer) {int(reply)}"
    if isinstance(reply, int):
        return "integer", f"(integer) {reply}"
    if isinstance(reply, float):
        return "double", f"(double) {reply!r}"
    if isinstance(reply, bytes):
        shown = quote(reply[:preview])
        if len(reply) > preview:
            shown += f" … ({len(reply):,} bytes, the first {preview:,} shown)"
        return "string", shown
    return "string", quote(str(reply).encode())


def lay_out(reply) -> tuple[list[Line], bool]:
    """The lines of `reply`, and whether some were left out."""
    layout = _Layout(app_settings.CONSOLE_REPLY_LINES, app_settings.ELEMENT_PREVIEW_BYTES)
    layout.value("", "", reply)
    return layout.lines, layout.cut
