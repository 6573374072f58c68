"""JSON goes through the registry: objects and arrays indented, the rest explained."""

from __future__ import annotations

import json

from keyspace.decoders import registry
from tests.decoders.helpers import small_limits

JSON = registry.get("json")


def test_object_is_indented():
    result = JSON.decode(json.dumps({"a": [1, 2], "b": "<b>"}).encode())
    assert result.ok and result.text == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": "<b>"\n}'


def test_not_a_document_says_so():
    assert JSON.decode(b"42").message == "not JSON: the value is not a JSON object or array"


def test_broken_json_says_where():
    assert JSON.decode(b'{"a": 1,,}').message.startswith("not JSON: Expecting property name")


def test_deep_nesting_is_a_failure_not_a_crash():
    assert not JSON.decode(b"[" * 100_000 + b"]" * 100_000).ok


def test_output_is_cut_at_the_text_bound():
    doc = json.dumps(list(range(5000))).encode()
    result = JSON.decode(doc, limits=small_limits(text_chars=1000))
    assert len(result.text) == 1000
    assert result.notes == (
        f"cut at 1,000 of {len(json.dumps(list(range(5000)), indent=2)):,} characters",
    )


def test_detects_by_its_ends_only():
    assert JSON.detect(b' {"a": 1} ') and JSON.detect(b"[1]")
    assert not JSON.detect(b"[1, 2") and not JSON.detect(b'"text"')
