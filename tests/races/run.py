"""Races against a real SQLite file, as the dashboard uses it: threads with their own
connections, as worker processes would have. Run in a fresh process by test_races.py (the
test database is an in-memory shared cache, which answers "table is locked" instead of
waiting, so it cannot show how the real database serialises writers).

    python -m tests.races.run DB_PATH
prints one JSON object with what each race observed."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading


def race(threads: int, work) -> list:
    """Run `work()` in `threads` threads started together; their results, or exceptions."""
    start = threading.Barrier(threads)
    results: list = []

    def run():
        start.wait(10)
        try:
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results.append(repr(exc))
        finally:
            from django.db import connection

            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    return results


def sign_in_link(racers: int) -> dict:
    from django.db.models.signals import pre_delete
    from django.test import Client

    from keyspace.access.roles import create_user
    from keyspace.models import SignInLink

    user = create_user("racer", "editor")
    link = f"/sign-in/once/{SignInLink.issue(user)}/"
    arrived = threading.Barrier(racers)

    def hold_until_all_have_read(sender, **kwargs):
        # Every request has looked the link up before any removes it: the worst interleaving.
        with contextlib.suppress(threading.BrokenBarrierError):
            arrived.wait(3)

    def redeem():
        browser = Client()
        status = browser.post(link).status_code
        return [status, browser.session.get("_auth_user_id") == str(user.pk)]

    pre_delete.connect(hold_until_all_have_read, sender=SignInLink)
    try:
        outcomes = race(racers, redeem)
    finally:
        pre_delete.disconnect(hold_until_all_have_read, sender=SignInLink)
    return {"outcomes": outcomes, "links_left": SignInLink.objects.count()}


def spend_confirmations(racers: int) -> dict:
    from keyspace.access import confirmations

    nonces = [f"raced-{n}" for n in range(20)]
    won = race(racers, lambda: [n for n in nonces if confirmations.spend(n)])
    return {"nonces": nonces, "won": won}


def main(db_path: str) -> None:
    os.environ["DASHBOARD_DB_PATH"] = db_path
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host name is allowed
    call_command("migrate", interactive=False, verbosity=0)
    print(json.dumps({"sign_in_link": sign_in_link(4), "spend": spend_confirmations(6)}))


if __name__ == "__main__":
    main(sys.argv[1])
