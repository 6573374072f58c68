from django.apps import AppConfig


class KeyspaceConfig(AppConfig):
    name = "keyspace"
    verbose_name = "Redis keyspace"
