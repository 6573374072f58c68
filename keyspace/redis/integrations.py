"""Redis connections named by Celery, Channels and django-rq settings.

Each reader follows what its library does with the setting (kombu, channels_redis and
django-rq all end in redis-py), without importing the library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from keyspace.redis.cache_settings import cache_writer, not_listed
from keyspace.redis.endpoints import (
    Endpoint,
    NotRedis,
    Unrecognised,
    endpoint_from_parts,
    endpoint_from_url,
    sentinel_endpoint,
    socket_endpoint,
)
from keyspace.redis.findings import Findings, Source

# (setting, what Celery uses it for, the setting with its transport options)
CELERY_SETTINGS = (
    ("CELERY_BROKER_URL", "Celery broker", "CELERY_BROKER_TRANSPORT_OPTIONS"),
    ("BROKER_URL", "Celery broker", "BROKER_TRANSPORT_OPTIONS"),
    ("CELERY_RESULT_BACKEND", "Celery results", "CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS"),
)
CHANNEL_LAYERS = (
    "channels_redis.core.RedisChannelLayer",
    "channels_redis.pubsub.RedisPubSubChannelLayer",
)
# channels_redis's own default when CONFIG names no hosts.
CHANNELS_DEFAULT_HOST = "redis://localhost:6379"


def read_celery(settings_obj: Any, findings: Findings) -> None:
    for setting, kind, transport_setting in CELERY_SETTINGS:
        value = getattr(settings_obj, setting, None)
        if not value:
            continue
        with findings.reading(setting):
            urls = _url_list(value)
            transport = getattr(settings_obj, transport_setting, None) or {}
            master = transport.get("master_name") if isinstance(transport, Mapping) else None
            try:
                endpoint = endpoint_from_url(urls[0])
            except NotRedis:
                continue  # amqp://, django-db, rpc://: Celery without Redis
            if endpoint.scheme == "sentinel":
                # kombu lists every Sentinel in the URL and names the master elsewhere.
                if isinstance(master, str) and master:
                    endpoint = replace(endpoint, options=(("master", master),))
                note = ""
            else:
                note = not_listed(urls, "failover URL")
            findings.add(endpoint, Source(setting, kind), kind, note)


def _url_list(value: object) -> list[str]:
    """kombu accepts one URL, several joined by ;, or a list of them (failover)."""
    if isinstance(value, str):
        urls = value.split(";")
    elif isinstance(value, list | tuple) and all(isinstance(url, str) for url in value):
        urls = list(value)
    else:
        raise Unrecognised("neither a URL nor a list of URLs")
    urls = [url.strip() for url in urls if url.strip()]
    if not urls:
        raise Unrecognised("no URL")
    return urls


def read_channels(settings_obj: Any, findings: Findings) -> None:
    layers = getattr(settings_obj, "CHANNEL_LAYERS", None)
    if layers is None:
        return
    if not isinstance(layers, Mapping):
        findings.skip("CHANNEL_LAYERS", "not a dictionary")
        return
    for alias, layer in layers.items():
        setting = f'CHANNEL_LAYERS["{alias}"]'
        hosts = None
        with findings.reading(setting):
            hosts = _channel_hosts(layer)
        if hosts is None:
            continue
        backend = layer["BACKEND"]
        name = f"Channel layer “{alias}”"
        for index, host in enumerate(hosts or [CHANNELS_DEFAULT_HOST]):
            part = f", hosts[{index}]" if len(hosts) > 1 else ""
            part = part if hosts else ", no hosts: channels_redis's default"
            with findings.reading(f"{setting} hosts[{index}]"):
                source = Source(setting, "Channels layer", f"{backend}{part}")
                findings.add(_channel_host(host), source, name)


def _channel_hosts(layer: object) -> list | None:
    """The layer's hosts (each a shard of its channels), [] for channels_redis's default;
    None for a layer not on Redis."""
    if not isinstance(layer, Mapping):
        raise Unrecognised("not a dictionary")
    backend = layer.get("BACKEND")
    if backend not in CHANNEL_LAYERS:
        if isinstance(backend, str) and "redis" in backend.lower():
            raise Unrecognised(f"the backend {backend} is not one this page reads")
        return None
    config = layer.get("CONFIG") or {}
    if not isinstance(config, Mapping):
        raise Unrecognised("CONFIG is not a dictionary")
    hosts = config.get("hosts")
    if not hosts:
        return []
    if not isinstance(hosts, list | tuple):
        raise Unrecognised("CONFIG hosts is not a list")
    return list(hosts)


def _channel_host(host: object) -> Endpoint:
    """A URL, a (host, port) pair, or a dict of redis-py arguments: an `address` URL with
    extras, a Sentinel master, or host/port/db."""
    if isinstance(host, str):
        return endpoint_from_url(host)
    if isinstance(host, list | tuple) and len(host) == 2:
        return endpoint_from_parts(host[0], host[1])
    if not isinstance(host, Mapping):
        raise Unrecognised("a host that is neither a URL, a (host, port) pair nor a dict")
    extras = {"db": host.get("db"), "username": host.get("username"),
              "password": host.get("password")}
    address = host.get("address")
    if isinstance(address, str):
        return endpoint_from_url(address, **extras)
    if isinstance(address, list | tuple) and len(address) == 2:
        return endpoint_from_parts(address[0], address[1], **extras)
    if host.get("master_name") is not None:
        return sentinel_endpoint(host.get("sentinels"), host["master_name"], **extras)
    return endpoint_from_parts(host.get("host", "localhost"), host.get("port", 6379),
                               tls=host.get("ssl", False), **extras)


def read_rq(settings_obj: Any, findings: Findings) -> None:
    queues = getattr(settings_obj, "RQ_QUEUES", None)
    if queues is None:
        return
    if not isinstance(queues, Mapping):
        findings.skip("RQ_QUEUES", "not a dictionary")
        return
    for name, config in queues.items():
        setting = f'RQ_QUEUES["{name}"]'
        with findings.reading(setting):
            endpoint, detail = _rq_endpoint(settings_obj, config)
            findings.add(endpoint, Source(setting, "RQ queue", detail), f"RQ queue “{name}”")


def _rq_endpoint(settings_obj: Any, config: object) -> tuple[Endpoint, str]:
    """In django-rq's order: URL, USE_REDIS_CACHE, UNIX_SOCKET_PATH, SENTINELS, HOST."""
    if not isinstance(config, Mapping):
        raise Unrecognised("not a dictionary")
    db = config.get("DB")
    if "URL" in config:
        return endpoint_from_url(config["URL"], db=db), ""
    if "USE_REDIS_CACHE" in config:
        alias = config["USE_REDIS_CACHE"]
        if not isinstance(alias, str):
            raise Unrecognised("USE_REDIS_CACHE does not name a cache")
        return cache_writer(settings_obj, alias), f'via CACHES["{alias}"]'
    if "UNIX_SOCKET_PATH" in config:
        return socket_endpoint(config["UNIX_SOCKET_PATH"], db), ""
    credentials = {"username": config.get("USERNAME"), "password": config.get("PASSWORD")}
    if "SENTINELS" in config:
        return sentinel_endpoint(config["SENTINELS"], config.get("MASTER_NAME"), db,
                                 **credentials), ""
    if "HOST" in config:
        return endpoint_from_parts(config["HOST"], config.get("PORT", 6379), db,
                                   tls=config.get("SSL", False), **credentials), ""
    raise Unrecognised("none of URL, HOST, UNIX_SOCKET_PATH, SENTINELS or USE_REDIS_CACHE")
