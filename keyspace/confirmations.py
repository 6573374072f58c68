"""Server-side confirmation of destructive edits.

The form for a destructive edit carries a signed token naming the user, the database, the
key and the operation, valid for a few minutes and good for one edit. The edit only runs
with an unspent token that matches all four, so a forged or replayed POST (or a stale tab)
cannot delete anything on its own. Spent tokens are remembered in Django's cache for their
lifetime (configure a cache shared by every process when there are several).
"""

from __future__ import annotations

import secrets

from django.core import signing
from django.core.cache import cache

from .editing import Refused
from .keynames import encode_key

SALT = "keyspace.confirmation"
LIFETIME_SECONDS = 300


class ConfirmationRequired(Refused):
    status = 428
    title = "Please confirm"


def _subject(request, db: int, key: bytes, action: str, what: str) -> dict:
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    return {"u": user_id, "d": db, "k": encode_key(key), "a": action, "s": what}


def issue(request, db: int, key: bytes, action: str, what: str = "") -> str:
    """A token confirming `action` on `key`, and only for `what` (the operation's
    confirmation subject: e.g. the key it replaces, with that key's fingerprint)."""
    subject = _subject(request, db, key, action, what) | {"n": secrets.token_urlsafe(12)}
    return signing.dumps(subject, salt=SALT, compress=True)


def check(request, db: int, key: bytes, action: str, token: str, what: str = "") -> None:
    try:
        signed = signing.loads(token or "", salt=SALT, max_age=LIFETIME_SECONDS)
    except signing.SignatureExpired:
        raise ConfirmationRequired("the confirmation expired; confirm again") from None
    except signing.BadSignature:
        raise ConfirmationRequired("this needs a confirmation; confirm below") from None
    nonce = signed.pop("n", "") if isinstance(signed, dict) else ""
    if signed != _subject(request, db, key, action, what):
        raise ConfirmationRequired("the confirmation was for something else; confirm again")
    # Spent here, atomically: of two requests racing with one token, only one gets through.
    # A form drawn again (after a conflict, or to confirm a trim) carries a fresh token.
    if not nonce or not cache.add(_spent_key(nonce), True, LIFETIME_SECONDS + 60):
        raise ConfirmationRequired("that confirmation was already used; confirm again")


def _spent_key(nonce: str) -> str:
    return f"confirmation-spent:{nonce}"
