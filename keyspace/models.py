"""What the dashboard keeps in its own database: the audit log, one-time sign-in links, and
the two permissions roles are made of."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .display import is_printable_text

SIGN_IN_LINK_LIFETIME = timedelta(hours=24)


class AuditEntry(models.Model):
    """One write attempt. Values are never recorded, only which key and what happened."""

    OK, REFUSED, CONFLICT, FAILED = "ok", "refused", "conflict", "failed"
    OUTCOMES = [(OK, "done"), (REFUSED, "refused"), (CONFLICT, "conflict"), (FAILED, "failed")]

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL)
    username = models.CharField(max_length=150, blank=True)
    connection = models.CharField(max_length=300)
    db = models.PositiveIntegerField(default=0)
    operation = models.CharField(max_length=60, db_index=True)
    key_text = models.TextField(blank=True)
    key_is_hex = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=OUTCOMES, db_index=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        permissions = [
            ("view_redis", "Can read the Redis data the dashboard shows"),
            ("edit_redis", "Can change the Redis data the dashboard shows"),
        ]

    def set_key(self, key: bytes | None) -> None:
        """The key as text when it is printable, as hex otherwise."""
        if key is None:
            self.key_text, self.key_is_hex = "", False
        elif is_printable_text(key):
            self.key_text, self.key_is_hex = key.decode("utf-8"), False
        else:
            self.key_text, self.key_is_hex = key.hex(), True


class SignInLink(models.Model):
    """A one-time link that signs a user in, printed by the run command on first start."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    token_hash = models.CharField(max_length=64, unique=True)
    expires = models.DateTimeField()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user) -> str:
        token = secrets.token_urlsafe(32)
        cls.objects.create(user=user, token_hash=cls.hash(token),
                           expires=timezone.now() + SIGN_IN_LINK_LIFETIME)
        return token

    @classmethod
    def redeem(cls, token: str):
        """The user the token signs in, once; None if it is unknown, used or expired."""
        link = cls.objects.filter(token_hash=cls.hash(token)).select_related("user").first()
        if link is None:
            return None
        link.delete()
        if link.expires < timezone.now() or not link.user.is_active:
            return None
        return link.user


class UndoRecord(models.Model):
    """What one edit changed, as it was before (DUMP payloads, base64) and a fingerprint of
    how the edit left it: see undo.py. Kept for a limited time; never shown in the audit log
    beyond the offer to undo."""

    token = models.CharField(max_length=43, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL)
    audit = models.OneToOneField(AuditEntry, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="undo")
    connection = models.CharField(max_length=300)
    db = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField(db_index=True)
    size = models.PositiveIntegerField(default=0)
    keys = models.JSONField(default=list)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
