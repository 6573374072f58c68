"""Connections read from the host project's settings, one test per shape each library takes.

Pure settings parsing (override_settings, no mocks), plus real connections to the session's
redis-server to show a discovered URL reaches the right db with the right credentials.
"""

from __future__ import annotations

import pytest
import redis
from django.test import override_settings
from redis.connection import parse_url

from keyspace.redis.discovery import DiscoveredConnection, Discovery, discover, discover_all

DJANGO_CACHE = "django.core.cache.backends.redis.RedisCache"
DJANGO_REDIS = "django_redis.cache.RedisCache"
CORE_LAYER = "channels_redis.core.RedisChannelLayer"
PUBSUB_LAYER = "channels_redis.pubsub.RedisPubSubChannelLayer"
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def discovered(**settings) -> Discovery:
    """Discovery with only these settings naming Redis (REDIS_URL off, the test CACHES kept)."""
    settings.setdefault("REDIS_URL", "")
    with override_settings(**settings):
        return discover_all()


def only(**settings) -> DiscoveredConnection:
    found = discovered(**settings)
    assert not found.skipped, found.skipped
    assert len(found.connections) == 1, found.connections
    return found.connections[0]


def urls(**settings) -> list[str]:
    return [connection.url for connection in discovered(**settings).connections]


def cache(backend: str = DJANGO_CACHE, **config) -> dict:
    return {"default": {"BACKEND": backend, **config}}


def layer(backend: str = CORE_LAYER, **config) -> dict:
    return {"default": {"BACKEND": backend, "CONFIG": config}}


# Django's RedisCache

def test_django_redis_cache_with_a_url():
    found = only(CACHES=cache(LOCATION="redis://cache.internal:6380/2"))
    assert found.url == "redis://cache.internal:6380/2"
    assert found.source == f'CACHES["default"] ({DJANGO_CACHE})'
    assert (found.kind, found.name, found.slug) == ("cache", "Cache “default”", "cache-default")
    assert found.supported


def test_django_redis_cache_writes_to_the_first_of_several_locations():
    for location in ("redis://writer/0;redis://reader/0", "redis://writer/0,redis://reader/0",
                     ["redis://writer/0", "redis://reader/0"]):
        found = only(CACHES=cache(LOCATION=location))
        assert found.url == "redis://writer:6379/0"
        assert "1 read replica not listed" in found.note


def test_django_redis_cache_options_fill_in_what_the_url_leaves_out():
    found = only(CACHES=cache(LOCATION="redis://h", OPTIONS={"db": 4, "password": "pw"}))
    assert found.url == "redis://:pw@h:6379/4"
    # redis-py lets the URL win over OPTIONS, so discovery does too.
    found = only(CACHES=cache(LOCATION="redis://:url-pw@h/1", OPTIONS={"db": 4, "password": "x"}))
    assert found.url == "redis://:url-pw@h:6379/1"
    assert only(CACHES=cache(LOCATION="redis://h?db=7", OPTIONS={"db": 4})).endpoint.db == 7


# django-redis

def test_django_redis_with_password_and_pool_options():
    found = only(CACHES=cache(DJANGO_REDIS, LOCATION="redis://h:6379",
                              OPTIONS={"PASSWORD": "pw", "CONNECTION_POOL_KWARGS": {"db": 3}}))
    assert found.url == "redis://:pw@h:6379/3"
    assert found.source == f'CACHES["default"] ({DJANGO_REDIS})'


def test_django_redis_replicas_and_shards():
    replicated = only(CACHES=cache(DJANGO_REDIS, LOCATION=["redis://main/1", "redis://r1/1",
                                                           "redis://r2/1"]))
    assert replicated.url == "redis://main:6379/1"
    assert "2 read replicas not listed" in replicated.note
    sharded = discovered(CACHES=cache(DJANGO_REDIS, LOCATION="redis://a/0,redis://b/0",
                                      OPTIONS={"CLIENT_CLASS": "django_redis.client.ShardClient"}))
    assert [c.url for c in sharded.connections] == ["redis://a:6379/0", "redis://b:6379/0"]
    assert [c.slug for c in sharded.connections] == ["cache-default", "cache-default-2"]
    assert sharded.connections[1].source.endswith(", shard 2)")


def test_django_redis_sentinel_is_recognised_but_not_supported_yet():
    found = only(CACHES=cache(DJANGO_REDIS, LOCATION="redis://MyMaster/2",
                              OPTIONS={"CLIENT_CLASS": "django_redis.client.SentinelClient",
                                       "SENTINELS": [("sentinel-1", 26379)]}))
    assert not found.supported
    assert found.url == "sentinel://sentinel-1:26379/2?master=MyMaster"
    assert "Sentinel" in found.note


# Celery

def test_celery_broker_and_result_backend():
    found = discovered(CELERY_BROKER_URL="redis://broker:6379/0",
                       CELERY_RESULT_BACKEND="rediss://:pw@results:6380/1?ssl_cert_reqs=CERT_REQUIRED")
    broker, results = found.connections
    assert (broker.url, broker.source, broker.kind) == ("redis://broker:6379/0",
                                                        "CELERY_BROKER_URL", "Celery broker")
    # redis-py wants `required` where Celery's docs write CERT_REQUIRED.
    assert results.url == "rediss://:pw@results:6380/1?ssl_cert_reqs=required"
    assert (results.source, results.kind) == ("CELERY_RESULT_BACKEND", "Celery results")
    assert parse_url(results.url)["ssl_cert_reqs"] == "required"


def test_celery_old_broker_setting_and_kombu_socket_urls():
    assert urls(BROKER_URL="redis://old-broker") == ["redis://old-broker:6379/0"]
    assert urls(CELERY_BROKER_URL="redis+socket:///run/redis.sock?virtual_host=3") == [
        "unix:///run/redis.sock?db=3"]


def test_celery_without_redis_is_not_listed_and_not_an_error():
    found = discovered(CELERY_BROKER_URL="amqp://guest@rabbit//",
                       CELERY_RESULT_BACKEND="django-db")
    assert found.connections == () and found.skipped == ()


def test_celery_failover_urls_list_the_first():
    found = only(CELERY_BROKER_URL="redis://one:6379/0;redis://two:6379/0")
    assert found.url == "redis://one:6379/0"
    assert "1 failover URL not listed" in found.note
    assert only(CELERY_BROKER_URL=["redis://one", "redis://two"]).url == "redis://one:6379/0"


def test_celery_sentinel_takes_the_master_from_the_transport_options():
    found = only(CELERY_BROKER_URL="sentinel://:pw@s1:26379;sentinel://s2:26379",
                 CELERY_BROKER_TRANSPORT_OPTIONS={"master_name": "mymaster"})
    assert not found.supported
    assert found.display_url == "sentinel://:****@s1:26379/0?master=mymaster"


# Channels

def test_channels_hosts_in_each_shape():
    found = discovered(CHANNEL_LAYERS=layer(hosts=[
        ("redis-a", 6379),
        "redis://redis-b:6380/2",
        {"address": "redis://redis-c", "db": 5, "password": "pw"},
        {"host": "redis-d", "port": 6381, "db": 1},
    ]))
    assert [c.url for c in found.connections] == [
        "redis://redis-a:6379/0", "redis://redis-b:6380/2", "redis://:pw@redis-c:6379/5",
        "redis://redis-d:6381/1"]
    assert found.connections[2].source == f'CHANNEL_LAYERS["default"] ({CORE_LAYER}, hosts[2])'
    assert {c.kind for c in found.connections} == {"Channels layer"}


def test_channels_pubsub_layer_without_hosts_uses_channels_redis_default():
    found = only(CHANNEL_LAYERS={"default": {"BACKEND": PUBSUB_LAYER}})
    assert found.url == "redis://localhost:6379/0"
    assert "channels_redis's default" in found.source


def test_channels_sentinel_and_in_memory_layers():
    found = discovered(CHANNEL_LAYERS={
        "memory": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
        "default": {"BACKEND": CORE_LAYER, "CONFIG": {"hosts": [
            {"sentinels": [("s1", 26379)], "master_name": "layers"}]}},
    })
    (sentinel,) = found.connections
    assert not sentinel.supported and sentinel.url == "sentinel://s1:26379/0?master=layers"


# RQ

def test_rq_queues_by_url_and_by_host():
    found = discovered(RQ_QUEUES={
        "default": {"HOST": "rq-host", "PORT": 6390, "DB": 2, "PASSWORD": "pw"},
        "high": {"URL": "redis://rq-url:6379", "DB": 4},
        "secure": {"HOST": "rq-tls", "PORT": 6380, "SSL": True, "USERNAME": "worker"},
    })
    assert [c.url for c in found.connections] == [
        "redis://:pw@rq-host:6390/2", "redis://rq-url:6379/4", "rediss://worker@rq-tls:6380/0"]
    assert [c.source for c in found.connections] == [
        'RQ_QUEUES["default"]', 'RQ_QUEUES["high"]', 'RQ_QUEUES["secure"]']


def test_rq_use_redis_cache_is_the_cache_connection():
    found = only(CACHES=cache(LOCATION="redis://shared/1"),
                 RQ_QUEUES={"default": {"USE_REDIS_CACHE": "default"}})
    assert found.url == "redis://shared:6379/1"
    assert [str(s) for s in found.sources] == [f'CACHES["default"] ({DJANGO_CACHE})',
                                               'RQ_QUEUES["default"] (via CACHES["default"])']
    assert found.kind == "cache, RQ queue"


def test_rq_unix_socket_and_sentinel():
    found = discovered(RQ_QUEUES={
        "socket": {"UNIX_SOCKET_PATH": "/run/redis.sock", "DB": 6},
        "sentinel": {"SENTINELS": [("s1", 26379)], "MASTER_NAME": "rq", "DB": 0},
    })
    socket, sentinel = found.connections
    assert socket.url == "unix:///run/redis.sock?db=6" and socket.supported
    assert sentinel.url == "sentinel://s1:26379/0?master=rq" and not sentinel.supported


# The dashboard's own REDIS_URL, deduplication, passwords

def test_the_dashboards_own_redis_url_comes_first():
    found = discovered(REDIS_URL="redis://mine:6379/0", CELERY_BROKER_URL="redis://broker/0")
    assert [c.url for c in found.connections] == ["redis://mine:6379/0", "redis://broker:6379/0"]
    assert str(found.connections[0].sources[0]) == "REDIS_URL (this dashboard)"


def test_one_url_named_by_several_settings_is_one_connection_with_every_source():
    found = discovered(
        REDIS_URL="redis://shared:6379/0",
        CACHES=cache(LOCATION="redis://SHARED"),  # the same server, spelled differently
        CELERY_BROKER_URL="redis://shared:6379/0",
        RQ_QUEUES={"default": {"HOST": "shared", "PORT": 6379, "DB": 0},
                   "other-db": {"HOST": "shared", "PORT": 6379, "DB": 1}},
    )
    first, other_db = found.connections
    assert [s.setting for s in first.sources] == [
        "REDIS_URL", 'CACHES["default"]', "CELERY_BROKER_URL", 'RQ_QUEUES["default"]']
    assert other_db.url == "redis://shared:6379/1"
    assert [c.slug for c in found.connections] == ["this-dashboard", "rq-queue-other-db"]


def test_passwords_are_masked_everywhere_but_the_url():
    secret = "s3cret:/@%pw"
    found = only(CACHES=cache(LOCATION="redis://h/0", OPTIONS={"password": secret}))
    assert secret not in found.display_url and "****" in found.display_url
    assert secret not in repr(found) and secret not in found.source
    assert parse_url(found.url)["password"] == secret
    unix = only(RQ_QUEUES={"q": {"URL": "unix://:pw@/run/redis.sock?db=2"}})
    assert unix.display_url == "unix://:****@/run/redis.sock?db=2"


def test_discover_returns_the_connections_list():
    with override_settings(REDIS_URL="redis://mine/0"):
        assert [c.url for c in discover()] == ["redis://mine:6379/0"]


# Unknown shapes: skipped with a reason, never an exception

@pytest.mark.parametrize(("shape", "setting", "reason"), [
    ({"CACHES": ["not", "a", "dict"]}, "CACHES", "not a dictionary"),
    ({"CACHES": cache(LOCATION=6379)}, 'CACHES["default"]', "LOCATION"),
    ({"CACHES": cache(LOCATION="")}, 'CACHES["default"]', "LOCATION is empty"),
    ({"CACHES": cache(LOCATION="redis://h", OPTIONS=[1])}, 'CACHES["default"]', "OPTIONS"),
    ({"CACHES": cache(LOCATION="redis://h/zero")}, 'CACHES["default"]', "db"),
    ({"CACHES": cache(LOCATION="redis://h/²")}, 'CACHES["default"]', "db"),
    ({"CACHES": cache(LOCATION="memcached://h")}, 'CACHES["default"]', "not a Redis URL"),
    ({"CACHES": cache("redis_cache.RedisCache", LOCATION="h:6379")}, 'CACHES["default"]',
     "redis_cache.RedisCache"),
    ({"CELERY_BROKER_URL": 6379}, "CELERY_BROKER_URL", "neither a URL"),
    ({"CHANNEL_LAYERS": layer(hosts="redis://h")}, 'CHANNEL_LAYERS["default"]', "not a list"),
    ({"CHANNEL_LAYERS": layer(hosts=[("h", 99999)])}, 'CHANNEL_LAYERS["default"] hosts[0]',
     "port"),
    ({"RQ_QUEUES": {"q": {"TIMEOUT": 5}}}, 'RQ_QUEUES["q"]', "none of URL"),
    ({"RQ_QUEUES": {"q": {"USE_REDIS_CACHE": "missing"}}}, 'RQ_QUEUES["q"]', "CACHES"),
    ({"RQ_QUEUES": {"q": {"USE_REDIS_CACHE": ["default"]}}}, 'RQ_QUEUES["q"]', "name a cache"),
    ({"RQ_QUEUES": {"q": {"HOST": "h", "DB": -1}}}, 'RQ_QUEUES["q"]', "db"),
    ({"RQ_QUEUES": {"q": {"HOST": "h", "PORT": "²"}}}, 'RQ_QUEUES["q"]', "port"),
    ({"RQ_QUEUES": {"q": {"HOST": "h/x"}}}, 'RQ_QUEUES["q"]', "host"),
    ({"REDIS_URL": "redis://:hunter2@h:port/0"}, "REDIS_URL", "not a valid URL"),
])
def test_unknown_shapes_are_skipped_with_a_reason(shape, setting, reason):
    shape = {"CACHES": LOCMEM, **shape}
    found = discovered(CELERY_RESULT_BACKEND="redis://still-found/0", **shape)
    assert [c.url for c in found.connections] == ["redis://still-found:6379/0"]
    (skipped,) = found.skipped
    assert skipped.setting == setting
    assert reason in skipped.reason
    assert "hunter2" not in skipped.reason


# Real connections

def test_a_discovered_cache_url_reaches_the_right_db(redis_server):
    with redis.Redis(port=redis_server.port, db=3) as arrange:
        arrange.set("discovery-marker", "db3")
    found = only(CACHES=cache(LOCATION=f"redis://127.0.0.1:{redis_server.port}",
                              OPTIONS={"db": 3}))
    with redis.Redis.from_url(found.url) as client:
        assert client.ping()
        assert client.get("discovery-marker") == b"db3"


def test_a_discovered_url_carries_credentials_that_redis_accepts(redis_server):
    secret = "p@ss:w/rd %?#"
    with redis.Redis(port=redis_server.port) as admin:
        admin.acl_setuser("discovery", enabled=True, passwords=[f"+{secret}"],
                          commands=["+@all"], keys=["*"])
    with redis.Redis(port=redis_server.port, db=2) as arrange:
        arrange.set("marker", "db2")
    try:
        found = only(RQ_QUEUES={"q": {"HOST": "127.0.0.1", "PORT": redis_server.port, "DB": 2,
                                      "USERNAME": "discovery", "PASSWORD": secret}})
        with redis.Redis.from_url(found.url) as client:
            assert client.ping()
            assert client.acl_whoami() == "discovery"
            assert client.get("marker") == b"db2"
        assert secret not in found.display_url
    finally:
        with redis.Redis(port=redis_server.port) as admin:
            admin.acl_deluser("discovery")


def test_a_discovered_unix_socket_reaches_the_right_db(tmp_path):
    from dashboard.local_redis import LocalRedis

    socket = tmp_path / "redis.sock"
    with LocalRedis(tmp_path / "data", extra_args=("--unixsocket", str(socket))) as server:
        with redis.Redis(port=server.port, db=5) as arrange:
            arrange.set("marker", "socket db5")
        found = only(RQ_QUEUES={"q": {"UNIX_SOCKET_PATH": str(socket), "DB": 5}})
        with redis.Redis.from_url(found.url) as client:
            assert client.ping()
            assert client.get("marker") == b"socket db5"


# Any settings at all: discovery answers, and every URL it gives is one redis-py reads back

WORDS = [DJANGO_CACHE, DJANGO_REDIS, CORE_LAYER, PUBSUB_LAYER, "django_redis.client.ShardClient",
         "django_redis.client.SentinelClient", "default", "/run/redis.sock", "localhost"]
SCHEMES = ["redis://", "rediss://", "unix://", "redis+socket://", "sentinel://", "amqp://", ""]
URL_TEXT = "abc019².:-_/[]%@?=&#; "


def fuzz_settings():
    """Settings shaped like the real ones often enough to find connections, and junk inside."""
    from hypothesis import strategies as st

    url = st.builds(lambda *pieces: "".join(pieces), st.sampled_from(SCHEMES),
                    st.sampled_from(["", "u@", ":pw@", "u:p%40s%2F%3F%23@", ":a:b@"]),
                    st.text(alphabet=URL_TEXT, max_size=8),
                    st.sampled_from(["", ":6380", ":0", ":x", ":²"]),
                    st.sampled_from(["", "/", "/3", "/x", "/²", "?db=²", "?db=2",
                                     "?password=q&ssl_cert_reqs=no"]))
    junk = st.recursive(st.none() | st.booleans() | st.integers(-2, 70000) | st.floats()
                        | st.text(max_size=8) | st.sampled_from(WORDS) | url,
                        lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                        | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                        max_leaves=4)
    value = url | junk | st.integers(0, 20) | st.lists(url, max_size=3)

    def shaped(keys):
        # Unique keys from a short list: asking for as many as there are makes Hypothesis slow.
        return st.dictionaries(st.sampled_from(keys), value, max_size=min(3, len(keys) - 1)) | junk

    def named(entry):
        return st.dictionaries(st.sampled_from(["default", "q", ""]), entry, max_size=2) | junk

    backend = st.sampled_from(WORDS[:4] + ["redis_cache.RedisCache", "x.locmem.Cache"]) | junk
    options = shaped(["db", "password", "username", "PASSWORD", "CLIENT_CLASS", "SENTINELS",
                      "CONNECTION_POOL_KWARGS"])
    pair = st.tuples(st.text(alphabet=URL_TEXT, max_size=6), st.integers(-1, 70000))
    host = url | pair | shaped(["address", "db", "password", "host", "port", "master_name",
                                "sentinels", "ssl"])
    config = st.fixed_dictionaries({}, optional={"hosts": st.lists(host, max_size=3) | junk})
    return {
        "REDIS_URL": value,
        "CACHES": named(st.fixed_dictionaries({"BACKEND": backend},
                                              optional={"LOCATION": value, "OPTIONS": options})),
        "CELERY_BROKER_URL": value,
        "CELERY_RESULT_BACKEND": value,
        "CELERY_BROKER_TRANSPORT_OPTIONS": shaped(["master_name", "visibility_timeout"]),
        "CHANNEL_LAYERS": named(st.fixed_dictionaries({"BACKEND": backend},
                                                      optional={"CONFIG": config | junk})),
        "RQ_QUEUES": named(shaped(["URL", "HOST", "PORT", "DB", "PASSWORD", "USERNAME", "SSL",
                                   "USE_REDIS_CACHE", "UNIX_SOCKET_PATH", "SENTINELS",
                                   "MASTER_NAME"])),
    }


def assert_read_back(connection: DiscoveredConnection) -> None:
    endpoint = connection.endpoint
    if endpoint.scheme == "sentinel":
        return
    read_back = parse_url(connection.url)
    assert read_back.get("db", 0) == endpoint.db
    assert read_back.get("password", "") == endpoint.password
    assert read_back.get("username", "") == endpoint.username
    assert read_back.get("path", read_back.get("host")) == endpoint.host
    if endpoint.password:
        userinfo = connection.display_url.split("://", 1)[1].split("@", 1)[0]
        assert userinfo.partition(":")[2] == "****"


def test_any_settings_are_read_without_an_exception():
    from types import SimpleNamespace

    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings
    from hypothesis import strategies as st

    @hypothesis_settings(max_examples=100, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow])
    @given(st.fixed_dictionaries({}, optional=fuzz_settings()))
    def check(values):
        for connection in discover_all(SimpleNamespace(**values)).connections:
            assert_read_back(connection)

    check()
