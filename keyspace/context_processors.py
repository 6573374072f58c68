from django.utils.functional import SimpleLazyObject

from .connection import RedisNotConfigured, current_target, server_overview
from .permissions import EDIT, has_permission


def _overview_or_none():
    # Only evaluated by pages that show the header; an error page never touches Redis.
    try:
        return server_overview()
    except Exception:  # noqa: BLE001 - the header degrades to "unknown", the page still renders
        return None


def _address():
    try:
        return current_target().address
    except (RedisNotConfigured, ValueError):
        return "not configured"


def redis_overview(request):
    return {
        "can_edit": has_permission(request, EDIT),
        "redis_overview": SimpleLazyObject(_overview_or_none),
        "redis_address": SimpleLazyObject(_address),
    }
