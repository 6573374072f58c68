"""Run the dashboard over ASGI with uvicorn. Without REDIS_URL, start a private redis-server
(data under var/redis), seed it with demo data the first time, and stop it on exit."""

import os
from contextlib import ExitStack

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand

from keyspace.connection import get_client, reset_pools
from keyspace.demo import seed_demo
from keyspace.local_redis import LocalRedis


class Command(BaseCommand):
    help = "Serve the dashboard on 127.0.0.1 (port from PORT, default 8000)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port: int, host: str, **options):
        with ExitStack() as stack:
            if not settings.REDIS_URL:
                stack.callback(self._private_redis().stop)
            self.stdout.write(f"Redis: {settings.REDIS_URL.rsplit('@', 1)[-1]}")
            self.stdout.write(self.style.SUCCESS(f"Dashboard: http://{host}:{port}/"), ending="\n")
            self.stdout.flush()
            uvicorn.run(
                "dashboard.asgi:application",
                host=host,
                port=port,
                log_level=os.environ.get("UVICORN_LOG_LEVEL", "warning"),
                timeout_graceful_shutdown=3,
                lifespan="off",
            )

    def _private_redis(self):
        data_dir = settings.VAR_DIR / "redis"
        server = LocalRedis(data_dir, persist=True).start()
        settings.REDIS_URL = os.environ["REDIS_URL"] = server.url
        reset_pools()
        marker = data_dir / "seeded"
        if not marker.exists():
            self.stdout.write("Seeding the private Redis with demo data (once)...")
            self.stdout.flush()
            seed_demo(get_client(0))
            _seed_second_db()
            marker.touch()
        self.stdout.write(
            f"Started a private redis-server on 127.0.0.1:{server.port} (data in {data_dir})"
        )
        return server


def _seed_second_db() -> None:
    client = get_client(1)
    client.hset(b"config:feature-flags", mapping={"new-checkout": "on", "dark-mode": "off"})
    client.set(b"config:maintenance", b"false")
