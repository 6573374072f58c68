"""The stream's message rows: formatted directly for speed (views/pubsub.py), held to the
same output as the template partial they stand in for."""

from __future__ import annotations

from django.template.loader import render_to_string

from keyspace.services.pubsub.messages import Message, present, present_all
from keyspace.views.pubsub import TEMPLATE, messages_html, skipped_html

AT = 1764000000.5


def messages() -> list[Message]:
    return [
        Message(AT, b"orders", None, b'{"id": 1, "note": "<b>&\'\\"</b>", "n": [1, 2.5, null]}'),
        Message(AT, b"orders", b"ord*", b"plain text with <tags> & 'quotes' \"double\""),
        Message(AT + 0.25, b"\xffbin\x00chan", b"\xfe*", b"\x00\x01\xfe binary\r\n"),
        Message(AT + 1, b"big", None, b"x" * 300),  # cut at the preview limit
        Message(AT + 1, b"big", None, b'{"cut": "' + b"y" * 300 + b'"}'),  # cut: not JSON
        Message(AT + 2, b"uni", None, "h\u00e9llo \u202e \u2028 \U0001f600".encode()),
        Message(AT + 2, b"empty", None, b""),
        Message(AT + 3, b"arr", b"a?r", b"[]"),
    ]


def test_the_rows_are_what_the_template_partial_renders():
    shown = present_all(messages(), 256)
    reference = render_to_string(f"{TEMPLATE}#batch", {"messages": shown, "skipped": 0})
    assert messages_html(shown) == reference.strip()
    assert reference.count("<li") == len(shown)


def test_the_skipped_line_is_what_the_template_partial_renders():
    for skipped in (1, 2, 1_234_567):
        reference = render_to_string(f"{TEMPLATE}#batch", {"messages": [], "skipped": skipped})
        assert skipped_html(skipped) == reference.strip()


def test_a_batch_is_presented_message_by_message():
    """Names and stamps made readable once per batch still belong to their own message."""
    shown = present_all(messages(), 256)
    assert [m.kind for m in shown] == [
        "json", "text", "binary", "text", "text", "binary", "text", "json"]
    assert [m.channel for m in shown[:4]] == ["orders", "orders", "\\xffbin\\0chan", "big"]
    assert [m.pattern for m in shown[:4]] == [None, "ord*", "\\xfe*", None]
    assert shown[0].time == shown[1].time != shown[2].time
    assert shown[2].time.endswith(".750") and shown[0].time.endswith(".500")
    assert shown[0].body.startswith('{\n  "id": 1,')
    assert (shown[3].cut, shown[3].size, shown[4].cut) == (True, 300, True)
    assert shown[2].body == "\\0\\x01\\xfe binary\\r\\n"
    assert present(messages()[2], 256) == shown[2]
