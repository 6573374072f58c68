from django.apps import AppConfig


class KeyspaceConfig(AppConfig):
    name = "keyspace"
    verbose_name = "Redis keyspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from keyspace import checks, conf
        from keyspace.access import throttle  # noqa: F401 - connects the failed sign-in audit

        conf.validate()  # fails closed: a setting the app does not understand stops start-up
        checks.register()
        from django.core.signals import request_finished
        from django.test.signals import setting_changed

        from keyspace.redis import profiles

        # A request's connection ends with its response (streamed ones once sent).
        request_finished.connect(profiles.deactivate, dispatch_uid="keyspace-connection")
        # The default connection is made from the settings once, and again when one changes.
        setting_changed.connect(profiles.forget_default, dispatch_uid="keyspace-default")
