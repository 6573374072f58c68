"""System checks name what a project lacks for the app, as the admin's do."""

from __future__ import annotations

import pytest

from keyspace.checks import check_project


def ids(settings) -> list[str]:
    return [message.id for message in check_project()]


def test_the_standalone_has_everything(settings):
    assert ids(settings) == []


def test_a_missing_app_is_named(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "template_partials"]
    [message] = check_project()
    assert message.id == "keyspace.E001" and "'template_partials'" in message.msg


@pytest.mark.parametrize("middleware", ["SessionMiddleware", "AuthenticationMiddleware",
                                        "MessageMiddleware"])
def test_missing_middleware_is_named(settings, middleware):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith(middleware)]
    assert "keyspace.E002" in ids(settings)


def test_a_subclass_of_the_middleware_will_do(settings):
    settings.MIDDLEWARE = [
        "tests.test_checks.OwnSessions" if m.endswith("SessionMiddleware") else m
        for m in settings.MIDDLEWARE
    ]
    assert ids(settings) == []


@pytest.mark.parametrize("processor", ["request", "auth", "messages"])
def test_a_missing_context_processor_is_named(settings, processor):
    engine = dict(settings.TEMPLATES[0])
    engine["OPTIONS"] = dict(engine["OPTIONS"], context_processors=[
        p for p in engine["OPTIONS"]["context_processors"] if not p.endswith(f".{processor}")
    ])
    settings.TEMPLATES = [engine]
    assert ids(settings) == ["keyspace.E005"]


def test_templates_must_be_found_in_the_app(settings):
    # (template_partials wraps the loaders itself, turning APP_DIRS into explicit loaders.)
    engine = settings.TEMPLATES[0]
    options = {k: v for k, v in engine["OPTIONS"].items() if k != "loaders"}
    settings.TEMPLATES = [dict(engine, APP_DIRS=False, OPTIONS=options)]
    assert ids(settings) == ["keyspace.E004"]
    settings.TEMPLATES = [{"BACKEND": "django.template.backends.jinja2.Jinja2", "OPTIONS": {}}]
    assert ids(settings) == ["keyspace.E003"]


def test_the_check_is_registered():
    from django.core import checks

    assert check_project in checks.registry.registry.get_checks()


from django.contrib.sessions.middleware import SessionMiddleware  # noqa: E402


class OwnSessions(SessionMiddleware):
    pass
