"""Dashboard users for tests, and Django test clients signed in as them."""

from __future__ import annotations

from typing import TypeVar

from django.test import Client

C = TypeVar("C")


def make_user(username: str, role: str):
    from keyspace.access.roles import create_user

    return create_user(username, role)


def client_for(user, client_class: type[C] = Client, **options) -> C:
    """A test client (`client_class(**options)`) with `user` signed in, as by default."""
    signed_in = client_class(**options)
    signed_in.force_login(user)
    return signed_in
