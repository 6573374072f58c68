import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django_application = get_asgi_application()

from dashboard.bodylimit import BodyLimit  # noqa: E402 - reads settings, once Django is set up

application = BodyLimit(django_application)
