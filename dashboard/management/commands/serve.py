"""Run the dashboard over ASGI with uvicorn. Without REDIS_URL, start a private redis-server
(data under var/redis), seed it with demo data the first time, and stop it on exit. With
sign-in on and no user yet, create one and print a one-time sign-in link."""

import os
import signal
import subprocess
import sys
from contextlib import ExitStack, contextmanager

import uvicorn
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from dashboard.demo import seed_demo
from dashboard.local_redis import LocalRedis
from keyspace.access.loopback import NEW_KEY_COMMAND, is_loopback, using_dev_key
from keyspace.access.roles import create_user, sign_in_path
from keyspace.redis.connection import current_target, get_client, reset_pools

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = "Serve the dashboard on 127.0.0.1 (port from PORT, default 8000)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port: int, host: str, **options):
        loopback = host in LOOPBACK or is_loopback(host)
        if not settings.DASHBOARD_AUTH and not loopback:
            raise CommandError(
                f"sign-in is off (DASHBOARD_AUTH=off), so the dashboard will not listen on "
                f"{host}, where other machines could reach it: use 127.0.0.1 or turn sign-in on"
            )
        if using_dev_key() and not loopback:
            raise CommandError(
                f"the development secret key is in use, so the dashboard will not listen on "
                f"{host}: set DJANGO_SECRET_KEY to a key of your own, made with\n"
                f"  {NEW_KEY_COMMAND}"
            )
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)  # the shared cache's table, if it has one
        with ExitStack() as stack:
            if not settings.REDIS_URL:
                stack.callback(self._private_redis().stop)
            if _database_tasks():
                stack.callback(_stop_worker, self._start_worker())
            server = uvicorn.Server(uvicorn.Config(
                "dashboard.asgi:application",
                host=host,
                port=port,
                log_level=os.environ.get("UVICORN_LOG_LEVEL", "warning"),
                timeout_graceful_shutdown=3,
                lifespan="off",
            ))
            stack.enter_context(_stops_early(server))
            base = f"http://{host}:{port}"
            self.stdout.write(f"Redis: {current_target().address}")
            self.stdout.write(self.style.SUCCESS(f"Dashboard: {base}/"), ending="\n")
            if settings.DASHBOARD_AUTH:
                self._sign_in_help(base)
            self.stdout.flush()
            server.run()

    def _sign_in_help(self, base: str) -> None:
        users = get_user_model().objects
        if users.exists():
            self.stdout.write(f"Sign in at {base}/sign-in/ (a new one-time link: "
                              "python manage.py signin_link NAME)")
            return
        admin = create_user("admin", "editor")
        self.stdout.write(self.style.WARNING(
            f"First run: created the user 'admin' (editor). Sign in once with this link "
            f"(valid 24 h): {base}{sign_in_path(admin)}"
        ))

    def _start_worker(self) -> subprocess.Popen:
        """The Tasks database worker, with this command's settings (REDIS_URL included)."""
        worker = subprocess.Popen([sys.executable, "-m", "django", "db_worker", "--no-reload",
                                   "--no-startup-delay", "--interval", "0.5", "--verbosity", "0"],
                                  env={**os.environ, "DJANGO_SETTINGS_MODULE": _settings_module()})
        self.stdout.write(f"Background worker started (pid {worker.pid})")
        return worker

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


def _database_tasks() -> bool:
    """Whether jobs go to the database backend, whose worker this command runs (another
    backend has workers of its own)."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return backend.startswith("django_tasks_db.")


def _settings_module() -> str:
    return os.environ.get("DJANGO_SETTINGS_MODULE", "dashboard.settings")


@contextmanager
def _stops_early(server: uvicorn.Server):
    """Ctrl-C (or SIGTERM) between now and uvicorn serving is not lost: until uvicorn puts
    its own handlers in place (and after it restores these) a signal asks the server to exit,
    which it does as soon as it has started; a second one asks it to exit at once. Without
    this, a signal in that moment could be swallowed while uvicorn was still starting, and
    the dashboard would run on after Ctrl-C."""

    def stop(signum, frame):
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_worker(worker: subprocess.Popen) -> None:
    """Stop it with the dashboard: a job in progress is left to show as stopped."""
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(5)
    except subprocess.TimeoutExpired:
        # The first signal (Ctrl-C reaches the worker too) waits for the job: end it.
        worker.kill()
        worker.wait()
