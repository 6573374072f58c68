"""Redis addresses as the host project's settings spell them, in one normal form.

An `Endpoint` is what redis-py would connect to: a URL with the scheme, host (or socket
path), port and db always explicit, so two settings naming the same server the same way
compare equal. Its display form never contains the password.

The precedence follows redis-py's `from_url`, which every library read here ends in: the
URL's own user and password win over a `password=` query option, which wins over the
library's separate options; a `db=` query option wins over the URL's path, which wins over
a separate db option.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

DEFAULT_PORT = 6379
SENTINEL_PORT = 26379
MASK = "****"
# kombu (Celery) spells a Unix socket redis+socket://; socket:// is its older name.
_SOCKET_SCHEMES = frozenset({"unix", "redis+socket", "socket"})
_SENTINEL_SCHEMES = frozenset({"sentinel", "redis+sentinel"})
# Query options that decide whether a TLS connection can be made at all stay in the URL;
# tuning options (timeouts, pool sizes, kombu's own) are the dashboard's business, and some
# would make redis-py refuse the URL.
_TLS_OPTIONS = frozenset(
    {"ssl_cert_reqs", "ssl_ca_certs", "ssl_ca_path", "ssl_certfile", "ssl_keyfile",
     "ssl_check_hostname"}
)
# Celery's docs spell these as Python's ssl constants; redis-py wants the short words.
_CERT_REQS = {"cert_required": "required", "cert_optional": "optional", "cert_none": "none"}


_HOST = re.compile(r"[\w.:%-]+")


class Unrecognised(ValueError):
    """A setting of a shape this module does not read. The message says why and never
    quotes the value (it may hold a password)."""


class NotRedis(Unrecognised):
    """A URL of another scheme (amqp://, django-db, ...): not a Redis connection at all."""


@dataclass(frozen=True)
class Endpoint:
    scheme: str  # redis, rediss, unix or sentinel
    host: str  # the socket's path for unix
    port: int = DEFAULT_PORT
    db: int = 0
    username: str = ""
    password: str = field(default="", repr=False)
    options: tuple[tuple[str, str], ...] = ()  # TLS options; `master` for sentinel

    @property
    def url(self) -> str:
        return self._format(self.password)

    @property
    def display(self) -> str:
        return self._format(MASK if self.password else "")

    def _format(self, password: str) -> str:
        userinfo = ""
        if self.username or password:
            secret = f":{quote(password, safe='*')}" if password else ""
            userinfo = f"{quote(self.username, safe='')}{secret}@"
        if self.scheme == "unix":
            query = urlencode((("db", str(self.db)), *self.options))
            return f"unix://{userinfo}{quote(self.host)}?{query}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?{urlencode(self.options)}" if self.options else ""
        return f"{self.scheme}://{userinfo}{host}:{self.port}/{self.db}{query}"


def endpoint_from_url(text: object, *, db: object = None, username: object = None,
                      password: object = None) -> Endpoint:
    """The endpoint a URL names; `db`, `username` and `password` are a library's separate
    options, used only where the URL has none."""
    if not isinstance(text, str) or not text.strip():
        raise Unrecognised("not a URL")
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise Unrecognised("not a valid URL") from None
    scheme = parts.scheme.lower()
    query = dict(parse_qsl(parts.query))
    user = unquote(parts.username or "") or query.pop("username", "") or _text(username, "user")
    secret = (unquote(parts.password or "") or query.pop("password", "")
              or _text(password, "password"))
    if scheme in _SOCKET_SCHEMES:
        if not parts.path:
            raise Unrecognised("a socket URL without the socket's path")
        number = query.pop("db", None) or _virtual_host(query)
        return Endpoint("unix", unquote(parts.path), 0, _db(number, db), user, secret,
                        _tls_options(query))
    if scheme not in {"redis", "rediss"} | _SENTINEL_SCHEMES:
        raise NotRedis("not a Redis URL")
    path = unquote(parts.path).replace("/", "")
    number = query.pop("db", None) or _virtual_host(query) or (path or None)
    host = unquote(parts.hostname or "") or "localhost"
    if scheme in _SENTINEL_SCHEMES:
        master = query.get("master_name") or query.get("service_name") or ""
        return sentinel_endpoint([(host, port or SENTINEL_PORT)], master, _db(number, db),
                                 username=user, password=secret)
    return Endpoint(scheme, host, port or DEFAULT_PORT, _db(number, db), user, secret,
                    _tls_options(query))


def endpoint_from_parts(host: object, port: object = DEFAULT_PORT, db: object = 0, *,
                        username: object = None, password: object = None,
                        tls: object = False) -> Endpoint:
    """The endpoint of separate host, port and db settings (RQ's, Channels' tuples)."""
    if not isinstance(host, str) or not _HOST.fullmatch(host.strip().strip("[]")):
        raise Unrecognised("the host is not a name or address")
    return Endpoint("rediss" if tls is True else "redis", host.strip().strip("[]").lower(),
                    _port(port), _db(None, db), _text(username, "user"),
                    _text(password, "password"))


def socket_endpoint(path: object, db: object = 0, *, password: object = None) -> Endpoint:
    if not isinstance(path, str) or not path.startswith("/"):
        raise Unrecognised("the socket path is not an absolute path")
    return Endpoint("unix", path, 0, _db(None, db), "", _text(password, "password"))


def sentinel_endpoint(sentinels: object, master: object, db: object = 0, *,
                      username: object = None, password: object = None) -> Endpoint:
    """A Sentinel-managed Redis, named by its first Sentinel and the master's name."""
    if not isinstance(sentinels, list | tuple) or not sentinels:
        raise Unrecognised("the Sentinels are not a list of (host, port) pairs")
    first = sentinels[0]
    if isinstance(first, Mapping):
        first = (first.get("host"), first.get("port", SENTINEL_PORT))
    if not isinstance(first, list | tuple) or len(first) != 2:
        raise Unrecognised("the Sentinels are not a list of (host, port) pairs")
    where = endpoint_from_parts(first[0], first[1], db, username=username, password=password)
    options = (("master", master),) if isinstance(master, str) and master else ()
    return Endpoint("sentinel", where.host, where.port, where.db, where.username,
                    where.password, options)


def _virtual_host(query: dict[str, str]) -> str | None:
    """kombu's name for the db number, sometimes written with a leading slash."""
    return query.pop("virtual_host", "").lstrip("/") or None


def _db(from_url: str | None, fallback: object) -> int:
    if from_url is not None:
        if not _is_number(from_url):
            raise Unrecognised("the db in the URL is not a number")
        return int(from_url)
    if fallback is None:
        return 0
    if isinstance(fallback, str) and _is_number(fallback):
        return int(fallback)
    if isinstance(fallback, int) and not isinstance(fallback, bool) and fallback >= 0:
        return fallback
    raise Unrecognised("the db is not a number")


def _port(value: object) -> int:
    if isinstance(value, str) and _is_number(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
        return value
    raise Unrecognised("the port is not a number from 1 to 65535")


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _text(value: object, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise Unrecognised(f"the {what} is not text")


def _tls_options(query: dict[str, str]) -> tuple[tuple[str, str], ...]:
    kept = {name: value for name, value in query.items() if name in _TLS_OPTIONS}
    if "ssl_cert_reqs" in kept:
        kept["ssl_cert_reqs"] = _CERT_REQS.get(kept["ssl_cert_reqs"].lower(),
                                               kept["ssl_cert_reqs"])
    return tuple(sorted(kept.items()))
