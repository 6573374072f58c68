"""Saved connections: checked, stored with the password encrypted, audited, removed."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

from django import forms
from django.db import transaction

from keyspace.access import audit
from keyspace.models import (
    AnalysisRun,
    AuditEntry,
    BulkJob,
    ConnectionRole,
    SavedConnection,
    UndoRecord,
)
from keyspace.redis import profiles

SENTINEL_URL_OPTIONS = frozenset({"master_name", "service_name", "master", "sentinel_username",
                                  "tls", "db"})


class SavedConnectionForm(forms.ModelForm):
    """A connection as people type it. The password is never drawn back into the form: left
    blank, the stored one is kept; "forget the password" clears it."""

    password = forms.CharField(required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False,
                                                          attrs={"autocomplete": "off"}),
                               help_text="Stored encrypted; never shown again. Leave blank "
                                         "to keep the saved one.")
    forget_password = forms.BooleanField(required=False, label="Forget the saved password")

    class Meta:
        model = SavedConnection
        fields = ["name", "label", "url", "username", "tls_ca_file", "tls_cert_file",
                  "tls_key_file", "tls_verify", "environment", "colour"]
        help_texts = {
            "name": "Used in URLs: /c/<name>/db/0/. Lower-case letters, digits, - and _.",
            "url": "redis://host:6379/0, rediss:// for TLS, or unix:///path/to/socket. "
                   "No password here: use the Password field.",
            "environment": "Production is shown on every page and asks for the key name "
                           "before destructive edits.",
            "colour": "Optional, like #b3261e: the environment label's colour.",
        }

    def clean_name(self):
        name = self.cleaned_data["name"]
        if not profiles.NAME.fullmatch(name):
            raise forms.ValidationError("Use 1-40 lower-case letters, digits, - or _, starting "
                                        "with a letter or digit.")
        if profiles.reserved(name):
            raise forms.ValidationError("That name belongs to a connection set in the "
                                        "settings.")
        return name

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - a bad port raises here
        except ValueError:
            raise forms.ValidationError("This is not a valid URL.") from None
        named = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
        options = [name.lower() for name in named]
        # redis-py takes a password from the query too (?password=), and a Sentinel URL its
        # Sentinels' (?sentinel_password=): either would be stored and shown as typed.
        if parts.password or any("password" in name for name in options):
            raise forms.ValidationError("Leave the password out of the URL: type it in the "
                                        "Password field, where it is stored encrypted.")
        if any(name.startswith("ssl") for name in options):
            raise forms.ValidationError("Use the TLS fields below instead of ssl_* options.")
        # Only the db, and a Sentinel URL's own options, may be given (profiles.URL_OPTIONS
        # says why), each as spelt (redis-py does not take ?DB=).
        from keyspace.redis import sentinel

        if sentinel.is_sentinel_url(url):
            unknown = sorted({name for name in named if name not in SENTINEL_URL_OPTIONS})
            if unknown:
                raise forms.ValidationError(
                    f"The URL's option(s) {', '.join(unknown)} cannot be used here: leave "
                    f"them out (allowed: {', '.join(sorted(SENTINEL_URL_OPTIONS))}).")
        elif problems := profiles.url_option_problems(url, frozenset({"db"})):
            raise forms.ValidationError(f"{problems[0][0].upper()}{problems[0][1:]}.")
        return url

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        profile = self.profile()
        for problem in profiles.problems_of(profile, "this connection"):
            said = problem.replace("this connection: ", "")
            self.add_error(None, said[:1].upper() + said[1:])
        return data

    def profile(self) -> profiles.Profile:
        data = self.cleaned_data
        row = self.instance
        return replace(SavedConnection(**{f: data.get(f, getattr(row, f)) for f in
                                          self.Meta.fields}).profile(), password="")

    def save(self, commit: bool = True):
        row = super().save(commit=False)
        if self.cleaned_data.get("forget_password"):
            row.password_encrypted = ""
        elif self.cleaned_data.get("password"):
            row.set_password(self.cleaned_data["password"])
        if commit:
            row.save()
        return row


def save_connection(user, form: SavedConnectionForm) -> SavedConnection:
    """Store the form's connection and audit it (never its password). A renamed connection
    takes along what is kept under its name (`_move_along`): a user kept out of it stays out
    under the new one, and an edit made before can still be undone."""
    created = form.instance.pk is None
    former = None if created else form.initial.get("name")
    row = form.save(commit=False)
    if created:
        row.created_by = user.get_username() if getattr(user, "is_authenticated", False) else ""
    with transaction.atomic():
        row.save()
        if former and former != row.name:
            _move_along(former, row.name)
    with profiles.using(row.profile()):
        audit.record(user, db=0, operation="connection add" if created else "connection change",
                     key=None, outcome=AuditEntry.OK, detail=f"{row.name}: {row.url}")
    return row


def _move_along(former: str, name: str) -> None:
    """Each user's role on the connection, the copies undo puts back, and its jobs (queued,
    running or done), from its former name to `name`. The copies and jobs also name the
    server's address, which undo and a job's run check: a rename that points the connection
    elsewhere leaves them refused, not applied to the other server. Roles and copies left
    under the new name (from before deletions took theirs) are stale and go."""
    ConnectionRole.objects.filter(connection=name).delete()
    UndoRecord.objects.filter(connection_name=name).delete()
    _retire_trail(former)
    ConnectionRole.objects.filter(connection=former).update(connection=name)
    for model in (UndoRecord, AnalysisRun, BulkJob):
        model.objects.filter(connection_name=former).update(connection_name=name)


def delete_connection(user, row: SavedConnection) -> None:
    """Remove the connection, audited. Its roles go with it (a connection saved later under
    the name starts afresh), and so do undo's copies of its values (DUMP payloads of a server
    no longer shown); its jobs' rows stay, as the audit log does (its entries then shown only
    to who manages connections: `_retire_trail`)."""
    with profiles.using(row.profile()):
        audit.record(user, db=0, operation="connection delete", key=None,
                     outcome=AuditEntry.OK, detail=f"{row.name}: {row.url}")
    with transaction.atomic():
        ConnectionRole.objects.filter(connection=row.name).delete()
        UndoRecord.objects.filter(connection_name=row.name).delete()
        _retire_trail(row.name)
        row.delete()


def _retire_trail(name: str) -> None:
    """The audit entries made under `name` stop being shown to the users of a connection
    called `name`: the log keeps the name an edit was made under, and a connection saved
    later under it is another one (its users could be kept out of this one)."""
    AuditEntry.objects.filter(connection_name=name).update(connection_retired=True)


def may_manage(user) -> bool:
    """Who may add, change and remove saved connections: the model's own permissions
    (superusers have them), or anyone when sign-in is off (loopback only)."""
    from keyspace.conf import app_settings

    if not app_settings.AUTH:
        return True
    return bool(user and user.is_active and user.has_perm("keyspace.change_savedconnection")
                and user.has_perm("keyspace.add_savedconnection"))
