"""A Redis run behind Sentinel: REDIS_URL names the service and its Sentinels, and every
client follows the primary the Sentinels report, through a failover.

    sentinel://[[user]:password@]host1:26379[,host2:26380...]/DB?master_name=NAME
        [&sentinel_password=...][&sentinel_username=...][&tls=true]

(`redis+sentinel://` is the same; `service_name=` or `master=`, the form the integrations
page writes, may stand for `master_name=`.) The URL's
user and password are the data nodes' (primary and replicas); `sentinel_password` (and
`sentinel_username`) are the Sentinels' own, when they have `requirepass` set. `tls=true`
reaches the data nodes over TLS with the DASHBOARD_TLS_* settings; the Sentinels are asked
unencrypted. A URL that names no service stops start-up.

Commands on the primary are never retried: a write cut off by a failover is reported, not
sent again to the new primary (`is_failover` tells the error pages which errors mean that).
"""

from keyspace.redis.sentinel.clients import (
    SentinelStatus,
    UnknownService,
    forget,
    get_async_client,
    get_client,
    replicas,
    status,
)
from keyspace.redis.sentinel.failover import (
    FAILOVER_TITLE,
    NO_SENTINEL_TITLE,
    UNKNOWN_SERVICE_TITLE,
    check_primary,
    describe_failover,
    describe_unknown_service,
    is_failover,
)
from keyspace.redis.sentinel.spec import SCHEMES, SentinelSpec, is_sentinel_url, parse, problems

__all__ = ["FAILOVER_TITLE", "NO_SENTINEL_TITLE", "SCHEMES", "UNKNOWN_SERVICE_TITLE",
           "SentinelSpec", "SentinelStatus", "UnknownService", "check_primary",
           "describe_failover", "describe_unknown_service", "forget", "get_async_client",
           "get_client", "is_failover", "is_sentinel_url", "parse", "problems", "replicas",
           "status"]
