"""What a failover looks like to the pages: which errors mean it, what to say, and whether
a primary takes writes again."""

from __future__ import annotations

import redis
import redis.sentinel

from keyspace.redis.sentinel.clients import UnknownService
from keyspace.redis.sentinel.spec import is_sentinel_url, parse

FAILOVER_TITLE = "Failing over"
NO_SENTINEL_TITLE = "Cannot reach Sentinel"
UNKNOWN_SERVICE_TITLE = "No such Sentinel service"


def is_failover(exc: BaseException, url: str) -> bool:
    """True for the errors a failover shows when `url` (the connection shown) is a sentinel
    one: no primary known (MasterNotFoundError), the old primary refusing writes as a replica
    now (READONLY, which redis-py turns into a ConnectionError) or not answering at all."""
    if not is_sentinel_url(url) or isinstance(exc, UnknownService):
        return False  # a mistyped service name does not end by itself
    return isinstance(exc, redis.ConnectionError | redis.TimeoutError | redis.ReadOnlyError)


def describe_failover(exc: BaseException, url: str) -> tuple[str, str]:
    """(title, message) of the page shown while `is_failover(exc, url)`."""
    try:
        spec = parse(url)
    except ValueError:
        return FAILOVER_TITLE, "the Redis service is failing over"
    service = f"the Redis service {spec.service!r} (via Sentinel {spec.sentinel_list})"
    retry = ("This page retries by itself; an edit sent now is not done, and the dashboard "
             "never sends it again (if one was cut off mid-way, check the key once the new "
             "primary is up).")
    if isinstance(exc, redis.sentinel.MasterNotFoundError):
        text = str(exc)
        # redis-py lists each Sentinel it could not ask as "<its client> - <the error>".
        if text.count("> - ") >= len(spec.sentinels):
            lowered = text.lower()
            refused = any(word in lowered for word in ("authentication", "wrongpass", "noauth",
                                                       "invalid password"))
            hint = (" (they refused the password: check sentinel_password in REDIS_URL)"
                    if refused else "")
            return NO_SENTINEL_TITLE, f"no Sentinel of {service} answered{hint}. {retry}"
        why = "the Sentinels know no primary right now"
    elif isinstance(exc, redis.ReadOnlyError) or "now a slave" in str(exc):
        why = "the old primary is a replica now"
    else:
        why = "the primary is not answering"
    return FAILOVER_TITLE, f"{service} is failing over: {why}. {retry}"


def describe_unknown_service(url: str) -> tuple[str, str]:
    """(title, message) for UnknownService: the Sentinels answer, but none monitors the
    service the URL names."""
    try:
        spec = parse(url)
    except ValueError:
        return UNKNOWN_SERVICE_TITLE, "no Sentinel monitors the service named in the URL"
    return UNKNOWN_SERVICE_TITLE, (
        f"no Sentinel of {spec.sentinel_list} that answered monitors a service named "
        f"{spec.service!r}: check master_name in the connection's URL (the name in the "
        "Sentinels' 'sentinel monitor' lines).")


def check_primary(client: redis.Redis) -> None:
    """Raise the failover's error unless `client` reaches a primary that takes writes (ROLE,
    or a PING where ROLE is refused or renamed away)."""
    try:
        role = client.execute_command("ROLE")
    except redis.ResponseError:
        client.ping()
        return
    first = role[0] if role else b""
    if (first.decode() if isinstance(first, bytes) else str(first)) != "master":
        raise redis.ReadOnlyError("the service's primary answers as a replica")
