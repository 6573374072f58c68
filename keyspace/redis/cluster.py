"""Redis Cluster: telling a cluster node from a standalone server, the cluster clients (sync
and asyncio) and their pipeline, and what a cluster refuses that a server would not.

A cluster is detected from the node REDIS_URL names (HELLO's `mode`, which every user may
run; else INFO cluster; else CLUSTER INFO), once per URL and connection settings in each
process. Key operations then go through redis-py's RedisCluster, which routes each command
to the primary owning the key's slot and follows MOVED/ASK; a WATCH/MULTI edit of keys in
one slot runs on that slot's primary (redis-py's transactional ClusterPipeline). Work that
is per node by nature (the key list's SCAN, DBSIZE, a page's metadata) uses the plain
client redis-py keeps for each primary (keyspace.redis.cluster_nodes).

A cluster has database 0 only.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import redis
from redis._parsers import AsyncCommandsParser
from redis._parsers import commands as redis_parsers
from redis.backoff import NoBackoff
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.cluster import ClusterPipeline, RedisCluster, TransactionStrategy
from redis.connection import parse_url
from redis.exceptions import RedisClusterException
from redis.retry import Retry

from keyspace.exceptions import BadRequest, DashboardError
from keyspace.redis import cluster_nodes, command_table

HASH_TAGS = (
    "In a Redis Cluster, commands over several keys run only when all the keys hash to the "
    "same slot. Give the names a common hash tag, a part in braces such as {user:42}: only "
    "that part is hashed, so user:{user:42}:profile and user:{user:42}:backup share a slot. "
    "Nothing was written."
)

_modes: dict[tuple, bool] = {}
_clients: dict[tuple, RedisCluster] = {}
_lock = threading.Lock()


class OnlyDatabaseZero(DashboardError):
    status = 404
    title = "No such database"

    def __init__(self, db: int):
        super().__init__(f"a Redis Cluster has database 0 only, not {db}")


def forget() -> None:
    """Drop what is known and every cluster client (tests that point elsewhere)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
        _modes.clear()
    cluster_nodes.forget()
    for client in clients:
        client.close()


def is_cluster(key: tuple, probe_client) -> bool:
    """Whether the node `probe_client()` reaches is in cluster mode; asked once per `key`
    (the connection and its settings). Redis down: False, not remembered (asked again)."""
    found = _modes.get(key)
    if found is None:
        try:
            found = _detect(probe_client())
        except (redis.ConnectionError, redis.TimeoutError):
            # Not known yet: the standalone client's first command meets the same error,
            # where it always has (an error page), and the next request asks again.
            return False
        with _lock:
            _modes[key] = found
    return found


def known(key: tuple) -> bool:
    """True when `key` was found to be a cluster (never asks Redis)."""
    return _modes.get(key, False)


def _detect(client: redis.Redis) -> bool:
    try:
        reply = client.execute_command("HELLO", 2)
        pairs = dict(zip(reply[::2], reply[1::2], strict=False))
        mode = pairs.get(b"mode", pairs.get("mode", b""))
        return (mode.decode() if isinstance(mode, bytes) else str(mode)) == "cluster"
    except redis.ResponseError:
        pass
    try:
        return str(client.info("cluster").get("cluster_enabled", 0)) == "1"
    except redis.ResponseError:
        pass
    try:
        client.execute_command("CLUSTER", "INFO")
    except redis.ResponseError:
        return False  # "cluster support disabled", or refused: treated as standalone
    return True


def _with_renames(connection_class: type, table: dict) -> type:
    """The connection class with the declared renames built in (RedisCluster passes only the
    options it knows on to each node's connections)."""
    if not table:
        return connection_class

    class Renaming(connection_class):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("renamed_commands", table)
            super().__init__(*args, **kwargs)

    Renaming.__name__ = f"Renaming{connection_class.__name__}"
    return Renaming


class _Pipeline(ClusterPipeline):
    """redis-py's cluster pipeline with EVAL as the app's Lua checks queue it (redis-py's
    cluster pipeline has no eval of its own; EVAL is routed by its keys like any command)."""

    def eval(self, script, numkeys, *keys_and_args):
        return self.execute_command("EVAL", script, numkeys, *keys_and_args)

    def execute(self, raise_on_error: bool = True) -> list:
        """redis-py parses the replies of a cluster MULTI/EXEC with its few cluster callbacks
        only (ZRANGE ... WITHSCORES came back flat, HGETALL as a list): the standalone
        client's callbacks are applied here, as a standalone pipeline does."""
        strategy = self._execution_strategy
        if not isinstance(strategy, TransactionStrategy):
            return super().execute(raise_on_error)
        queued = [(command.args, command.options) for command in strategy._command_queue]
        replies = super().execute(raise_on_error)
        return [_parsed(reply, args, options, self.cluster_response_callbacks)
                for reply, (args, options) in zip(replies, queued, strict=False)]


_standalone_callbacks = redis.Redis(protocol=2).response_callbacks


def _parsed(reply, args: tuple, options: dict, done: dict):
    name = str(args[0]).upper() if args else ""
    callback = _standalone_callbacks.get(name)
    if callback is None or name in done or isinstance(reply, Exception):
        return reply
    # As Redis.parse_response: routing and decoding options are not the callback's.
    options = {name: value for name, value in options.items()
               if name not in ("keys", NEVER_DECODE, EMPTY_RESPONSE)}
    return callback(reply, **options)


# Commands over several keys that redis-py's cluster pipeline refuses outright, as they may
# span slots. The app queues them for keys it has checked share a slot (a guarded edit's
# keys, which its MULTI needs anyway), so they run as in any pipeline; keys in different
# slots still get redis-py's refusal before anything is sent (see describe_failure).
_MULTI_KEY_COMMANDS = ("rename", "renamenx", "rpoplpush", "sdiff", "sdiffstore", "sinter",
                       "sinterstore", "sunion", "sunionstore", "smove", "mget", "mset",
                       "msetnx", "pfcount", "pfmerge", "bitop")
for _name in _MULTI_KEY_COMMANDS:
    setattr(_Pipeline, _name, getattr(redis.Redis, _name))


class DashboardCluster(RedisCluster):
    def command(self, **kwargs) -> dict:
        """COMMAND, which redis-py reads for every command's key positions when the client is
        made; for a user that may not run it (or where it is renamed away), the table the
        dashboard keeps (keyspace.redis.command_table)."""
        from keyspace.redis.capabilities import refusal_kind

        try:
            return super().command(**kwargs)
        except redis.ResponseError as exc:
            if refusal_kind(exc) is None:
                raise
        return command_table.fallback_commands()

    def pipeline(self, transaction=None, shard_hint=None):
        pipe = super().pipeline(transaction=transaction, shard_hint=shard_hint)
        pipe.__class__ = _Pipeline  # the same object, with eval above
        return pipe


def client_for(key: tuple, url: str, options: dict, use_credentials) -> RedisCluster:
    """The process's RedisCluster for `key` (the URL and connection settings), made once:
    `options` are the standalone connection options, `use_credentials` the function that
    puts a password command or provider in place of the URL's password."""
    client = _clients.get(key)
    if client is not None:
        return client
    kwargs = {name: value for name, value in parse_url(url).items()
              if name not in ("db", "connection_class")}
    kwargs |= options
    kwargs["connection_class"] = _with_renames(kwargs.pop("connection_class"),
                                               kwargs.pop("renamed_commands", {}))
    kwargs.pop("retry", None)
    use_credentials(SimpleNamespace(connection_kwargs=kwargs))
    client = DashboardCluster(
        # One immediate retry, as standalone: a node down makes a clear page quickly.
        retry=Retry(NoBackoff(), 1),
        # A node down leaves its slots uncovered until a replica takes over: the cluster
        # client still serves the other slots (and the topology page says what is missing).
        require_full_coverage=False,
        **kwargs,
    )
    with _lock:
        kept = _clients.setdefault(key, client)
    if kept is not client:
        client.close()
    return kept


def check_db(db: int) -> None:
    if db != 0:
        raise OnlyDatabaseZero(db)


def default_node_client(client) -> redis.Redis:
    """A plain client for commands about the server rather than keys (the node the URL
    names, as redis-py's default node); `client` itself when it is not a cluster client."""
    if isinstance(client, RedisCluster):
        return client.get_redis_connection(client.get_default_node())
    return client


def is_cluster_client(client) -> bool:
    return isinstance(client, RedisCluster)


SERVER_TIME_SCRIPT = "return redis.call('TIME')"


def queue_time(pipe):
    """TIME in a pipeline or MULTI. A cluster pipeline cannot route TIME (no key): a keyless
    script reads it instead, on the node the transaction runs on."""
    if isinstance(pipe, RedisCluster):
        return pipe.execute_command("EVAL", SERVER_TIME_SCRIPT, 0)
    return pipe.time()


def _refusal_behind(exc: BaseException) -> BaseException | None:
    """The NOPERM a redis-py cluster error was raised from, if any (a few links back)."""
    seen = exc
    for _ in range(5):
        seen = seen.__cause__ or seen.__context__
        if seen is None:
            return None
        if isinstance(seen, redis.exceptions.NoPermissionError):
            return seen
    return None


def describe_failure(exc: BaseException) -> tuple[int, str, str] | None:
    """(status, title, message) for what a cluster client raises that no standalone one does;
    None for anything else."""
    from redis.exceptions import ClusterCrossSlotError, ClusterDownError, CrossSlotTransactionError

    if isinstance(exc, CrossSlotTransactionError | ClusterCrossSlotError) or (
            isinstance(exc, redis.ResponseError) and str(exc).startswith("CROSSSLOT")) or (
            isinstance(exc, RedisClusterException) and "same key slot" in str(exc)):
        return 422, "Keys in different slots", HASH_TAGS
    if isinstance(exc, RedisClusterException) and (refused := _refusal_behind(exc)):
        # redis-py says "Cluster mode is not enabled" when CLUSTER SLOTS is refused: the
        # cluster is fine, this Redis user may not ask for its map.
        return 403, "Not permitted", (
            "this Redis user may not ask the cluster for its nodes (CLUSTER SLOTS), which "
            f"the dashboard needs before anything else: {refused}")
    if isinstance(exc, ClusterDownError | RedisClusterException):
        return 503, "Cluster unavailable", (
            f"the Redis Cluster cannot serve this now ({exc}); a node may be down or failing "
            "over: see the Cluster tab, and try again in a few seconds")
    return None


_ASYNC_OPTIONS = ("username", "password", "credential_provider", "client_name",
                  "socket_timeout", "socket_connect_timeout", "protocol", "ssl_ca_certs",
                  "ssl_cert_reqs", "ssl_certfile", "ssl_keyfile", "ssl_check_hostname")


class _AsyncCommands(AsyncCommandsParser):
    """redis.asyncio's table of key positions, read with COMMAND on the client's first
    command; for a user that may not run it (or where it is renamed away), the table the
    dashboard keeps (keyspace.redis.command_table), as DashboardCluster.command does."""

    async def initialize(self, node=None) -> None:
        from keyspace.redis.capabilities import refusal_kind

        try:
            await super().initialize(node)
            return
        except redis.ResponseError as exc:
            if refusal_kind(exc) is None:
                raise
        if node:
            self.node = node
        self.commands = command_table.fallback_commands()
        compile_specs = getattr(redis_parsers, "_compile_movablekeys_specs", None)
        if compile_specs is not None:  # redis-py 8's key specs of movable-key commands
            self._movablekeys_specs = compile_specs(self.commands)
        self._encoder = self.node.get_encoder()


def async_client_for(url: str, options: dict, use_credentials):
    """A fresh redis.asyncio RedisCluster (the caller closes it with `aclose()`)."""
    from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
    from redis.asyncio.retry import Retry as AsyncRetry

    from keyspace.redis.capabilities import known

    parts = parse_url(url)
    kwargs = {"username": parts.get("username"), "password": parts.get("password"), **options}
    use_credentials(SimpleNamespace(connection_kwargs=kwargs))
    kwargs = {name: value for name, value in kwargs.items()
              if name in _ASYNC_OPTIONS and value is not None}
    facts = known()
    if facts is None or facts.lacks("CLIENT"):
        # Its connections send CLIENT SETNAME on connect and fail if it is refused (the sync
        # ones try it once and go on): unnamed, unless CLIENT is known to work.
        kwargs.pop("client_name", None)
    client = AsyncRedisCluster(
        host=parts.get("host", "localhost"), port=parts.get("port", 6379),
        ssl=url.startswith("rediss://"), require_full_coverage=False,
        retry=AsyncRetry(NoBackoff(), 1), **kwargs,
    )
    client.commands_parser = _AsyncCommands()
    return client


def pool_for_command(cluster: RedisCluster, args: list[bytes]):
    """The connection pool of the node a console command goes to: the primary of its keys'
    slot, else (no key) the node REDIS_URL names. Keys in several slots: BadRequest, saying
    why (nothing is sent)."""
    name = args[0].decode("latin-1") if isinstance(args[0], bytes) else str(args[0])
    node = cluster.get_default_node()
    rest = list(args[1:])
    if rest and isinstance(rest[0], bytes) and rest[0].isascii():
        # redis-py finds the keys of a command with subcommands (OBJECT ENCODING, MEMORY
        # USAGE, XINFO STREAM) only when the subcommand is text; an ASCII argument is the
        # same bytes either way, so a key there still hashes as typed.
        rest[0] = rest[0].decode("ascii")
    try:
        slot = cluster.determine_slot(name.upper(), *rest)
    except RedisClusterException as exc:
        if "same key slot" in str(exc):
            raise BadRequest(f"these keys hash to different slots. {HASH_TAGS}") from None
        slot = None  # no key to route by
    except (redis.RedisError, KeyError, ValueError):
        slot = None
    if slot is not None:
        node = cluster.nodes_manager.get_node_from_slot(slot, False)
    return cluster.get_redis_connection(node).connection_pool
