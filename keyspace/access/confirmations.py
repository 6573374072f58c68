"""Server-side confirmation of destructive edits.

The form for a destructive edit carries a signed token naming the user, the database, the
key and the operation, valid for a few minutes and good for one edit. The edit only runs
with an unspent token that matches all four, so a forged or replayed POST (or a stale tab)
cannot delete anything on its own. Spent tokens are recorded in the dashboard's database
until they could no longer be valid, so every worker process and a restart refuse a replay.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from keyspace.models import SpentConfirmation
from keyspace.redis import profiles
from keyspace.redis.keynames import encode_key, parse_escaped
from keyspace.services.editing.guard import Refused

SALT = "keyspace.confirmation"
LIFETIME_SECONDS = 300


class ConfirmationRequired(Refused):
    status = 428
    title = "Please confirm"


def _subject(user, db: int, key: bytes, action: str, what: str) -> dict:
    """Everything a token is bound to (its nonce aside): a token matches only the same, on
    the same connection."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    return {"u": user_id, "c": profiles.current().name, "d": int(db), "k": encode_key(key),
            "a": action, "s": what}


class NameNotTyped(ConfirmationRequired):
    """On a production connection a destructive edit also needs the key's name typed."""


def typed_name_matches(key: bytes, typed: str) -> bool:
    """Whether `typed` names `key` (binary names typed with the escapes they are shown
    with); only asked on production connections."""
    if not profiles.current().is_production:
        return True
    try:
        return bool(typed) and parse_escaped(typed.strip("\r\n")) == key
    except ValueError:
        return False


CONNECTION_NOT_TYPED = "this is a production connection: type the connection's name to confirm"


def typed_connection_matches(typed: str) -> bool:
    """Whether `typed` is the current connection's name, on a production connection (always
    True elsewhere): asked of what changes many keys at once, where there is no one key name
    to type (bulk changes, imports that replace keys, dangerous console commands). Checked
    before the confirmation is spent, so a mistyped name costs nothing."""
    profile = profiles.current()
    return not profile.is_production or (typed or "").strip() == profile.name


def require_connection_typed(typed: str) -> None:
    if not typed_connection_matches(typed):
        raise NameNotTyped(CONNECTION_NOT_TYPED)


def issue(user, db: int, key: bytes, action: str, what: str = "") -> str:
    """A token confirming `action` on `key`, and only for `what` (the operation's
    confirmation subject: e.g. the key it replaces, with that key's fingerprint)."""
    subject = _subject(user, db, key, action, what) | {"n": secrets.token_urlsafe(12)}
    return signing.dumps(subject, salt=SALT, compress=True)


def check(user, db: int, key: bytes, action: str, token: str, what: str = "") -> None:
    try:
        signed = signing.loads(token or "", salt=SALT, max_age=LIFETIME_SECONDS)
    except signing.SignatureExpired:
        raise ConfirmationRequired("the confirmation expired; confirm again") from None
    except signing.BadSignature:
        raise ConfirmationRequired("this needs a confirmation; confirm below") from None
    nonce = signed.pop("n", "") if isinstance(signed, dict) else ""
    if signed != _subject(user, db, key, action, what):
        raise ConfirmationRequired("the confirmation was for something else; confirm again")
    # Spent here, atomically: of two requests racing with one token, only one gets through.
    # A form drawn again (after a conflict, or to confirm a trim) carries a fresh token.
    if not nonce or not spend(nonce):
        raise ConfirmationRequired("that confirmation was already used; confirm again")


def spend(nonce: str) -> bool:
    """Record the nonce as spent; False if it already was. The unique constraint decides
    between racing requests: the second INSERT fails whatever process it comes from."""
    now = timezone.now()
    # A spent token only needs remembering while its signature is still valid.
    SpentConfirmation.objects.filter(expires__lt=now).delete()
    try:
        with transaction.atomic():
            SpentConfirmation.objects.create(
                nonce=nonce[:64], expires=now + timedelta(seconds=LIFETIME_SECONDS + 60))
    except IntegrityError:
        return False
    return True


def require(user, client, db: int, key: bytes, operation, data: dict, *, token: str,
            row: str, typed_name: str = "") -> None:
    """Refuse an edit that needs a confirmation without a token (`token`, as submitted) for
    exactly this edit, and on a production connection without the key's name typed
    (`typed_name`: checked first, so a mistyped name does not spend the token); the refusal
    carries what the redrawn form must show and hold to confirm it."""
    if not operation.needs_confirmation(data):
        return
    if not typed_name_matches(key, typed_name):
        raise NameNotTyped("this is a production connection: type the key's name to "
                           "confirm", updates={"confirm": token} if token else {})
    subject = subject_of(operation, data, row)
    try:
        check(user, db, key, operation.name, token, subject)
    except ConfirmationRequired as asked:
        updates, note = operation.confirming(client, key, data)
        if note and token:
            note = f"{asked.message}. {note[0].upper()}{note[1:]}"
        raise ConfirmationRequired(note or asked.message, updates=updates) from None


def for_form(user, *, db: int, key: bytes, operation, form, row: str) -> str | None:
    """A token for the edit this form will submit, if it needs one: for a destructive edit
    always; for others once the form holds data that needs confirming (a short TTL,
    replacing a key), bound to what it confirms."""
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    if data is not None and operation.needs_confirmation(data):
        subject = subject_of(operation, data, row)
    elif operation.destructive:
        subject = subject_of(operation, {}, row)
    else:
        return None
    return issue(user, db, key, operation.name, subject)


def subject_of(operation, data: dict, row: str) -> str:
    """What the confirmation is for: the operation's own subject, and the row it acts on (a
    token for deleting one field deletes no other)."""
    what = operation.confirmation_subject(data) if data else ""
    return f"{what}|row={row}" if row else what


def target_of(operation, form) -> bytes | None:
    """The key the edit writes over (rename, copy, store), once parsed (also when another
    field of the form is invalid)."""
    field = getattr(operation, "target_field", None)
    target = getattr(form, "cleaned_data", {}).get(field) if field else None
    return target if isinstance(target, bytes) else None
