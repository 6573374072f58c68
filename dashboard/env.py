"""Reading settings from the environment, failing closed: a value that is not understood stops
start-up with an error naming the variable, never silently falls back to a default (a typo
such as DASHBOARD_AUTH=enabled must not turn sign-in off)."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not understood: use one of {', '.join(TRUE)} "
        f"or one of {', '.join(FALSE)} (or leave {name} unset for the default)"
    )


def _number(name: str, default, kind: type, what: str):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return kind(value.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not {what} (or leave {name} unset for the default, {default})"
        ) from None


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """`name` as a whole number; with `minimum`, one below it stops start-up too."""
    value = _number(name, default, int, "a whole number")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(
            f"{name}={value} must be at least {minimum} (or leave {name} unset for the "
            f"default, {default})"
        )
    return value


def env_float(name: str, default: float) -> float:
    return _number(name, default, float, "a number")


def env_setting(name: str, default):
    """`name` from the environment, parsed by the type of its `default`."""
    if isinstance(default, bool):
        return env_bool(name, default)
    if isinstance(default, int):
        return env_int(name, default)
    if isinstance(default, float):
        return env_float(name, default)
    if isinstance(default, dict):
        return env_json(name, default)
    return os.environ.get(name, default)


def env_json(name: str, default):
    """`name` from the environment as JSON (never quoted back: it may hold passwords)."""
    import json

    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return json.loads(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not valid JSON ({exc.msg} at character "
                                   f"{exc.pos})") from None
