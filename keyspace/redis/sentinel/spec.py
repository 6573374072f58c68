"""sentinel:// URLs: which Sentinels, which service, which passwords and db (the format is
in keyspace/redis/sentinel/__init__.py). Nothing here connects."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

SCHEMES = ("sentinel://", "redis+sentinel://")
DEFAULT_PORT = 26379
_OPTIONS = frozenset({"master_name", "service_name", "master", "sentinel_password",
                      "sentinel_username", "tls", "db"})
_TRUE, _FALSE = frozenset({"true", "yes", "1", "on"}), frozenset({"false", "no", "0", "off"})


def is_sentinel_url(url: str) -> bool:
    return url.lower().startswith(SCHEMES)


@dataclass(frozen=True)
class SentinelSpec:
    """What a sentinel:// URL says, passwords kept out of `repr` and every display form."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str = ""
    password: str = field(default="", repr=False)
    sentinel_username: str = ""
    sentinel_password: str = field(default="", repr=False)
    tls: bool = False

    @property
    def sentinel_list(self) -> str:
        return ",".join(host_port_text(host, port) for host, port in self.sentinels)

    @property
    def address(self) -> str:
        """The service's name for headers, messages and the audit log: stable through a
        failover (the primary's own address is not)."""
        return f"{self.service} via Sentinel {self.sentinel_list}"


@functools.lru_cache(maxsize=64)
def parse(url: str) -> SentinelSpec:
    """The spec of a sentinel:// URL; ValueError says what is wrong without quoting the URL
    (it may hold a password)."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in {s[:-3] for s in SCHEMES}:
        raise ValueError("not a sentinel:// URL")
    rest, _, fragment = rest.partition("#")
    rest, _, query_text = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    username, _, password = userinfo.partition(":") if at else ("", "", "")
    query = dict(parse_qsl(query_text, keep_blank_values=True))
    unknown = sorted(name for name in query if name not in _OPTIONS
                     and not name.lower().startswith("ssl"))  # ssl_*: conf says to use TLS_*
    if unknown:
        raise ValueError(f"unknown sentinel URL option(s) {', '.join(unknown)} (known: "
                         f"{', '.join(sorted(_OPTIONS))})")
    service = query.get("master_name") or query.get("service_name") or query.get("master", "")
    if not service:
        raise ValueError("a sentinel URL must name the service: ?master_name=NAME")
    return SentinelSpec(
        sentinels=tuple(_host_port(item) for item in hosts.split(",")),
        service=service,
        db=_db(query.get("db") or path.strip("/") or "0"),
        username=unquote(username),
        password=unquote(password),
        sentinel_username=query.get("sentinel_username", ""),
        sentinel_password=query.get("sentinel_password", ""),
        tls=_flag(query.get("tls", "false")),
    )


def problems(url: str) -> list[str]:
    """For start-up validation: why this sentinel URL cannot be used (empty when it can)."""
    try:
        parse(url)
    except ValueError as exc:
        return [f"REDIS_URL: {exc}"]
    return []


def _host_port(text: str) -> tuple[str, int]:
    text = text.strip()
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not host or any(c.isspace() or c in "/@?#" for c in host):
        raise ValueError("each Sentinel must be host:port (several separated by commas)")
    if not port:
        return host, DEFAULT_PORT
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError("a Sentinel's port is not a number from 1 to 65535")
    return host, int(port)


def _db(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ValueError("the db in the sentinel URL is not a number")
    return int(text)


def _flag(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError("the sentinel URL's tls option is not true or false")


def host_port_text(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
