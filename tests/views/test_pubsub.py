"""The stream's message rows: formatted directly for speed (views/pubsub.py), held to the
same output as the template partial they stand in for."""

from __future__ import annotations

from django.template.loader import render_to_string

from keyspace.conf import app_settings
from keyspace.services.pubsub.messages import Batch, Message, present, present_all
from keyspace.services.pubsub.sse import sse_event
from keyspace.views.pubsub import TEMPLATE, _batch, messages_html, skipped_html

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


def test_viewers_handed_the_same_batch_share_one_event():
    """Ten viewers of one subscription on one tick: one rendering and one SSE event (the same
    bytes object), not ten; a viewer that skipped a different count gets its own skipped line
    on the same rows."""
    shown = messages()
    first = _batch(Batch(list(shown), 5, 0.0, source=987_654, first_seq=11))
    again = _batch(Batch(list(shown), 5, 0.0, source=987_654, first_seq=11))
    late = _batch(Batch(list(shown), 2, 0.0, source=987_654, first_seq=11))
    assert again is first
    rows = messages_html(present_all(reversed(shown), app_settings.PUBSUB_PREVIEW_BYTES))
    assert first == sse_event(rows + skipped_html(5), "batch")
    assert late == sse_event(rows + skipped_html(2), "batch")
    other = _batch(Batch(list(shown), 5, 0.0, source=987_655, first_seq=11))
    assert other is not first and other == first  # another subscription: its own
