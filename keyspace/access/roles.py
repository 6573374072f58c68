"""Users and their roles, for the management commands and the first run.

The roles are groups ("viewers" read, "editors" also write) made by a migration; they are
made again here if someone deleted them.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from keyspace.models import SignInLink

ROLE_PERMISSIONS = {"viewer": ["view_redis"], "editor": ["view_redis", "edit_redis"]}
ROLES = tuple(ROLE_PERMISSIONS)


def role_group(role: str) -> Group:
    if role not in ROLE_PERMISSIONS:
        raise ValueError(f"the role is one of {', '.join(ROLES)}")
    group, created = Group.objects.get_or_create(name=f"{role}s")
    if created:
        group.permissions.set(Permission.objects.filter(
            content_type__app_label="keyspace", codename__in=ROLE_PERMISSIONS[role]
        ))
    return group


def create_user(username: str, role: str):
    group = role_group(role)
    user = get_user_model().objects.create_user(username)  # no password until they set one
    user.groups.add(group)
    return user


def sign_in_path(user) -> str:
    return f"/sign-in/once/{SignInLink.issue(user)}/"
