"""What the dashboard keeps in its own database: the audit log, one-time sign-in links, spent
confirmation tokens, and the two permissions roles are made of."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from keyspace.display import is_printable_text

SIGN_IN_LINK_LIFETIME = timedelta(hours=24)
# A viewer can type 45 KB key names: the log keeps this many bytes of a name, and its length.
AUDIT_KEY_BYTES = 1024


def _shown_name(key: bytes | None) -> tuple[str, bool, int | None]:
    """(text, is_hex, original length in bytes) of a key name cut to AUDIT_KEY_BYTES."""
    if key is None:
        return "", False, None
    kept = key[:AUDIT_KEY_BYTES]
    if is_printable_text(key):
        # A cut may split a character: drop the partial one rather than switch to hex.
        return kept.decode("utf-8", errors="ignore"), False, len(key)
    return kept.hex(), True, len(key)


class AuditEntry(models.Model):
    """One write attempt. Values are never recorded, only which key and what happened."""

    OK, REFUSED, CONFLICT, FAILED = "ok", "refused", "conflict", "failed"
    OUTCOMES = [(OK, "done"), (REFUSED, "refused"), (CONFLICT, "conflict"), (FAILED, "failed")]

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL)
    username = models.CharField(max_length=150, blank=True)
    connection = models.CharField(max_length=300)  # the address, never credentials
    connection_name = models.CharField(max_length=40, blank=True, db_index=True)
    # The saved connection it was made on has since been removed or renamed: a connection
    # saved later under the name is another one, and its users do not see this trail (who
    # manages connections still does).
    connection_retired = models.BooleanField(default=False)
    db = models.PositiveIntegerField(default=0)
    operation = models.CharField(max_length=60, db_index=True)
    key_text = models.TextField(blank=True)
    key_is_hex = models.BooleanField(default=False)
    key_length = models.PositiveIntegerField(null=True, blank=True)
    # Where a rename, copy or store wrote: what it created or overwrote.
    target_text = models.TextField(blank=True)
    target_is_hex = models.BooleanField(default=False)
    target_length = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=OUTCOMES, db_index=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        permissions = [
            ("view_redis", "Can read the Redis data the dashboard shows"),
            ("edit_redis", "Can change the Redis data the dashboard shows"),
        ]

    def set_key(self, key: bytes | None) -> None:
        """The key as text when it is printable, as hex otherwise, cut to AUDIT_KEY_BYTES."""
        self.key_text, self.key_is_hex, self.key_length = _shown_name(key)

    def set_target(self, target: bytes | None) -> None:
        self.target_text, self.target_is_hex, self.target_length = _shown_name(target)

    @property
    def key_cut(self) -> bool:
        return self.key_length is not None and self.key_length > AUDIT_KEY_BYTES

    @property
    def target_cut(self) -> bool:
        return self.target_length is not None and self.target_length > AUDIT_KEY_BYTES


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
        """The user the token signs in, once; None if it is unknown, used or expired.

        The DELETE decides: of several requests racing with one link, only the one whose
        DELETE removed the row signs in (the database serialises the deletes)."""
        link = cls.objects.filter(token_hash=cls.hash(token)).select_related("user").first()
        if link is None:
            return None
        deleted, _ = cls.objects.filter(pk=link.pk).delete()
        if deleted != 1 or link.expires < timezone.now() or not link.user.is_active:
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
    connection_name = models.CharField(max_length=40, blank=True)
    db = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField(db_index=True)
    size = models.PositiveIntegerField(default=0)
    keys = models.JSONField(default=list)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created", "-id"]


class SpentConfirmation(models.Model):
    """A confirmation token that has been used, kept until it could no longer be valid, so a
    replay is refused by every worker process and after a restart."""

    nonce = models.CharField(max_length=64, unique=True)
    expires = models.DateTimeField(db_index=True)


class StreamLease(models.Model):
    """One of DASHBOARD_MAX_STREAMS slots for live streams (pub/sub, live pages, following a
    stream), shared by every worker process. The unique slot number decides between racing
    processes; the live stream renews `expires` while it runs, so the slot of a worker that
    crashed frees itself when its lease runs out."""

    slot = models.PositiveIntegerField(unique=True)
    holder = models.CharField(max_length=64, unique=True)  # a random token, the stream's own
    process = models.CharField(max_length=100, blank=True)  # host and pid, for the curious
    expires = models.DateTimeField(db_index=True)
    # The signed-in user whose stream it is ("" with sign-in off), and which of their
    # DASHBOARD_MAX_STREAMS_PER_USER slots it holds: unique together, as `slot` is alone.
    owner = models.CharField(max_length=150, blank=True, default="")
    owner_slot = models.PositiveIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "owner_slot"],
                                               name="keyspace_stream_owner_slot")]


class AnalysisRun(models.Model):
    """One analysis of a database: what was asked, how far it got, and what it found.

    The job itself runs through Django's Tasks framework (`task_id` names its result there);
    this row is what any dashboard process reads for progress and what the worker reads for
    a cancellation. `result` is the stored report (JSON, key names as URL tokens): read it
    through `keyspace.services.analysis.results`, never directly.
    """

    QUEUED, RUNNING, DONE, CANCELLED, FAILED = "queued", "running", "done", "cancelled", "failed"
    STATES = [(QUEUED, "queued"), (RUNNING, "running"), (DONE, "done"),
              (CANCELLED, "cancelled"), (FAILED, "failed")]
    ACTIVE = (QUEUED, RUNNING)

    server = models.CharField(max_length=300)  # the Redis address, never credentials
    connection_name = models.CharField(max_length=40, blank=True)
    db = models.PositiveIntegerField(default=0)
    delimiter = models.CharField(max_length=16, default=":")
    sample_size = models.PositiveIntegerField(null=True, blank=True)  # None: every key
    state = models.CharField(max_length=10, choices=STATES, default=QUEUED, db_index=True)
    task_id = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    progressed = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    keys_total = models.BigIntegerField(default=0)  # DBSIZE when last looked
    keys_done = models.BigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["server", "db", "-created"])]

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def target(self) -> int:
        """How many keys the pass means to look at."""
        if self.sample_size is not None:
            return min(self.sample_size, self.keys_total)
        return self.keys_total

    @property
    def fraction(self) -> float:
        if self.state == self.DONE:
            return 1.0
        return min(1.0, self.keys_done / self.target) if self.target else 0.0

    @property
    def elapsed_seconds(self) -> float:
        if self.started is None:
            return 0.0
        end = self.finished or self.progressed or self.started
        return max(0.0, (end - self.started).total_seconds())

    @property
    def keys_per_second(self) -> float | None:
        elapsed = self.elapsed_seconds
        return self.keys_done / elapsed if elapsed > 0 and self.keys_done else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.keys_per_second
        if not self.active or not rate:
            return None
        return max(0.0, (self.target - self.keys_done) / rate)


class BulkJob(models.Model):
    """One change to every key a selection matches (or, `count`, a dry run that counts them
    and keeps a sample), run as a background job through Django's Tasks framework.

    The selection: `mode` says how `text` (the key bytes, as a URL token) is matched: a glob
    `pattern` as typed, every key starting with a literal `prefix`, or one `exact` name; and
    `type_name` narrows it to one type. Progress and the cancel flag live in this row, so any
    dashboard process shows it and stops it.
    """

    QUEUED, RUNNING, DONE, CANCELLED, FAILED = "queued", "running", "done", "cancelled", "failed"
    STATES = [(QUEUED, "queued"), (RUNNING, "running"), (DONE, "done"),
              (CANCELLED, "cancelled"), (FAILED, "failed")]
    ACTIVE = (QUEUED, RUNNING)
    COUNT, DELETE, EXPIRE, PERSIST, IMPORT = "count", "delete", "expire", "persist", "import"
    ACTIONS = [(COUNT, "count"), (DELETE, "delete"), (EXPIRE, "set TTL"),
               (PERSIST, "remove TTL"), (IMPORT, "import")]
    SKIP, REPLACE, RENAME = "skip", "replace", "rename"
    POLICIES = [(SKIP, "keep the existing key"), (REPLACE, "replace it"),
                (RENAME, "import under another name")]
    PATTERN, PREFIX, EXACT = "pattern", "prefix", "exact"
    MODES = [(PREFIX, "names starting with"), (PATTERN, "glob pattern"), (EXACT, "exactly")]

    server = models.CharField(max_length=300)  # the Redis address, never credentials
    connection_name = models.CharField(max_length=40, blank=True)
    db = models.PositiveIntegerField(default=0)
    action = models.CharField(max_length=10, choices=ACTIONS)
    mode = models.CharField(max_length=10, choices=MODES)
    text = models.TextField()  # the selection's bytes as a key token
    type_name = models.CharField(max_length=40, blank=True)
    ttl_seconds = models.PositiveBigIntegerField(null=True, blank=True)
    # The count this change was confirmed with (from its dry run), and that run.
    confirmed_count = models.BigIntegerField(null=True, blank=True)
    preview = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    # A dry run starts one change at most (keyspace.services.bulk.confirming.check).
    spent = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=STATES, default=QUEUED, db_index=True)
    task_id = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    progressed = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    keys_total = models.BigIntegerField(default=0)  # DBSIZE when last looked
    keys_scanned = models.BigIntegerField(default=0)
    keys_matched = models.BigIntegerField(default=0)
    keys_changed = models.BigIntegerField(default=0)
    sample = models.JSONField(default=list)  # key tokens, a few, from the dry run
    # An import: the uploaded file, and what to do with a key that exists already.
    payload = models.BinaryField(null=True, blank=True, editable=False)
    policy = models.CharField(max_length=10, choices=POLICIES, blank=True)
    undo_token = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)  # e.g. why undo was not kept
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def fraction(self) -> float:
        if self.state == self.DONE:
            return 1.0
        return min(1.0, self.keys_scanned / self.keys_total) if self.keys_total else 0.0

    @property
    def percent(self) -> int:
        return int(self.fraction * 100)

    @property
    def done_label(self) -> str:
        """What happened to each key changed, as the page says it."""
        return {self.DELETE: "deleted", self.EXPIRE: "given the TTL",
                self.PERSIST: "made persistent", self.IMPORT: "imported"}.get(self.action,
                                                                              "counted")

    @property
    def text_bytes(self) -> bytes:
        from keyspace.redis.keynames import decode_key

        return decode_key(self.text)


class ServerSample(models.Model):
    """One INFO reading of a Redis server, for the Server page: its live numbers and the
    sparklines of the last minutes. Kept in the database so every worker process shares one
    history, and unique per (target, slot) so a slot of the refresh interval is read from
    Redis once however many people watch (see services/server/history.py)."""

    target = models.CharField(max_length=300)
    slot = models.BigIntegerField()  # taken_at // refresh interval
    taken_at = models.FloatField()  # Unix time: every worker's clock agrees on it
    commands = models.BigIntegerField()  # total_commands_processed
    hits = models.BigIntegerField()
    misses = models.BigIntegerField()
    used_memory = models.BigIntegerField()
    clients = models.BigIntegerField()
    info = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "slot"],
                                               name="server_sample_once_per_slot")]
        indexes = [models.Index(fields=["target", "taken_at"])]


class SavedConnection(models.Model):
    """A Redis connection added in the dashboard (connections configured as code live in
    DASHBOARD_CONNECTIONS instead). The password is kept encrypted (keyspace.access.secrets)
    and never rendered: forms leave it blank and keep the stored one unless a new one is
    typed."""

    VERIFY_MODES = [("required", "required (trusted CA, matching host name)"),
                    ("optional", "optional (checked only if the server sends one)"),
                    ("none", "none (encrypted, but not verified)")]
    ENVIRONMENTS = [("", "none"), ("development", "development"), ("staging", "staging"),
                    ("production", "production")]

    name = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100, blank=True)
    url = models.CharField(max_length=500)  # without the password
    username = models.CharField(max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True)
    tls_ca_file = models.CharField(max_length=500, blank=True)
    tls_cert_file = models.CharField(max_length=500, blank=True)
    tls_key_file = models.CharField(max_length=500, blank=True)
    tls_verify = models.CharField(max_length=10, choices=VERIFY_MODES, default="required")
    environment = models.CharField(max_length=20, choices=ENVIRONMENTS, blank=True)
    colour = models.CharField(max_length=7, blank=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name

    def set_password(self, password: str) -> None:
        from keyspace.access.secrets import encrypt

        self.password_encrypted = encrypt(password)

    def profile(self):
        """This connection as the Redis layer uses it (the password decrypted; an unreadable
        one is left out, and connecting then says Redis wants a password)."""
        from keyspace.access.secrets import Unreadable, decrypt
        from keyspace.redis.profiles import Profile

        try:
            password = decrypt(self.password_encrypted)
        except Unreadable:
            password = ""
        return Profile(name=self.name, url=self.url, label=self.label,
                       environment=self.environment, colour=self.colour,
                       username=self.username, password=password,
                       tls_ca_file=self.tls_ca_file, tls_cert_file=self.tls_cert_file,
                       tls_key_file=self.tls_key_file, tls_verify=self.tls_verify,
                       source="saved")


class ConnectionRole(models.Model):
    """A user's role on one connection, in place of their role elsewhere: a viewer of
    production may be an editor of staging, or have no access to it at all."""

    NONE, VIEWER, EDITOR = "none", "viewer", "editor"
    ROLES = [(NONE, "no access"), (VIEWER, "viewer"), (EDITOR, "editor")]

    connection = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="connection_roles")
    role = models.CharField(max_length=10, choices=ROLES)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "user"],
                                               name="one_role_per_connection")]
