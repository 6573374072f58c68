"""Types the dashboard has no viewer for yet (module types such as ReJSON-RL): metadata only."""

from __future__ import annotations

from .base import TypeUnit, registry


@registry.register_fallback
class UnsupportedUnit(TypeUnit):
    type_name = "unsupported"
    label = "Unsupported type"
    length_label = ""
