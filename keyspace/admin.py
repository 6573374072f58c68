"""For projects with django.contrib.admin: per-connection roles, and saved connections
(their passwords are set on the dashboard's own form, never here)."""

from django.contrib import admin

from keyspace.models import ConnectionRole, SavedConnection


@admin.register(ConnectionRole)
class ConnectionRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "connection", "role")
    list_filter = ("connection", "role")


@admin.register(SavedConnection)
class SavedConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "label", "url", "environment")
    exclude = ("password_encrypted",)
