"""Views of a string: values Redis reports as `string` that people read as something else.
Importing this package registers them; a new view is one more name on the line below."""

from keyspace.units.string.views import bitmap, counter, hyperloglog, plain  # noqa: F401
from keyspace.units.string.views.base import HEAD_BYTES, StringView, string_views

__all__ = ["HEAD_BYTES", "StringView", "string_views"]
