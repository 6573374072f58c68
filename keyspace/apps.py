from django.apps import AppConfig


class KeyspaceConfig(AppConfig):
    name = "keyspace"
    verbose_name = "Redis keyspace"

    def ready(self):
        from keyspace.access import throttle  # noqa: F401 - connects the failed sign-in audit
