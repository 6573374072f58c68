"""Benchmark-only settings: the dashboard's own, plus the Django floor view and a
Server-Timing header. Imported by the uvicorn subprocess with bench/ on PYTHONPATH."""

from dashboard.settings import *  # noqa: F403
from dashboard.settings import BASE_DIR, MIDDLEWARE, TEMPLATES

ROOT_URLCONF = "bench_urls"
# Outermost, so the header covers the whole middleware stack as well as the view.
MIDDLEWARE = ["server_timing.ServerTimingMiddleware", *MIDDLEWARE]
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]}]
