"""Saved connections' passwords, encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256) under a key derived with HKDF from
DASHBOARD_CONNECTION_KEY, or from Django's SECRET_KEY when that is unset. Rotating the key:
the previous one (DASHBOARD_CONNECTION_KEY_PREVIOUS, or Django's SECRET_KEY_FALLBACKS when
the key comes from SECRET_KEY) still decrypts, and `manage.py connection_key_rotate`
encrypts every saved password under the current key. A password no key decrypts is said to
be unreadable and must be entered again; it is never guessed at, shown or logged.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from keyspace.conf import app_settings

_INFO = b"keyspace saved connection passwords v1"


class Unreadable(ValueError):
    """The stored password does not decrypt with the current key."""


def _derived(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def _fernet() -> MultiFernet:
    """The current key first (it encrypts), then the previous ones (they only decrypt)."""
    if app_settings.CONNECTION_KEY:
        secrets = [app_settings.CONNECTION_KEY, app_settings.CONNECTION_KEY_PREVIOUS]
    else:
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_derived(secret) for secret in secrets if secret])


def encrypt(password: str) -> str:
    if not password:
        return ""
    return _fernet().encrypt(password.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        raise Unreadable("the saved password cannot be decrypted with the current key "
                         "(DASHBOARD_CONNECTION_KEY or SECRET_KEY changed): enter it "
                         "again") from None


def reencrypt(token: str) -> str:
    """`token` encrypted under the current key (Unreadable if no key opens it)."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        raise Unreadable("a saved password opens with none of the keys") from None
