"""JSON objects and arrays, indented (the dashboard's one JSON display, `pretty_json`)."""

from __future__ import annotations

import json

from keyspace.decoders.base import Decoder, Limits, NotThis, cut_text
from keyspace.display import pretty_json

NOT_A_DOCUMENT = "the value is not a JSON object or array"


def _ends(data: bytes) -> bytes:
    stripped = data.strip()
    return stripped[:1] + stripped[-1:]


class JsonDecoder(Decoder):
    name = "json"
    label = "JSON"

    def detect(self, data: bytes) -> int:
        return 70 if _ends(data) in (b"{}", b"[]") else 0

    def read(self, data: bytes, limits: Limits, layer: int):
        if data.strip()[:1] not in (b"{", b"["):
            raise NotThis(NOT_A_DOCUMENT)
        pretty = pretty_json(data)
        if pretty is None:
            raise NotThis(_why_not(data))
        text, notes = cut_text(pretty, limits.text_chars)
        return self.result(text=text, notes=tuple(notes), summary="JSON")


def _why_not(data: bytes) -> str:
    try:
        json.loads(data)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    except (ValueError, RecursionError) as exc:
        return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
    return NOT_A_DOCUMENT
