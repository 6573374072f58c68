"""Types the dashboard has no viewer for (module types other than JSON, Bloom, Cuckoo and
TimeSeries, such as a search index or a vector set): metadata only."""

from __future__ import annotations

from keyspace.conf import app_settings
from keyspace.units.base import TypeUnit, registry


@registry.register_fallback
class UnsupportedUnit(TypeUnit):
    type_name = "unsupported"
    label = "Unsupported type"
    length_label = ""

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """No length command is known, so: the actual TYPE, and the whole serialised value
        (DUMP) when the key is small enough to copy for undo; beyond that, its estimated size
        (MEMORY USAGE), which most changes move."""
        size = reader.memory_usage(key) or 0
        small = size <= app_settings.UNDO_MAX_KEY_BYTES
        return [reader.type(key), reader.dump(key) if small else size]
