"""For projects with django.contrib.admin: per-connection roles, and saved connections,
checked by the dashboard's own form (no password in the URL, the connection must be one
that can work; the password is stored encrypted and never drawn back)."""

from django.contrib import admin

from keyspace.models import ConnectionRole, SavedConnection
from keyspace.services.connections import SavedConnectionForm


@admin.register(ConnectionRole)
class ConnectionRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "connection", "role")
    list_filter = ("connection", "role")


@admin.register(SavedConnection)
class SavedConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "label", "url", "environment")
    form = SavedConnectionForm
