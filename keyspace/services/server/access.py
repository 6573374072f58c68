"""A panel's Redis command, run so that a refusal (ACL, or a command renamed or missing on
this server) becomes something the panel says instead of an error page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

ACL = "acl"
MISSING = "missing"


@dataclass(frozen=True)
class Refusal:
    """Why a panel has nothing to show: the command it needs and Redis's own words."""

    command: str  # as a person would type it: "SLOWLOG GET"
    said: str
    kind: str  # ACL or MISSING

    @property
    def by_acl(self) -> bool:
        return self.kind == ACL

    @property
    def acl_rule(self) -> str:
        """The ACL rule that would allow it: INFO has no subcommands, the others do."""
        words = self.command.lower().split()
        return words[0] if words[0] == "info" else "|".join(words)


def _refusal(command: str, exc: redis.ResponseError) -> Refusal | None:
    text = str(exc)
    if isinstance(exc, redis.exceptions.NoPermissionError) or text.startswith("NOPERM"):
        return Refusal(command, text, ACL)
    lowered = text.lower()
    if "unknown command" in lowered or "unknown subcommand" in lowered:
        return Refusal(command, text, MISSING)
    return None


def attempt(command: str, call: Callable[[], Any]) -> tuple[Any, Refusal | None]:
    """(what `call` returned, None), or (None, why not) when Redis refuses `command`.
    Other failures (Redis down, a bug) propagate to the page's error handling."""
    try:
        return call(), None
    except redis.ResponseError as exc:
        refusal = _refusal(command, exc)
        if refusal is None:
            raise
        return None, refusal


def config_values(client: redis.Redis, *names: str) -> tuple[dict[str, str], Refusal | None]:
    """CONFIG GET for a few settings a panel explains itself with; optional context, so a
    refusal is reported, not raised. Names come back with `_` for `-`, as templates read them."""

    def read() -> dict[str, str]:
        found = {}
        for name in names:
            found.update(client.config_get(name))
        return {_text(k).replace("-", "_"): _text(v) for k, v in found.items()}

    return attempt("CONFIG GET", read)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
