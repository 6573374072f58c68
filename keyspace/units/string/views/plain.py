"""The default view of a string: its bytes as text, JSON or a hex dump (the "Show as" choices
Auto, Text, JSON and Hex)."""

from __future__ import annotations

from keyspace.units.string.views.base import StringView, string_views


@string_views.register_default
class PlainView(StringView):
    name = "plain"
    label = "Plain"
    template = "keyspace/units/string/plain.html"
