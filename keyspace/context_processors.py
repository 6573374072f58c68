from django.utils.functional import SimpleLazyObject

from keyspace.redis.connection import RedisNotConfigured, current_target
from keyspace.access.permissions import EDIT, has_permission


def _address():
    try:
        return current_target().address
    except (RedisNotConfigured, ValueError):
        return "not configured"


def dashboard(request):
    """What every page's header needs without talking to Redis."""
    return {
        "can_edit": has_permission(request, EDIT),
        "redis_address": SimpleLazyObject(_address),
    }
