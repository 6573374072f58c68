"""Celery task messages as kombu's Redis transport stores them: a JSON envelope (headers,
properties, content type) around a body, base64-encoded when `body_encoding` says so. The
body is decoded by the decoder its content type names."""

from __future__ import annotations

import base64
import binascii
import json

from keyspace.decoders.base import Decoded, Decoder, Fact, Limits, NotThis
from keyspace.decoders.registry import registry
from keyspace.decoders.tree import TreeBuilder, scalar_text

CONTENT_TYPES = {
    "application/json": "json",
    "application/x-python-serialize": "pickle",
    "application/x-msgpack": "msgpack",
    "application/x-yaml": "text",
    "application/data": "hex",
}
HEADER_FACTS = (("task", "Task"), ("id", "Task id"), ("retries", "Retries"), ("eta", "ETA"))


def _envelope(data: bytes) -> dict:
    try:
        envelope = json.loads(data)
    except (ValueError, RecursionError):
        raise NotThis("the envelope is not JSON") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("body"), str):
        raise NotThis("no body in the envelope")
    return envelope


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


class CeleryMessageDecoder(Decoder):
    name = "celery"
    label = "Celery/kombu message"

    def detect(self, data: bytes) -> int:
        head = data.lstrip()[:1]
        keys = (b'"body"', b'"content-type"', b'"properties"')
        return 95 if head == b"{" and all(k in data for k in keys) else 0

    def read(self, data: bytes, limits: Limits, layer: int) -> Decoded:
        envelope = _envelope(data)
        headers, properties = _dict(envelope.get("headers")), _dict(envelope.get("properties"))
        body = envelope["body"].encode("utf-8", "surrogatepass")
        if properties.get("body_encoding") == "base64":
            try:
                body = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise NotThis("the body says base64 but is not") from None
        content_type = str(envelope.get("content-type", ""))
        facts = [Fact(label, _short(headers[key])) for key, label in HEADER_FACTS if key in headers]
        delivery = _dict(properties.get("delivery_info"))
        for key in ("exchange", "routing_key"):
            if delivery.get(key):
                facts.append(Fact(key.replace("_", " ").capitalize(), _short(delivery[key])))
        facts.append(Fact("Content type", content_type or "not given"))
        inner = self._body(body, content_type, limits, layer)
        builder = TreeBuilder(limits)
        tree = builder.from_value(headers, "headers") if headers else None
        summary = f"task {_short(headers['task'])}" if "task" in headers else "kombu message"
        return self.result(
            facts=tuple(facts),
            tree=tree,
            inner=inner,
            notes=tuple(builder.notes()),
            summary=summary,
        )

    def _body(self, body: bytes, content_type: str, limits: Limits, layer: int) -> Decoded:
        name = CONTENT_TYPES.get(content_type.split(";")[0].strip())
        if name in registry and layer + 1 < limits.layers:
            return registry.get(name).decode(body, limits=limits, layer=layer + 1)
        return registry.decode_auto(body, limits=limits, layer=layer + 1)


def _short(value) -> str:
    text = scalar_text(value)[1] if not isinstance(value, dict | list) else json.dumps(value)
    return text if len(text) <= 300 else text[:300] + "…"
