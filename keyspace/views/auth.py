"""Signing in (a password, or a one-time link printed in the terminal) and out."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from keyspace.models import SignInLink
from keyspace.access.permissions import PUBLIC, dashboard_view

sign_in = dashboard_view(PUBLIC)(
    LoginView.as_view(template_name="keyspace/registration/sign_in.html",
                      redirect_authenticated_user=True)
)


@dashboard_view(PUBLIC)
def sign_in_once(request, token: str):
    """GET shows a button; only the POST spends the link (a GET never changes state)."""
    if request.method != "POST":
        return render(request, "keyspace/registration/sign_in_once.html", {"token": token})
    user = SignInLink.redeem(token)
    if user is None:
        context = {"token": token, "problem": "this link is unknown, used or expired"}
        return render(request, "keyspace/registration/sign_in_once.html", context, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("keyspace:home")


@require_POST
@dashboard_view(PUBLIC)
def sign_out(request):
    logout(request)
    return redirect("keyspace:sign-in")
