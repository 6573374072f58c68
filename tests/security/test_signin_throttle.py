"""Password guessing is throttled per user name and per client address, with a lockout that
doubles with each further failure; the lockout is said on the sign-in form; failures are in the
audit log; `axes_reset` and a one-time link get a locked-out user back in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from keyspace.models import AuditEntry, SignInLink

PASSWORD = "a long and unlikely password"
LIMIT = 5


@pytest.fixture
def with_password(viewer, settings):
    # A fast hasher: these tests make dozens of attempts, the throttle is what they test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SECRET_KEY = "k" * 64  # clients other than loopback are served
    viewer.set_password(PASSWORD)
    viewer.save()
    return viewer


def sign_in(address: str, username: str, password: str):
    browser = Client(REMOTE_ADDR=address)
    response = browser.post("/sign-in/", {"username": username, "password": password})
    return response, browser.session.get("_auth_user_id") is not None


def fail(times: int, address: str = "10.1.1.1", username: str = "viewer"):
    return [sign_in(address, username, "wrong")[0] for _ in range(times)]


def test_the_limit_locks_out_and_says_so_on_the_form(with_password):
    responses = fail(LIMIT)
    assert [r.status_code for r in responses] == [200] * (LIMIT - 1) + [429]
    page = responses[-1].content.decode()
    assert 'name="password"' in page and "Too many failed sign-ins" in page
    assert "try again in 1 min" in page
    response, signed_in = sign_in("10.1.1.1", "viewer", PASSWORD)
    assert response.status_code == 429 and not signed_in


def test_below_the_limit_the_right_password_works(with_password):
    fail(LIMIT - 1)
    assert sign_in("10.1.1.1", "viewer", PASSWORD)[1]


def test_one_user_name_is_locked_whatever_address_guesses(with_password):
    for n in range(LIMIT):
        fail(1, address=f"10.2.0.{n}")
    response, signed_in = sign_in("10.9.9.9", "viewer", PASSWORD)
    assert response.status_code == 429 and not signed_in


def test_one_address_is_locked_whatever_names_it_tries(with_password):
    for n in range(LIMIT):
        fail(1, username=f"guess-{n}")
    response, signed_in = sign_in("10.1.1.1", "viewer", PASSWORD)
    assert response.status_code == 429 and not signed_in
    assert sign_in("10.3.3.3", "viewer", PASSWORD)[1]  # another client is not affected


def test_each_further_failure_doubles_the_lockout(with_password):
    waits = [r.content.decode().split("try again in ")[1].split(".")[0]
             for r in fail(LIMIT + 3)[LIMIT - 1:]]
    assert waits == ["1 min", "2 min", "4 min", "8 min"]


def test_the_lockout_ends_after_its_time(with_password):
    fail(LIMIT)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time -
                                 timedelta(seconds=61))
    assert sign_in("10.1.1.1", "viewer", PASSWORD)[1]


def test_a_doubled_lockout_outlives_failures_of_other_names_and_addresses(with_password):
    """Each failure's record expires with its own lockout: before, any failed sign-in
    deleted every record older than the base lockout, whoever's, so a second address undid
    the doubling (five guesses a minute)."""
    from axes.models import AccessAttemptExpiration

    fail(LIMIT + 3)  # locked out for 8 min
    earlier = timedelta(minutes=3)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - earlier)
    for expiration in AccessAttemptExpiration.objects.all():
        AccessAttemptExpiration.objects.filter(pk=expiration.pk).update(
            expires_at=expiration.expires_at - earlier)
    fail(1, address="10.7.7.7", username="somebody-else")
    response, signed_in = sign_in("10.1.1.1", "viewer", PASSWORD)
    assert response.status_code == 429 and not signed_in
    assert "try again in" in response.content.decode()


def test_records_from_before_expiries_were_kept_count_only_for_their_time(with_password):
    """A failure recorded before each record had an expiry of its own (an install upgraded)
    is never cleaned up by axes: it counts only within the base lockout, not for ever."""
    fail(LIMIT - 1)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time -
                                 timedelta(days=2))
    AccessAttempt.objects.get().expiration.delete()
    fail(1)  # one typo, days later
    assert sign_in("10.1.1.1", "viewer", PASSWORD)[1]


def test_axes_reset_unlocks(with_password):
    fail(LIMIT)
    call_command("axes_reset", verbosity=0)
    assert sign_in("10.1.1.1", "viewer", PASSWORD)[1]


def test_a_one_time_link_still_signs_in_a_locked_out_user(with_password):
    fail(LIMIT)
    browser = Client(REMOTE_ADDR="10.1.1.1")
    assert browser.post(f"/sign-in/once/{SignInLink.issue(with_password)}/").status_code == 302
    assert browser.session.get("_auth_user_id") == str(with_password.pk)


def test_failed_sign_ins_are_in_the_audit_log(with_password):
    fail(LIMIT + 1)
    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) == LIMIT + 1
    assert {(e.operation, e.outcome) for e in entries} == {("sign-in", AuditEntry.REFUSED)}
    assert "name tried: viewer" in entries[0].detail and "10.1.1.1" in entries[0].detail
    assert "wrong user name or password" in entries[0].detail
    assert "locked out" in entries[-1].detail
    assert PASSWORD not in "".join(e.detail for e in entries)
