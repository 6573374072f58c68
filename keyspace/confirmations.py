"""Server-side confirmation of destructive edits.

The form for a destructive edit carries a signed token naming the user, the database, the
key and the operation, valid for a few minutes. The edit only runs with a token that matches
all four, so a forged or replayed POST (or a stale tab) cannot delete anything on its own.
"""

from __future__ import annotations

from django.core import signing

from .editing import Refused
from .keynames import encode_key

SALT = "keyspace.confirmation"
LIFETIME_SECONDS = 300


class ConfirmationRequired(Refused):
    status = 428
    title = "Please confirm"


def _subject(request, db: int, key: bytes, action: str) -> dict:
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    return {"u": user_id, "d": db, "k": encode_key(key), "a": action}


def issue(request, db: int, key: bytes, action: str) -> str:
    return signing.dumps(_subject(request, db, key, action), salt=SALT, compress=True)


def check(request, db: int, key: bytes, action: str, token: str) -> None:
    try:
        signed = signing.loads(token or "", salt=SALT, max_age=LIFETIME_SECONDS)
    except signing.SignatureExpired:
        raise ConfirmationRequired("the confirmation expired; confirm again") from None
    except signing.BadSignature:
        raise ConfirmationRequired("this needs a confirmation; confirm below") from None
    if signed != _subject(request, db, key, action):
        raise ConfirmationRequired("the confirmation was for something else; confirm again")
