"""System checks: what a project must have for the app to work, said at `manage.py check` (and
`migrate`, `runserver`) rather than discovered as a broken page. Like django.contrib.admin's,
they ask for Django's own parts only; the app brings everything else itself."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
        "django.contrib.messages", "django_htmx", "template_partials"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
# Templates use `request` (links that keep the query), `user` (who may edit) and `messages`.
CONTEXT_PROCESSORS = ["django.template.context_processors.request",
                      "django.contrib.auth.context_processors.auth",
                      "django.contrib.messages.context_processors.messages"]


def register() -> None:
    checks.register(check_project, checks.Tags.compatibility)


def check_project(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    found = [checks.Error(f"'{name}' must be in INSTALLED_APPS to use keyspace",
                          id="keyspace.E001")
             for name in APPS if not apps.is_installed(name)]
    found += [checks.Error(f"'{name}' (or a subclass) must be in MIDDLEWARE to use keyspace",
                           id="keyspace.E002")
              for name in MIDDLEWARE if not _has_middleware(name)]
    found += _template_problems()
    return found


def _has_middleware(path: str) -> bool:
    wanted = import_string(path)
    for name in settings.MIDDLEWARE:
        try:
            middleware = import_string(name)
        except ImportError:
            continue  # Django reports a middleware that cannot be imported itself
        if isinstance(middleware, type) and issubclass(middleware, wanted):
            return True
    return False


def _template_problems() -> list[checks.CheckMessage]:
    engines = [engine for engine in settings.TEMPLATES
               if engine.get("BACKEND") == "django.template.backends.django.DjangoTemplates"]
    if not engines:
        return [checks.Error("keyspace needs a DjangoTemplates engine in TEMPLATES",
                             id="keyspace.E003")]
    engine = engines[0]
    options = engine.get("OPTIONS", {})
    problems = []
    if not engine.get("APP_DIRS") and "loaders" not in options:
        problems.append(checks.Error(
            "keyspace's templates live in the app: set APP_DIRS to True in TEMPLATES",
            id="keyspace.E004"))
    present = options.get("context_processors", [])
    problems += [checks.Error(f"'{name}' must be in the context_processors of the first "
                              "DjangoTemplates engine to use keyspace", id="keyspace.E005")
                 for name in CONTEXT_PROCESSORS if name not in present]
    return problems
