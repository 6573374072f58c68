"""Every setting the app reads, with its default, in one place.

    from keyspace.conf import app_settings
    app_settings.PAGE_SIZE          # settings.DASHBOARD_PAGE_SIZE, or 100 when unset

Values are read from Django's settings each time they are asked for, never at import time,
so a host project's settings, `override_settings` in tests and the standalone's run command
(which sets REDIS_URL once it has started a private Redis) all take effect. The one
exception is the default connection's profile (keyspace.redis.profiles.default), made from
its settings once and again after `setting_changed` or `reset_pools()`. A value of the
wrong type or out of range stops start-up (`KeyspaceConfig.ready` calls `validate`): a typo
must never quietly turn into a default.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KINDS = {int: "a whole number", bool: "True or False", str: "a string", dict: "a dict"}


@dataclass(frozen=True)
class Setting:
    setting: str  # the name in Django's settings
    default: object
    help: str
    minimum: float | None = None  # inclusive
    positive: bool = False  # above zero (for timeouts and intervals, where 0 means spin)

    @property
    def kind(self) -> type:
        return type(self.default)

    def problem(self, value: object) -> str | None:
        """Why `value` is not acceptable for this setting, or None."""
        shown = f"{self.setting}={value!r}"
        if self.kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"{shown} is not a number"
            if not math.isfinite(value):
                return f"{shown} is not a finite number"
        elif isinstance(value, bool) != (self.kind is bool) or not isinstance(value, self.kind):
            return f"{shown} is not {KINDS[self.kind]}"
        if self.positive and value <= 0:
            return f"{shown} must be above 0"
        if self.minimum is not None and value < self.minimum:
            return f"{shown} must be at least {self.minimum:g}"
        return None


KiB, MiB = 1024, 1024 * 1024

SETTINGS: dict[str, Setting] = {
    "REDIS_URL": Setting("REDIS_URL", "", "the Redis to show (redis://, rediss://, unix:// "
                         "or sentinel://host:26379,host2:26379/0?master_name=NAME); empty: "
                         "nothing to show until it is set"),
    "DEFAULT_CONNECTION": Setting("DASHBOARD_DEFAULT_CONNECTION", "default",
                                  "the name REDIS_URL's connection has in URLs "
                                  "(/c/<name>/db/0/)"),
    "DEFAULT_CONNECTION_LABEL": Setting("DASHBOARD_DEFAULT_CONNECTION_LABEL", "",
                                        "REDIS_URL's connection as people call it; empty: "
                                        "its name"),
    "DEFAULT_CONNECTION_ENVIRONMENT": Setting("DASHBOARD_DEFAULT_CONNECTION_ENVIRONMENT", "",
                                              "development, staging or production (shown on "
                                              "every page; production asks for the key name "
                                              "before destructive edits); empty: none"),
    "CONNECTIONS": Setting("DASHBOARD_CONNECTIONS", {},
                           "more connections, configured as code: {name: {url, label, "
                           "environment, colour, username, password, tls_*, "
                           "renamed_commands, databases, password_command, "
                           "credential_provider}}"),
    "CONNECTION_KEY": Setting("DASHBOARD_CONNECTION_KEY", "",
                              "the key saved connections' passwords are encrypted with; "
                              "empty: derived from SECRET_KEY (changing it makes saved "
                              "passwords unreadable: they must be entered again)"),
    "CONNECTION_KEY_PREVIOUS": Setting("DASHBOARD_CONNECTION_KEY_PREVIOUS", "",
                                       "while rotating DASHBOARD_CONNECTION_KEY: the key "
                                       "before it, which still decrypts saved passwords "
                                       "(manage.py connection_key_rotate re-encrypts them)"),
    "CLIENT_NAME": Setting("DASHBOARD_CLIENT_NAME", "redis-dashboard",
                           "CLIENT SETNAME of every connection"),
    "RENAMED_COMMANDS": Setting("DASHBOARD_RENAMED_COMMANDS", "",
                                "commands the server renamed, as NAME=NEWNAME pairs (e.g. "
                                "\"CONFIG=cfg-8c1e FLUSHALL=\"; NAME= when removed); they are "
                                "sent under their new names"),
    "TLS_CA_FILE": Setting("DASHBOARD_TLS_CA_FILE", "",
                           "CA certificates (PEM) that a rediss:// server's certificate must "
                           "chain to; unset: the system's trusted CAs"),
    "TLS_CERT_FILE": Setting("DASHBOARD_TLS_CERT_FILE", "",
                             "client certificate (PEM) for servers that require one "
                             "(mutual TLS); unset: none is sent"),
    "TLS_KEY_FILE": Setting("DASHBOARD_TLS_KEY_FILE", "",
                            "the client certificate's private key (PEM); unset: the key is "
                            "in DASHBOARD_TLS_CERT_FILE"),
    "TLS_VERIFY": Setting("DASHBOARD_TLS_VERIFY", "required",
                          "how a rediss:// server's certificate is checked: required (trusted "
                          "CA and matching host name), optional (checked only if sent), none "
                          "(encrypted, but anyone may answer)"),
    "REDIS_PASSWORD_COMMAND": Setting("DASHBOARD_REDIS_PASSWORD_COMMAND", "",
                                      "a command (run without a shell) whose first line of "
                                      "output is the Redis password; re-run when Redis refuses "
                                      "it; unset: the URL's password"),
    "REDIS_CREDENTIAL_PROVIDER": Setting("DASHBOARD_REDIS_CREDENTIAL_PROVIDER", "",
                                         "dotted path to a redis-py CredentialProvider (an "
                                         "instance, or a class made with no arguments) or a "
                                         "callable returning the password or (username, "
                                         "password); unset: the URL's password"),
    "DATABASES": Setting("DASHBOARD_DATABASES", 0,
                         "how many databases the server has, for servers that refuse "
                         "CONFIG GET databases; 0: ask the server", minimum=0),
    "REDIS_CONNECT_TIMEOUT": Setting("DASHBOARD_REDIS_CONNECT_TIMEOUT", 2.0,
                                     "seconds to connect before giving up", positive=True),
    "REDIS_SOCKET_TIMEOUT": Setting("DASHBOARD_REDIS_SOCKET_TIMEOUT", 5.0,
                                    "seconds to wait for a reply", positive=True),
    "PAGE_SIZE": Setting("DASHBOARD_PAGE_SIZE", 100, "rows per page", minimum=1),
    "MAX_PAGE_SIZE": Setting("DASHBOARD_MAX_PAGE_SIZE", 1000,
                             "largest page a request may ask for (larger ones are clamped)",
                             minimum=1),
    "SCAN_BUDGET_MS": Setting("DASHBOARD_SCAN_BUDGET_MS", 50.0,
                              "time one request may spend scanning for a filter", minimum=0),
    "SCAN_STEP_MS": Setting("DASHBOARD_SCAN_STEP_MS", 1.0,
                            "Redis time one SCAN step aims at (its COUNT follows)",
                            positive=True),
    "MAX_LINEAR_WRITE_ELEMENTS": Setting("DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS", 100_000,
                                         "longest key a write that looks through every "
                                         "element (LREM, LINSERT) may run on", minimum=1),
    "NAMESPACE_STEP_MS": Setting("DASHBOARD_NAMESPACE_STEP_MS", 250.0,
                                 "time one step of namespace counting may take", minimum=0),
    "NAMESPACE_DELIMITER": Setting("DASHBOARD_NAMESPACE_DELIMITER", ":",
                                   "default folder delimiter"),
    "NAMESPACE_MAX_FOLDERS": Setting("DASHBOARD_NAMESPACE_MAX_FOLDERS", 5000,
                                     "folders tracked per level; the rest are summed",
                                     minimum=1),
    "PREVIEW_BYTES": Setting("DASHBOARD_PREVIEW_BYTES", 256 * KiB,
                             "string previews stop here (the rest is a download)", minimum=1),
    "ELEMENT_PREVIEW_BYTES": Setting("DASHBOARD_ELEMENT_PREVIEW_BYTES", 2048,
                                     "each hash/list/set/zset/stream element is cut here",
                                     minimum=1),
    "READONLY": Setting("DASHBOARD_READONLY", False, "no edits at all (403 on every write)"),
    "MAX_VALUE_BYTES": Setting("DASHBOARD_MAX_VALUE_BYTES", MiB,
                               "largest value an edit may write", minimum=1),
    "MAX_KEY_BYTES": Setting("DASHBOARD_MAX_KEY_BYTES", 16 * KiB,
                             "longest key name a rename, copy or new key may use", minimum=1),
    "MAX_FILTER_BYTES": Setting("DASHBOARD_MAX_FILTER_BYTES", 64 * MiB,
                                "the memory a new Bloom or Cuckoo filter may reserve at once",
                                minimum=1),
    "SET_STORE_MAX_MEMBERS": Setting("DASHBOARD_SET_STORE_MAX_MEMBERS", 1_000_000,
                                     "storing set algebra is refused above this many input "
                                     "members", minimum=0),
    "CONFIRM_TTL_BELOW_MS": Setting("DASHBOARD_CONFIRM_TTL_BELOW_MS", 5000,
                                    "a TTL shorter than this is confirmed like a delete",
                                    minimum=0),
    "UNDO_SECONDS": Setting("DASHBOARD_UNDO_SECONDS", 3600,
                            "how long an edit can be undone", minimum=0),
    "UNDO_MAX_KEY_BYTES": Setting("DASHBOARD_UNDO_MAX_KEY_BYTES", MiB,
                                  "larger keys (MEMORY USAGE) are not copied for undo",
                                  minimum=0),
    "UNDO_MAX_TOTAL_BYTES": Setting("DASHBOARD_UNDO_MAX_TOTAL_BYTES", 64 * MiB,
                                    "all undo copies together; the oldest go first", minimum=0),
    "COPY_MAX_ELEMENTS": Setting("DASHBOARD_COPY_MAX_ELEMENTS", 100_000,
                                 "Copy refuses keys with more elements", minimum=0),
    "COPY_MAX_BYTES": Setting("DASHBOARD_COPY_MAX_BYTES", 16 * MiB,
                              "Copy refuses larger strings and module-type keys", minimum=0),
    "AUTH": Setting("DASHBOARD_AUTH", True,
                    "False: no sign-in, and only loopback clients are answered"),
    "SIGNIN_LOCKOUT_SECONDS": Setting("DASHBOARD_SIGNIN_LOCKOUT_SECONDS", 60,
                                      "first lockout after failed sign-ins (standalone sign-in "
                                      "form)", minimum=1),
    "SIGNIN_MAX_LOCKOUT_SECONDS": Setting("DASHBOARD_SIGNIN_MAX_LOCKOUT_SECONDS", 86_400,
                                          "the lockout doubles up to this", minimum=1),
    "MAX_STREAMS": Setting("DASHBOARD_MAX_STREAMS", 20,
                           "live streams open at once (pub/sub, live pages, following "
                           "a stream), across every worker process", minimum=0),
    "MAX_STREAMS_PER_USER": Setting("DASHBOARD_MAX_STREAMS_PER_USER", 5,
                                    "live streams one signed-in user may hold open at once "
                                    "(of DASHBOARD_MAX_STREAMS)", minimum=1),
    "STREAM_LEASE_SECONDS": Setting("DASHBOARD_STREAM_LEASE_SECONDS", 30,
                                    "a live stream renews its slot this often (a third of it) "
                                    "and a crashed worker's slots are free after it",
                                    minimum=3),
    "PUBSUB_INTERVAL": Setting("DASHBOARD_PUBSUB_INTERVAL", 0.1,
                               "seconds between batches of live messages", positive=True),
    "PUBSUB_MAX_BATCH": Setting("DASHBOARD_PUBSUB_MAX_BATCH", 200,
                                "newest messages one batch keeps under a flood", minimum=1),
    "PUBSUB_MAX_SHOWN": Setting("DASHBOARD_PUBSUB_MAX_SHOWN", 500,
                                "messages the page keeps", minimum=1),
    "PUBSUB_PREVIEW_BYTES": Setting("DASHBOARD_PUBSUB_PREVIEW_BYTES", 4096,
                                    "payloads are cut here", minimum=1),
    "CONSOLE_ALLOW": Setting("DASHBOARD_CONSOLE_ALLOW", "",
                             "dangerous commands the console may run once confirmed, by "
                             "name (e.g. \"flushdb config|set\"); empty: none"),
    "CONSOLE_MAX_ELEMENTS": Setting("DASHBOARD_CONSOLE_MAX_ELEMENTS", 10_000,
                                    "the console refuses a command whose cost grows with a "
                                    "key's size on a key with more elements", minimum=0),
    "CONSOLE_MAX_REPLY_BYTES": Setting("DASHBOARD_CONSOLE_MAX_REPLY_BYTES", 4 * MiB,
                                       "the console stops reading a longer reply",
                                       minimum=1),
    "CONSOLE_MAX_KEYS_CHECKED": Setting("DASHBOARD_CONSOLE_MAX_KEYS_CHECKED", 100,
                                        "the console refuses commands naming more keys",
                                        minimum=1),
    "CONSOLE_REPLY_LINES": Setting("DASHBOARD_CONSOLE_REPLY_LINES", 1_000,
                                   "reply lines the console shows", minimum=1),
    "CONSOLE_HISTORY": Setting("DASHBOARD_CONSOLE_HISTORY", 50,
                               "command lines the console remembers per session", minimum=0),
    "BULK_UNDO_MAX_KEYS": Setting("DASHBOARD_BULK_UNDO_MAX_KEYS", 1_000,
                                  "a bulk change of more keys cannot be undone", minimum=0),
    "ANALYSIS_MEMORY_SAMPLES": Setting("DASHBOARD_ANALYSIS_MEMORY_SAMPLES", 5,
                                       "SAMPLES of each MEMORY USAGE in an analysis (0, every "
                                       "element, blocks Redis on large keys)", minimum=1),
    "ANALYSIS_MAX_NAMESPACES": Setting("DASHBOARD_ANALYSIS_MAX_NAMESPACES", 20_000,
                                       "namespaces an analysis tracks; the rest are summed",
                                       minimum=1),
    "ANALYSIS_SAMPLE_KEYS": Setting("DASHBOARD_ANALYSIS_SAMPLE_KEYS", 100_000,
                                    "keys a sampled analysis looks at", minimum=100),
    "SERVER_REFRESH_SECONDS": Setting("DASHBOARD_SERVER_REFRESH_SECONDS", 5,
                                      "the Server page reads INFO at most this often, "
                                      "however many people watch", minimum=1),
    "SERVER_HISTORY_MINUTES": Setting("DASHBOARD_SERVER_HISTORY_MINUTES", 30,
                                      "how far back the Server page's sparklines go",
                                      minimum=1),
    "SERVER_SLOWLOG_ROWS": Setting("DASHBOARD_SERVER_SLOWLOG_ROWS", 128,
                                   "newest slow log entries read (SLOWLOG GET N)", minimum=1),
    "SERVER_TABLE_ROWS": Setting("DASHBOARD_SERVER_TABLE_ROWS", 200,
                                 "rows shown in the Server tables (clients, commands)",
                                 minimum=1),
    "SERVER_CLIENTS_MAX": Setting("DASHBOARD_SERVER_CLIENTS_MAX", 2_000,
                                  "CLIENT LIST is not run with more clients connected",
                                  minimum=0),
    "LIVE_INTERVAL": Setting("DASHBOARD_LIVE_INTERVAL", 0.25,
                             "live pages gather a key's notifications this long before one "
                             "bounded re-read", positive=True),
    "LIVE_CHECK_SECONDS": Setting("DASHBOARD_LIVE_CHECK_SECONDS", 5,
                                  "with notifications off, live pages check their key this "
                                  "often", minimum=1),
    "LIVE_ACTIVITY_COUNTERS": Setting("DASHBOARD_LIVE_ACTIVITY_COUNTERS", 200,
                                      "keys (and namespaces) the activity view counts per "
                                      "10 s; the rest are estimated", minimum=10),
}

# Pairs (smaller, larger) that only make sense in that order.
ORDERED = [("PAGE_SIZE", "MAX_PAGE_SIZE"),
           ("SIGNIN_LOCKOUT_SECONDS", "SIGNIN_MAX_LOCKOUT_SECONDS")]


def _reader(spec: Setting) -> property:
    def read(self):
        return getattr(settings, spec.setting, spec.default)

    return property(read, doc=spec.help)


class AppSettings:
    """`app_settings.NAME`: Django's setting for NAME if the project sets it, else its default.
    Each name is a property of its own (read on every access, as `__getattr__` would, but
    without the failed lookup first: every request reads dozens of them)."""

    def __getattr__(self, name: str):
        raise AttributeError(f"keyspace has no setting {name!r}")

    def __dir__(self):
        return list(SETTINGS)


for _name, _spec in SETTINGS.items():
    setattr(AppSettings, _name, _reader(_spec))
del _name, _spec

app_settings = AppSettings()


def problems() -> list[str]:
    """Every setting that is of the wrong type or out of range, described."""
    found = [p for name, spec in SETTINGS.items()
             if (p := spec.problem(getattr(app_settings, name))) is not None]
    if found:
        return found
    for smaller, larger in ORDERED:
        if getattr(app_settings, smaller) > getattr(app_settings, larger):
            found.append(f"{SETTINGS[smaller].setting} must not be above "
                         f"{SETTINGS[larger].setting}")
    url = app_settings.REDIS_URL
    from keyspace.redis import sentinel

    if url and sentinel.is_sentinel_url(url):
        found += sentinel.problems(url)
    elif url and not url.startswith(("redis://", "rediss://", "unix://")):
        found.append("REDIS_URL must start with redis://, rediss://, unix:// or sentinel://")
    if any(c.isspace() for c in app_settings.CLIENT_NAME):
        found.append("DASHBOARD_CLIENT_NAME must not contain spaces (Redis refuses them)")
    try:
        from keyspace.redis.commands import parse_renames

        parse_renames(app_settings.RENAMED_COMMANDS)
    except ValueError as exc:
        found.append(f"DASHBOARD_RENAMED_COMMANDS: {exc}")
    found += _connection_problems()
    if not app_settings.NAMESPACE_DELIMITER:
        found.append("DASHBOARD_NAMESPACE_DELIMITER must not be empty")
    found += _tls_problems(url)
    found += _credential_problems(url)
    if url:
        from keyspace.redis import profiles

        found += [f"REDIS_URL: {problem}" for problem in profiles.url_option_problems(url)]
    return found


def _connection_problems() -> list[str]:
    from keyspace.redis import profiles

    found = []
    if not profiles.NAME.fullmatch(app_settings.DEFAULT_CONNECTION):
        found.append("DASHBOARD_DEFAULT_CONNECTION must be 1-40 lower-case letters, digits, "
                     "- or _")
    if app_settings.DEFAULT_CONNECTION_ENVIRONMENT not in profiles.ENVIRONMENTS:
        found.append("DASHBOARD_DEFAULT_CONNECTION_ENVIRONMENT must be development, staging "
                     "or production (or empty)")
    return found + profiles.declared_problems()


TLS_VERIFY_MODES = ("required", "optional", "none")


def _tls_problems(url: str) -> list[str]:
    """TLS settings that cannot work: a file that is not there stops start-up naming it (not a
    vague connection error on the first page), and TLS files set for a URL that is not
    rediss:// are refused rather than quietly sending everything unencrypted."""
    found = []
    if app_settings.TLS_VERIFY not in TLS_VERIFY_MODES:
        found.append(f"DASHBOARD_TLS_VERIFY={app_settings.TLS_VERIFY!r} is not one of "
                     f"{', '.join(TLS_VERIFY_MODES)}")
    files = {name: getattr(app_settings, name) for name in
             ("TLS_CA_FILE", "TLS_CERT_FILE", "TLS_KEY_FILE")}
    for name, path in files.items():
        if not path:
            continue
        setting = SETTINGS[name].setting
        if not os.path.isfile(path):
            found.append(f"{setting}: no such file: {path}")
        elif not os.access(path, os.R_OK):
            found.append(f"{setting}: {path} is not readable by this process")
    if files["TLS_KEY_FILE"] and not files["TLS_CERT_FILE"]:
        found.append("DASHBOARD_TLS_KEY_FILE is set without DASHBOARD_TLS_CERT_FILE")
    found += _url_tls_parameters(url)
    if any(files.values()) and url and not _encrypted(url):
        found.append("DASHBOARD_TLS_* files are set but REDIS_URL is not rediss://: the "
                     "connection would not be encrypted")
    return found


def _encrypted(url: str) -> bool:
    from keyspace.redis import sentinel

    if sentinel.is_sentinel_url(url):
        try:
            return sentinel.parse(url).tls
        except ValueError:
            return True  # reported as the URL's own problem
    return url.startswith("rediss://")


URL_TLS_PARAMETERS = {"ssl_ca_certs": "DASHBOARD_TLS_CA_FILE",
                      "ssl_certfile": "DASHBOARD_TLS_CERT_FILE",
                      "ssl_keyfile": "DASHBOARD_TLS_KEY_FILE",
                      "ssl_cert_reqs": "DASHBOARD_TLS_VERIFY",
                      "ssl_check_hostname": "DASHBOARD_TLS_VERIFY"}


def _url_tls_parameters(url: str) -> list[str]:
    """redis-py's ssl_* URL parameters would override the settings (and what the header says
    about verification): they are replaced by the settings, and refused."""
    from urllib.parse import parse_qsl, urlsplit

    try:
        names = [name for name, _ in parse_qsl(urlsplit(url).query)]
    except ValueError:
        return []
    return [f"REDIS_URL's {name} parameter is not used: set "
            f"{URL_TLS_PARAMETERS.get(name, 'the DASHBOARD_TLS_* settings')} instead"
            for name in names if name.lower().startswith("ssl")]


def _credential_problems(url: str) -> list[str]:
    command = app_settings.REDIS_PASSWORD_COMMAND
    provider = app_settings.REDIS_CREDENTIAL_PROVIDER
    if not (command or provider):
        return []
    if command and provider:
        return ["set DASHBOARD_REDIS_PASSWORD_COMMAND or DASHBOARD_REDIS_CREDENTIAL_PROVIDER, "
                "not both"]
    found = []
    if url and _url_password(url):
        found.append("REDIS_URL has a password and a password command or credential provider "
                     "is set: leave the password out of the URL")
    from keyspace.redis import credentials

    try:
        if command:
            credentials.parse_command(command)
        else:
            credentials.load_provider(provider)
    except ValueError as exc:
        found.append(str(exc))
    return found


def _url_password(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return bool(urlsplit(url).password)
    except ValueError:
        return False


def validate() -> None:
    """Stop start-up on any setting that is not understood."""
    found = problems()
    if found:
        raise ImproperlyConfigured("keyspace settings: " + "; ".join(found))
