"""A leaderboard of one sorted set: the top N, the neighbourhood of a member, or a score
range, paged. Read-only; each request costs a bounded number of O(log N + shown) commands.
Served where the sorted-set unit declares it (ZsetUnit.get_urls)."""

from __future__ import annotations

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.redis.connection import get_client
from keyspace.units.zset.leaderboard import MAX_AROUND, MAX_COUNT, LeaderboardQuery, read_board
from keyspace.units.zset.unit import ORDERS
from keyspace.views.rendering import render_page

TEMPLATE = "keyspace/leaderboard.html"


@dashboard_view(VIEW)
def leaderboard_view(request, db: int, key: bytes):
    query = LeaderboardQuery(request.GET).parsed()
    board = read_board(get_client(db), key, query)
    context = {
        "db": db,
        "key": key,
        "board": board,
        "query": query,
        "orders": ORDERS,
        "max_count": MAX_COUNT,
        "max_around": MAX_AROUND,
        "previous_query": _page_query(request, board.previous_offset),
        "next_query": _page_query(request, board.next_offset),
        "jump_query": _jump_query(request),
    }
    return render_page(request, TEMPLATE, context, fragment="board")


def _page_query(request, offset: int | None) -> str | None:
    """The same board from `offset`: member jumps page on as plain ranks."""
    if offset is None:
        return None
    params = request.GET.copy()
    params.pop("member", None)
    params.pop("at", None)
    params["offset"] = str(offset)
    return params.urlencode()


def _jump_query(request) -> str:
    """What a member link keeps (size and order); the member is appended."""
    params = request.GET.copy()
    for name in ("member", "at", "offset", "min", "max", "min_open", "max_open"):
        params.pop(name, None)
    params["at"] = ""
    return params.urlencode()
