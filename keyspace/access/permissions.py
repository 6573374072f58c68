"""The one permission check every view passes through.

With sign-in on (the default), a user needs the `view_redis` permission to read and
`edit_redis` to write; the "viewers" and "editors" groups carry them. A role given on one
connection (ConnectionRole) replaces that for the connection: a viewer can be an editor of
staging, and anyone can be kept out of production. Read-only mode refuses every write
whoever asks. With DASHBOARD_AUTH=off (loopback only), everyone may do everything read-only
mode allows.

Every view is declared with `dashboard_view`, which also enters the connection its URL
names (`/c/<name>/db/<n>/`), before any check: the role asked about is the role there.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

import redis
from asgiref.sync import markcoroutinefunction, sync_to_async
from django.conf import settings

from keyspace.conf import app_settings
from keyspace.exceptions import ConnectionNotFound, NotPermitted, SignInRequired
from keyspace.redis import profiles
from keyspace.views.decorators import app_view

VIEW = "view"
EDIT = "edit"
PUBLIC = "public"  # sign-in pages themselves
ACTIONS = (VIEW, EDIT, PUBLIC)
PERMISSIONS = {VIEW: "keyspace.view_redis", EDIT: "keyspace.edit_redis"}


def user_may(user, action: str) -> bool:
    if action == PUBLIC:
        return True
    if action == EDIT and app_settings.READONLY:
        return False
    if not role_may(user, action):
        return False
    # Asked last: only a user whose role may edit makes the dashboard ask Redis.
    return not (action == EDIT and redis_write_refusal())


def role_may(user, action: str) -> bool:
    """The dashboard's own answer (role, sign-in), whatever the Redis user may do, on the
    current connection."""
    if not app_settings.AUTH:
        return action in ACTIONS
    if not (user and user.is_active):
        return False
    if action == PUBLIC:
        return True
    role = connection_role(user, profiles.current().name)
    if role is not None:
        return action in ROLE_ACTIONS[role]
    return user.has_perm(PERMISSIONS[action])


ROLE_ACTIONS = {"none": (), "viewer": (VIEW,), "editor": (VIEW, EDIT)}


def connection_role(user, connection: str) -> str | None:
    """The user's role on `connection` where one was given, else None (their role
    elsewhere applies); read once per request and user."""
    if not getattr(user, "is_authenticated", False):
        return None
    roles = getattr(user, "_keyspace_connection_roles", None)
    if roles is None:
        from keyspace.models import ConnectionRole

        roles = dict(ConnectionRole.objects.filter(user=user).values_list("connection",
                                                                          "role"))
        user._keyspace_connection_roles = roles
    return roles.get(connection)


def viewable(user):
    """Every connection `user` may view, in `profiles.every()`'s order (asked lazily)."""
    for profile in profiles.every():
        with profiles.using(profile):
            allowed = role_may(user, VIEW)
        if allowed:
            yield profile


def visible_connections(user) -> list[str]:
    """The names of every connection `user` may view."""
    return [profile.name for profile in viewable(user)]


def enter_connection(request, kwargs: dict, named=None) -> profiles.Profile:
    """Make the connection the URL names (its `db`, a Place) the current one. A URL naming
    none is about the one `named(kwargs)` gives (an undo link: its edit's connection), else
    the default one, or, for a user kept out of it, the first one they may view."""
    db = kwargs.get("db")
    name = named(kwargs) if named is not None and not isinstance(db, profiles.Place) else None
    if name:
        db = profiles.Place(0, name)
    if isinstance(db, profiles.Place):
        profile = profiles.lookup(db.connection)
        if profile is None:
            profiles.activate(profiles.default())
            raise ConnectionNotFound(f"there is no connection called {db.connection!r}")
    else:
        profile = _first_viewable(getattr(request, "user", None))
    profiles.activate(profile)
    request.keyspace_connection = profile
    return profile


def _first_viewable(user) -> profiles.Profile:
    """The default connection, unless `user` may not view it and may view another."""
    default = profiles.default()
    if not app_settings.AUTH or not getattr(user, "is_authenticated", False):
        return default
    with profiles.using(default):
        if role_may(user, VIEW):
            return default
    return next(viewable(user), default)


def redis_write_refusal() -> str | None:
    """Why the Redis user cannot write at all (no MULTI, ACL DRYRUN refusing writes), from
    the connection's probe; None when it may, or when that is not known (Redis down: the
    page says so itself)."""
    from keyspace.redis.capabilities import capabilities

    try:
        return capabilities().write_refusal
    except (redis.RedisError, ValueError):
        return None


def has_permission(request, action: str) -> bool:
    return user_may(getattr(request, "user", None), action)


def _refuse(user, action: str) -> None:
    if app_settings.AUTH and not (user and user.is_authenticated):
        raise SignInRequired("sign in to use the dashboard")
    refusal = redis_write_refusal() if action == EDIT and not app_settings.READONLY else None
    if refusal and role_may(user, action):
        raise NotPermitted(f"not permitted: {refusal}")
    raise NotPermitted(f"you may not {action} this Redis")


def require_permission(request, action: str) -> None:
    user = getattr(request, "user", None)
    if not user_may(user, action):
        _refuse(user, action)


def dashboard_view(action: str, audit_as: str = "", *, connection=None):
    """Mark a view with the action it performs and check it before the view runs; every view
    of the app is declared with it, so it also gives each one the app's error pages and
    response headers (`app_view`). A write refused here is audited under `audit_as` (the name
    the view's own audit entries use), or the operation named in the URL. `connection`: for
    a URL naming no connection, a function of the view's arguments giving the name of the one
    it is about (None: see `enter_connection`)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")

    def decorate(view):
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(request, *args, **kwargs):
                await sync_to_async(enter_connection)(request, kwargs, connection)
                user = await request.auser() if hasattr(request, "auser") else None
                if not await _may_async(user, action):
                    _refuse(user, action)
                return await view(request, *args, **kwargs)

            wrapper = markcoroutinefunction(async_wrapper)
        else:

            @functools.wraps(view)
            def wrapper(request, *args, **kwargs):
                enter_connection(request, kwargs, connection)
                try:
                    require_permission(request, action)
                except NotPermitted:
                    _audit_refused_write(request, action, audit_as, kwargs)
                    raise
                return view(request, *args, **kwargs)

        # Outermost: a refusal raised by the check above is rendered like any other failure.
        wrapper = app_view(wrapper)
        wrapper.dashboard_action = action
        return wrapper

    return decorate


def _audit_refused_write(request, action: str, audit_as: str, view_kwargs: dict) -> None:
    """A signed-in user's write refused by role or read-only mode is a write attempt too."""
    if action != EDIT or request.method != "POST":
        return
    # Imported here: the audit log needs the models, and permissions load first.
    from keyspace.access.audit import record

    record(getattr(request, "user", None), db=view_kwargs.get("db", 0),
           key=view_kwargs.get("key"),
           operation=audit_as or view_kwargs.get("action") or request.resolver_match.url_name,
           outcome="refused", detail="not permitted")


@dataclass(frozen=True)
class StreamViewer:
    """Who a live stream is for (keyspace.services.pubsub.slots.stream_slot)."""

    owner: str  # the user's pk: their streams count against DASHBOARD_MAX_STREAMS_PER_USER
    # The check this request passed, made again while the stream runs (at each renewal of its
    # slot): it fails once the user signs out or their session ends or is replaced, is
    # deactivated, or may no longer view the connection the stream shows.
    still_allowed: Callable[[], bool]


async def stream_viewer(request) -> StreamViewer | None:
    """The viewer of a stream this request opens; None when sign-in is off."""
    if not app_settings.AUTH:
        return None
    from django.contrib.auth import SESSION_KEY

    user = await request.auser()
    # A user signed in through this session is held to it (signing out ends it); one a host
    # project's own middleware set without a session (a trusted SSO header) has none to keep.
    session = request.session
    signed_in_here = str(await session.aget(SESSION_KEY)) == str(user.pk)
    return StreamViewer(str(user.pk), functools.partial(
        _still_views, user.pk, session.session_key if signed_in_here else None,
        profiles.current().name, session_bound=signed_in_here))


def _still_views(user_id, session_key: str | None, connection: str, *,
                 session_bound: bool = True) -> bool:
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils.crypto import constant_time_compare

    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        return False
    if session_bound:
        if not session_key:
            return False
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
        if str(session.get(SESSION_KEY)) != str(user.pk) or not constant_time_compare(
                session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
            return False
    profile = profiles.lookup(connection)
    if profile is None:
        return False
    with profiles.using(profile):
        return role_may(user, VIEW)


async def _may_async(user, action: str) -> bool:
    # has_perm reads the user's groups from the database: not allowed on the event loop.
    return await sync_to_async(user_may)(user, action)
