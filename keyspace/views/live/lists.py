"""Live lists: the key list's rows and a leaderboard redrawn as their keys change, through the
pages' own partials (`browse.html#key_row`, `leaderboard.html#board`)."""

from __future__ import annotations

from types import SimpleNamespace

from asgiref.sync import sync_to_async
from django.template.loader import render_to_string
from django.urls import reverse

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.exceptions import BadRequest, KeyNotFound
from keyspace.redis.connection import get_client
from keyspace.redis.keynames import encode_key, parse_escaped
from keyspace.services.live import feed
from keyspace.services.live.events import read_notifications
from keyspace.services.live.lists import KeyListChanges, parse_seen, watch_board, watch_keys
from keyspace.units.zset.leaderboard import MAX_AROUND, MAX_COUNT, LeaderboardQuery, read_board
from keyspace.units.zset.unit import ORDERS
from keyspace.views.leaderboard import TEMPLATE as BOARD_TEMPLATE
from keyspace.views.leaderboard import _jump_query, _page_query
from keyspace.views.live.streaming import event_response

GONE_WORDS = {"expired": "expired", "evicted": "evicted", "del": "deleted",
              "rename_from": "renamed", "move_from": "moved"}


@dashboard_view(VIEW)
async def keylist_live_stream(request, db: int):
    if "seen" not in request.GET:
        raise BadRequest("a live key list follows a page: give the keys it shows (seen)")
    text = request.GET.get("match", "")
    match = parse_escaped(text) if text not in ("", "*") else None
    seen = parse_seen(request.GET.get("seen", ""))
    await request.auser()
    notifications = await sync_to_async(read_notifications)(get_client(db))
    if not notifications.for_keys:
        return event_response(request, _timed_list())
    return event_response(request, _key_pieces(request, db, watch_keys(db, match, seen)))


async def _timed_list():
    """Notifications off: the page is told to check its rows on a timer instead (live.js
    fetches the page's own results, as drawing them costs), and the stream ends for good."""
    every = app_settings.LIVE_CHECK_SECONDS
    yield feed.Status(f"keyspace notifications are off: these rows are checked every {every} s "
                      "(the page's own scan and metadata)", final=True)
    yield [("check-list", str(every * 1000))]


async def _key_pieces(request, db: int, changes):
    try:
        async for item in changes:
            if item is None or isinstance(item, feed.Status):
                yield item
            else:
                yield await sync_to_async(key_list_pieces)(request, db, item)
    finally:
        await changes.aclose()


def key_list_pieces(request, db: int, changes: KeyListChanges) -> list[tuple[str, str]]:
    key_prefix = reverse("keyspace:key-detail", kwargs={"db": db, "key": b""})[:-1]
    pieces = [("key-row", render_to_string("keyspace/browse.html#key_row",
                                           {"db": db, "row": row, "key_prefix": key_prefix},
                                           request))
              for row in changes.rows]
    pieces += [("key-gone", f"key-{encode_key(k)} {GONE_WORDS.get(e, 'gone')}")
               for k, e in changes.gone.items()]
    if changes.others:
        pieces.append(("new-keys", f"{changes.others} other matching keys changed since this "
                                   "page opened (not shown here); reload to see them."))
    return pieces


@dashboard_view(VIEW)
async def leaderboard_live_stream(request, db: int, key: bytes):
    if "live" not in request.GET:
        raise BadRequest("a live board follows a page: give its query with live=1")
    query = LeaderboardQuery(request.GET).parsed()
    await request.auser()
    board_path = reverse("keyspace:key-leaderboard", kwargs={"db": db, "key": key})
    shim = SimpleNamespace(path=board_path, GET=request.GET.copy())

    def draw() -> str:
        try:
            board = read_board(get_client(db), key, query)
        except KeyNotFound:
            return render_to_string("keyspace/_live_board.html#gone", {}, request)
        # The leaderboard view's own context, with links pointing at the board, not the stream.
        context = {"db": db, "key": key, "board": board, "query": query, "orders": ORDERS,
                   "max_count": MAX_COUNT, "max_around": MAX_AROUND, "request": shim,
                   "previous_query": _page_query(shim, board.previous_offset),
                   "next_query": _page_query(shim, board.next_offset),
                   "jump_query": _jump_query(shim)}
        return render_to_string(f"{BOARD_TEMPLATE}#board", context, request)

    return event_response(request, _board_pieces(watch_board(db, key, draw)))


async def _board_pieces(boards):
    try:
        async for item in boards:
            yield [("board", item)] if isinstance(item, str) else item
    finally:
        await boards.aclose()
