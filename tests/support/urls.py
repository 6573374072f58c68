"""A key's URLs as the tests ask for them; names may be bytes or text."""

from __future__ import annotations

from urllib.parse import urlencode

from keyspace.redis.keynames import encode_key


def _with_query(url: str, params: dict) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def key_url(name: bytes | str, db: int = 0, **params) -> str:
    """The key's page; `params` make its query string."""
    raw = name.encode() if isinstance(name, str) else name
    return _with_query(f"/c/default/db/{db}/key/{encode_key(raw)}/", params)


def edit_url(name: bytes | str, action: str, db: int = 0) -> str:
    return key_url(name, db) + f"edit/{action}/"


def tool_url(name: bytes | str, tool: str, db: int = 0, **params) -> str:
    return _with_query(key_url(name, db) + f"tool/{tool}/", params)
