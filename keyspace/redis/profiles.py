"""The Redis connections the dashboard can show, each under a short name used in its URLs.

Three sources, in this order of precedence for a name:
- `REDIS_URL` with the DASHBOARD_TLS_* and credential settings: the default connection,
  named by DASHBOARD_DEFAULT_CONNECTION ("default");
- DASHBOARD_CONNECTIONS in settings (or the environment, as JSON): connections configured
  as code, never editable in the dashboard;
- saved connections (the SavedConnection model), added on the Connections page, their
  passwords encrypted at rest (see keyspace.access.secrets).

The connection a request is about is held in a context variable, set from its URL by the
permission check every view passes (see keyspace.access.permissions) and by background jobs
from the job's row; code that runs outside both uses the default connection.
"""

from __future__ import annotations

import contextlib
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from functools import cached_property
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from keyspace.conf import app_settings

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}\Z")
ENVIRONMENTS = ("", "development", "staging", "production")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}\Z")
DEFAULT_COLOURS = {"": "", "development": "#2f7d32", "staging": "#b26a00",
                   "production": "#b3261e"}
SCHEMES = ("redis://", "rediss://", "unix://", "sentinel://", "redis+sentinel://")


@dataclass(frozen=True)
class Profile:
    """Everything needed to connect to one Redis and to draw which one it is. `url` never
    holds the password when `password` is set; neither is ever rendered."""

    name: str
    url: str
    label: str = ""
    environment: str = ""  # one of ENVIRONMENTS
    colour: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    tls_ca_file: str = ""
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_verify: str = "required"
    renamed_commands: str = ""
    databases: int = 0
    password_command: str = ""
    credential_provider: str = ""
    source: str = "settings"  # "redis_url", "settings" or "saved"

    @property
    def title(self) -> str:
        return self.label or self.name

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def shown_colour(self) -> str:
        return self.colour or DEFAULT_COLOURS.get(self.environment, "")

    @property
    def connect_url(self) -> str:
        """The URL redis-py connects with: the user and password put in when held apart."""
        if not (self.username or self.password):
            return self.url
        parts = urlsplit(self.url)
        if parts.username or parts.password:
            return self.url
        user = quote(self.username, safe="")
        secret = f":{quote(self.password, safe='')}" if self.password else ""
        host = parts.netloc
        return urlunsplit((parts.scheme, f"{user}{secret}@{host}", parts.path, parts.query,
                           parts.fragment))

    @cached_property
    def identity(self) -> tuple:
        """What pools and per-connection caches are kept under: two profiles that would
        connect differently never share one."""
        return tuple(getattr(self, f.name) for f in fields(self))


_current: ContextVar[Profile | None] = ContextVar("keyspace_connection", default=None)


def current() -> Profile:
    """The connection being shown: the request's, a job's, or the default one."""
    return _current.get() or default()


def activate(profile: Profile | None) -> None:
    """Make `profile` the current connection for the rest of this request or task (until
    `deactivate`: Django's request_finished, once the response is sent, streamed ones
    included). The default connection is held as None, so it is read from the settings
    each time."""
    _current.set(None if profile is None or profile.source == "redis_url" else profile)


def deactivate(**kwargs) -> None:
    """Back to the default connection (a thread that serves another request next must not
    carry this one's connection into code that runs outside a view)."""
    _current.set(None)


@contextlib.contextmanager
def using(profile: Profile):
    token = _current.set(profile)
    try:
        yield profile
    finally:
        _current.reset(token)


def default_name() -> str:
    return app_settings.DEFAULT_CONNECTION


# The default connection's fields, each from its setting.
DEFAULT_FIELDS = (
    ("name", "DEFAULT_CONNECTION"), ("url", "REDIS_URL"), ("label", "DEFAULT_CONNECTION_LABEL"),
    ("environment", "DEFAULT_CONNECTION_ENVIRONMENT"), ("tls_ca_file", "TLS_CA_FILE"),
    ("tls_cert_file", "TLS_CERT_FILE"), ("tls_key_file", "TLS_KEY_FILE"),
    ("tls_verify", "TLS_VERIFY"), ("renamed_commands", "RENAMED_COMMANDS"),
    ("databases", "DATABASES"), ("password_command", "REDIS_PASSWORD_COMMAND"),
    ("credential_provider", "REDIS_CREDENTIAL_PROVIDER"),
)
_default_made: Profile | None = None


def default() -> Profile:
    """REDIS_URL and the global connection settings, as a profile: made when first asked
    for, and again after a setting changes (every request asks for it many times). Django's
    setting_changed (sent by override_settings and pytest-django's `settings`) and
    connection.reset_pools (called by the run command after it sets REDIS_URL) forget it."""
    global _default_made
    made = _default_made
    if made is None:
        made = _default_made = Profile(
            **{name: getattr(app_settings, setting) for name, setting in DEFAULT_FIELDS},
            source="redis_url")
    return made


def forget_default(**kwargs) -> None:
    """Make default() read the settings again (a setting_changed receiver)."""
    global _default_made
    _default_made = None


# What a declared connection may say, with the kind of each value.
DECLARED_FIELDS = {
    "url": str, "label": str, "environment": str, "colour": str, "username": str,
    "password": str, "tls_ca_file": str, "tls_cert_file": str, "tls_key_file": str,
    "tls_verify": str, "renamed_commands": str, "databases": int, "password_command": str,
    "credential_provider": str,
}


def declared() -> list[Profile]:
    """The connections of DASHBOARD_CONNECTIONS, in the order given (checked at start-up:
    see `problems`)."""
    found = []
    for name, spec in (app_settings.CONNECTIONS or {}).items():
        values = {key: spec[key] for key in DECLARED_FIELDS if key in spec}
        found.append(Profile(name=name, source="settings", **values))
    return found


def saved() -> list[Profile]:
    from keyspace.models import SavedConnection

    return [row.profile() for row in SavedConnection.objects.order_by("name")]


def every() -> list[Profile]:
    """Every connection the dashboard knows, the default first (when REDIS_URL is set)."""
    first = [default()] if app_settings.REDIS_URL else []
    taken = {p.name for p in first}
    found = list(first)
    for profile in [*declared(), *saved()]:
        if profile.name not in taken:
            taken.add(profile.name)
            found.append(profile)
    return found


def lookup(name: str) -> Profile | None:
    """The connection called `name`, or None."""
    if name == default_name():
        return default()
    for profile in declared():
        if profile.name == name:
            return profile
    from keyspace.models import SavedConnection

    row = SavedConnection.objects.filter(name=name).first()
    return row.profile() if row is not None else None


def reserved(name: str) -> bool:
    """Whether a saved connection may not take `name` (the default's or a declared one's)."""
    return name == default_name() or any(p.name == name for p in declared())


def problems_of(profile: Profile, where: str) -> list[str]:
    """Why a connection (declared or saved) cannot work, each said with `where` it is set;
    never quotes a password."""
    found = []
    if not NAME.fullmatch(profile.name):
        found.append(f"{where}: the name must be 1-40 lower-case letters, digits, - or _, "
                     "starting with a letter or digit")
    from keyspace.redis import sentinel

    if not profile.url.startswith(SCHEMES):
        found.append(f"{where}: url must start with redis://, rediss://, unix:// or "
                     "sentinel://")
    elif sentinel.is_sentinel_url(profile.url):
        found += [p.replace("REDIS_URL", where) for p in sentinel.problems(profile.url)]
    if profile.environment not in ENVIRONMENTS:
        found.append(f"{where}: environment must be one of "
                     f"{', '.join(e for e in ENVIRONMENTS if e)} (or empty)")
    if profile.colour and not COLOUR.fullmatch(profile.colour):
        found.append(f"{where}: colour must be like #b3261e")
    if profile.tls_verify not in ("required", "optional", "none"):
        found.append(f"{where}: tls_verify must be required, optional or none")
    files = (profile.tls_ca_file, profile.tls_cert_file, profile.tls_key_file)
    for path in files:
        if path and not os.path.isfile(path):
            found.append(f"{where}: no such file: {path}")
    if any(files) and not profile.url.startswith(("rediss://", "sentinel", "redis+sentinel")):
        found.append(f"{where}: TLS files are set but the url is not rediss://")
    found += [f"{where}: the url's {name} option is not used: redis-py would let it override "
              f"{_URL_TLS_OPTIONS.get(name.lower(), 'the tls_* options')} (and what pages say "
              "about verification); set that instead" for name in _url_options(profile.url)
              if name.lower().startswith("ssl")]
    found += [f"{where}: {problem}" for problem in url_option_problems(profile.url)]
    if profile.databases < 0:
        found.append(f"{where}: databases must be 0 or more")
    from keyspace.redis import credentials
    from keyspace.redis.commands import parse_renames

    try:
        parse_renames(profile.renamed_commands)
        if profile.password_command:
            credentials.parse_command(profile.password_command)
        if profile.credential_provider:
            credentials.load_provider(profile.credential_provider)
    except ValueError as exc:
        found.append(f"{where}: {exc}")
    if profile.password_command and profile.credential_provider:
        found.append(f"{where}: set password_command or credential_provider, not both")
    return found


# redis-py's URL options that would override a connection's TLS fields, and those fields.
_URL_TLS_OPTIONS = {"ssl_ca_certs": "tls_ca_file", "ssl_ca_path": "tls_ca_file",
                    "ssl_certfile": "tls_cert_file", "ssl_keyfile": "tls_key_file",
                    "ssl_cert_reqs": "tls_verify", "ssl_check_hostname": "tls_verify"}


# redis-py reads every option of a redis://, rediss:// or unix:// URL as a connection argument,
# over the dashboard's own: ?retry_on_timeout=true would send a timed-out edit again,
# ?protocol=3 changes every reply, ?renamed_commands= replaces the declared renames, and a
# name in other letters (?DB=3) is an argument redis-py does not take (every page would fail).
# So only these may be given, as spelt here (ssl_* are said apart: they have TLS settings).
URL_OPTIONS = frozenset({"db", "username", "password"})


def url_option_problems(url: str, allowed: frozenset[str] = URL_OPTIONS) -> list[str]:
    """Why the URL's options cannot be used (empty when they can): a Sentinel URL is read by
    the dashboard's own parser, which knows its options (keyspace.redis.sentinel.spec)."""
    from keyspace.redis import sentinel

    if sentinel.is_sentinel_url(url):
        return []
    unknown = sorted({name for name in _url_options(url)
                      if name not in allowed and not name.lower().startswith("ssl")})
    if not unknown:
        return []
    return [f"the url's option(s) {', '.join(unknown)} cannot be used: redis-py would take "
            "them over the dashboard's own connection settings (only "
            f"{', '.join(sorted(allowed))} may be given, in lower case)"]


def _url_options(url: str) -> list[str]:
    try:
        return [name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    except ValueError:
        return []


def declared_problems() -> list[str]:
    """DASHBOARD_CONNECTIONS checked whole at start-up: an unknown key or a wrong kind of
    value stops it, like any other setting."""
    spec = app_settings.CONNECTIONS
    if not isinstance(spec, dict):
        return ["DASHBOARD_CONNECTIONS must be a dict of name: {url: ..., ...}"]
    found = []
    for name, entry in spec.items():
        where = f"DASHBOARD_CONNECTIONS[{name!r}]"
        if not isinstance(name, str) or not isinstance(entry, dict):
            found.append(f"{where} must be a dict, under a name that is text")
            continue
        unknown = sorted(set(entry) - set(DECLARED_FIELDS))
        if unknown:
            found.append(f"{where}: unknown key(s) {', '.join(map(str, unknown))}; known: "
                         f"{', '.join(DECLARED_FIELDS)}")
            continue
        wrong = [key for key, kind in DECLARED_FIELDS.items() if key in entry
                 and (not isinstance(entry[key], kind) or isinstance(entry[key], bool))]
        if wrong:
            found.append(f"{where}: {', '.join(wrong)} of the wrong kind")
            continue
        if "url" not in entry:
            found.append(f"{where}: url is required")
            continue
        if name == default_name():
            found.append(f"{where}: {name!r} is the default connection's name (REDIS_URL); "
                         "choose another or set DASHBOARD_DEFAULT_CONNECTION")
            continue
        found += problems_of(Profile(name=name, **entry), where)
    return found


class Place(int):
    """A database number that knows its connection: what `/c/<name>/db/<n>/` in a URL
    means. It is an int everywhere a db number is used; URLs made from a plain int name the
    current connection, so links stay on the connection being shown."""

    connection: str  # repr and str stay int's: the number is what Redis and templates see

    def __new__(cls, number: int, connection: str):
        place = super().__new__(cls, number)
        place.connection = connection
        return place

    def __reduce__(self):
        return (Place, (int(self), self.connection))


def place_of(db: int) -> Place:
    """`db` on the connection it names, or on the current one."""
    return db if isinstance(db, Place) else Place(db, current().name)


def job_scope() -> dict:
    """What a job's row (an analysis, a bulk change, an import) records of the connection it
    is about, and what lists of such rows are filtered by."""
    from keyspace.redis.connection import target_address

    return {"server": target_address(), "connection_name": current().name}


@contextlib.contextmanager
def for_job(row):
    """Run a job on the connection its row names (a worker serves every connection)."""
    profile = lookup(row.connection_name or default_name())
    if profile is None:
        raise RuntimeError(f"the connection {row.connection_name!r} no longer exists")
    with using(profile):
        yield profile
