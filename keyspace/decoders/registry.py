"""The decoder registry: decoders by name, explicitly registered (like Django admin's site),
and the choice of a decoder for bytes nobody has chosen one for."""

from __future__ import annotations

import logging
from dataclasses import replace

from keyspace.decoders.base import Decoded, Decoder, Limits, current_limits

log = logging.getLogger(__name__)

# Shown when nothing more specific fits: text when it reads as text, hex otherwise.
FALLBACKS = ("text", "hex")


class Registry:
    def __init__(self) -> None:
        self._decoders: dict[str, Decoder] = {}

    def register(self, decoder_class: type[Decoder]) -> type[Decoder]:
        name = getattr(decoder_class, "name", "")
        if not name or not getattr(decoder_class, "label", ""):
            raise ValueError(f"{decoder_class.__name__} needs a name and a label")
        if name in self._decoders:
            raise ValueError(f"a decoder named {name!r} is already registered")
        self._decoders[name] = decoder_class()
        return decoder_class

    def get(self, name: str) -> Decoder:
        return self._decoders[name]

    def __contains__(self, name: object) -> bool:
        return name in self._decoders

    def names(self) -> list[str]:
        return list(self._decoders)

    def choices(self) -> list[tuple[str, str]]:
        return [(d.name, d.label) for d in self._decoders.values()]

    def detected(self, data: bytes, limits: Limits | None = None) -> list[tuple[Decoder, int]]:
        """Decoders that recognise `data`, best first (ties keep registration order)."""
        sample = data[: (limits or current_limits()).input_bytes]
        scored = [(d, _score(d, sample)) for d in self._decoders.values()]
        return sorted((pair for pair in scored if pair[1] > 0), key=lambda p: -p[1])

    def ordered_choices(self, data: bytes) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(decoders that recognise `data`, best first; all the others)."""
        found = [(d.name, d.label) for d, _ in self.detected(data)]
        names = {name for name, _ in found}
        return found, [pair for pair in self.choices() if pair[0] not in names]

    def decode_as(self, name: str, data: bytes, *, limits: Limits | None = None) -> Decoded:
        """Decode with the named decoder. A bug in a decoder shows as a failure, not a 500."""
        decoder = self.get(name)
        try:
            return decoder.decode(data, limits=limits)
        except Exception:
            log.exception("decoder %s failed", name)
            return decoder.fail("this decoder failed on it (a bug, logged on the server)")

    def decode_auto(self, data: bytes, *, limits: Limits | None = None, layer: int = 0) -> Decoded:
        """The first confident decoder whose result reads; text or hex when none does."""
        limits = limits or current_limits()
        if layer < limits.layers:
            for decoder, score in self.detected(data, limits):
                if score < decoder.CONFIDENT or decoder.name in FALLBACKS:
                    continue
                decoded = decoder.decode(data, limits=limits, layer=layer)
                if decoded.ok:
                    return decoded
        return self.fallback(data, limits, layer)

    def fallback(self, data: bytes, limits: Limits, layer: int) -> Decoded:
        text = self.get(FALLBACKS[0])
        chosen = text if text.detect(data) else self.get(FALLBACKS[1])
        decoded = chosen.decode(data, limits=limits, layer=layer)
        if layer >= limits.layers:
            note = f"not decoded further: {limits.layers} formats deep already"
            decoded = replace(decoded, notes=(*decoded.notes, note))
        return decoded


def _score(decoder: Decoder, data: bytes) -> int:
    try:
        return max(0, min(100, int(decoder.detect(data))))
    except Exception:
        # Detection is a guess: a decoder that trips over odd bytes simply does not claim them.
        log.exception("decoder %s failed to detect", decoder.name)
        return 0


registry = Registry()
