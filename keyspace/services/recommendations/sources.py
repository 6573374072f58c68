"""Reading the sources: INFO (every section, one command), CONFIG GET of the few parameters
the checks need (one pipeline), and the newest stored analysis. Each is bounded and cheap;
a refusal or an error makes that source missing, with the reason shown to the user."""

from __future__ import annotations

import redis

from keyspace.services.recommendations.base import ANALYSIS, CONFIG, INFO, SAMPLE, Sources

CONFIG_PARAMETERS = ("maxmemory", "maxmemory-policy", "save", "appendonly", "databases",
                     "activedefrag")


def read_sources(client: redis.Redis, db: int, *, sample) -> Sources:
    """`sample(client)` reads the sample of keys (see json_values); it may be missing too."""
    sources = Sources()
    try:
        sources.info = client.info("everything")
    except redis.ResponseError as exc:
        sources.missing[INFO] = _reason(exc, "INFO")
    sources.config, problem = _config(client)
    if problem:
        sources.missing[CONFIG] = problem
    sources.report, problem = _report(db)
    if problem:
        sources.missing[ANALYSIS] = problem
    try:
        sources.sample = sample(client)
    except redis.ResponseError as exc:
        sources.missing[SAMPLE] = _reason(exc, "SCAN, TYPE or GETRANGE")
    return sources


def _config(client: redis.Redis) -> tuple[dict[str, str], str]:
    # One parameter a command: Redis 6.2 takes a single pattern per CONFIG GET.
    with client.pipeline(transaction=False) as pipe:
        for name in CONFIG_PARAMETERS:
            pipe.config_get(name)
        replies = pipe.execute(raise_on_error=False)
    refused = next((r for r in replies if isinstance(r, Exception)), None)
    if refused is not None:
        return {}, _reason(refused, "CONFIG GET")
    found = {}
    for reply in replies:
        found.update({_text(k): _text(v) for k, v in reply.items()})
    return found, ""


def _report(db: int):
    try:
        from keyspace.services.analysis.results import latest_report
    except ImportError:
        return None, "the database analysis is not available in this installation"
    report = latest_report(db)
    if report is None:
        return None, "no finished analysis of this database yet: run one on the Analysis tab"
    return report, ""


def _reason(exc: Exception, command: str) -> str:
    text = str(exc)
    if "NOPERM" in text or "no permissions" in text.lower():
        return f"the Redis user may not run {command}"
    return f"{command} failed: {text[:200]}"


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
