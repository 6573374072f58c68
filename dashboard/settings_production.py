"""Settings for a deployment behind a TLS-terminating proxy.

    DJANGO_SETTINGS_MODULE=dashboard.settings_production
    DJANGO_SECRET_KEY=<50+ random characters>   DJANGO_ALLOWED_HOSTS=redis.example.com

`python manage.py check --deploy` passes with no warnings under these settings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from dashboard.settings import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY to 50 or more random characters")
if not os.environ.get("DJANGO_ALLOWED_HOSTS"):
    raise ImproperlyConfigured("set DJANGO_ALLOWED_HOSTS to the dashboard's host name(s)")
CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS]  # noqa: F405

# The proxy terminates TLS and says so in X-Forwarded-Proto; it must set or strip that header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
