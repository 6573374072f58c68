"""The default view of a string: its bytes through the value decoders (the "View as" choice of
Auto or a decoder: text, JSON, hex, msgpack, ...)."""

from __future__ import annotations

from keyspace.units.string.views.base import StringView, string_views


@string_views.register_default
class PlainView(StringView):
    name = "plain"
    label = "Plain"
    template = "keyspace/units/string/plain.html"
