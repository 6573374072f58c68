"""Password guessing is throttled by django-axes, per user name and per client address
(either one reaching the limit locks out), with a back-off: the lockout doubles with every
further failed attempt, up to a ceiling. Failed sign-ins go to the audit log; a lockout is
shown on the sign-in form itself. See the settings AXES_* and DASHBOARD_SIGNIN_*.

This guards the app's own sign-in form, which the standalone uses; a host project that sends
people to its own sign-in page (settings.LOGIN_URL) throttles that as it sees fit, and needs
django-axes only if it uses the app's form with the AXES_* settings above."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from keyspace.conf import app_settings
from keyspace.models import AuditEntry

SIGN_IN_OPERATION = "sign-in"


def _failures(request) -> int:
    """The larger of the recent failures for the name typed and for the client's address,
    counted the way axes counts them for a lockout."""
    from axes.models import AccessAttempt  # only the standalone installs django-axes

    username = request.POST.get("username", "") if request.method == "POST" else ""
    address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    _forget_stale_records(AccessAttempt)
    totals = [AccessAttempt.objects.filter(**{field: value}).aggregate(n=Sum(
        "failures_since_start"))["n"] or 0
        for field, value in (("username", username), ("ip_address", address)) if value]
    return max(totals, default=0)


def _forget_stale_records(access_attempt) -> None:
    """Delete failure records written before each had an expiry of its own (an install from
    before AXES_USE_ATTEMPT_EXPIRATION) once the base lockout has passed: axes cleans only
    records with an expiry, and a later failure of the same name and address would add to
    such a record for ever. Runs whenever a lockout is worked out (axes asks `cool_off` before
    it counts or records a failure)."""
    base = timedelta(seconds=app_settings.SIGNIN_LOCKOUT_SECONDS)
    access_attempt.objects.filter(expiration__isnull=True,
                                  attempt_time__lt=timezone.now() - base).delete()


def cool_off(request=None) -> timedelta:
    """How long a lockout lasts: the base, doubled for every failure past the limit."""
    base = timedelta(seconds=app_settings.SIGNIN_LOCKOUT_SECONDS)
    ceiling = timedelta(seconds=app_settings.SIGNIN_MAX_LOCKOUT_SECONDS)
    if request is None:
        return base
    extra = max(0, _failures(request) - settings.AXES_FAILURE_LIMIT)
    return min(base * 2 ** min(extra, 32), ceiling)


def _shown(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def lockout_response(request, original_response=None, credentials=None):
    """The sign-in form again, with the lockout said next to it (429)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "next": request.POST.get("next", ""),
               "locked_out": _shown(cool_off(request))}
    return render(request, "keyspace/registration/sign_in.html", context, status=429)


@receiver(user_login_failed)
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    """Every failed sign-in on the app's own form is a write attempt on the dashboard itself:
    record who tried. A host project's own sign-in page is the host's business."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name != "keyspace:sign-in":
        return
    from keyspace.access.audit import record

    locked = getattr(request, "axes_locked_out", False)
    record(getattr(request, "user", None), db=0, operation=SIGN_IN_OPERATION, key=None,
           outcome=AuditEntry.REFUSED,
           detail=f"{'locked out' if locked else 'wrong user name or password'} "
                  f"(name tried: {str(credentials.get('username') or '')[:150]}, "
                  f"from {request.META.get('REMOTE_ADDR', '?')})")
