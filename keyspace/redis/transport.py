"""Whether the connection to Redis is encrypted, said on every page (the header) and on the
Server page: TLS or not from the URL and settings, the TLS version from the last connection
this process opened to it (read off its socket at connect time, so it costs nothing per page)."""

from __future__ import annotations

from dataclasses import dataclass

_last_version: dict[str, str] = {}


def negotiated(version: str | None) -> None:
    """Called by each new TLS connection with its socket's protocol version (connections are
    opened for the current connection: each keeps its own, as two may differ)."""
    from keyspace.redis.profiles import current

    if version:
        _last_version[current().name] = version


def forget() -> None:
    _last_version.clear()


@dataclass(frozen=True)
class Transport:
    encrypted: bool
    label: str  # short, for the header: "TLSv1.3", "TLS", "not encrypted", "local socket"
    detail: str  # a sentence, for the header's title and the Server page

    @property
    def verified(self) -> bool:
        from keyspace.redis.profiles import current

        return self.encrypted and current().tls_verify == "required"


def describe(url: str) -> Transport:
    """The current connection's transport (`url`: its URL)."""
    from keyspace.redis.profiles import current

    profile = current()
    if url.startswith("unix://"):
        return Transport(False, "local socket",
                         "A unix socket on this machine: not encrypted, never leaves it.")
    if not url.startswith("rediss://"):
        return Transport(False, "not encrypted",
                         "The connection to Redis is not encrypted (redis://); use rediss:// "
                         "for TLS.")
    version = _last_version.get(profile.name)
    verify = profile.tls_verify
    if verify == "required":
        trust = ("the server's certificate is verified against "
                 + (profile.tls_ca_file or "the system's trusted CAs")
                 + " and its host name checked")
    elif verify == "optional":
        trust = "the server's certificate is checked only if it sends one"
    else:
        trust = "the server's certificate is NOT verified (TLS verify mode: none)"
    client = ", with a client certificate" if profile.tls_cert_file else ""
    detail = f"Encrypted with {version or 'TLS'}{client}; {trust}."
    return Transport(True, version or "TLS", detail)
