"""The Django floor: a minimal view doing the raw floor's Redis work, with a plain template."""

from __future__ import annotations

import redis
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from floors import first_page
from row_floor import rows_of

from keyspace.redis.keynames import decode_key

_clients: dict[tuple[str, int], redis.Redis] = {}


def _client(db: int) -> redis.Redis:
    key = (settings.REDIS_URL, db)
    if key not in _clients:
        _clients[key] = redis.Redis.from_url(settings.REDIS_URL, db=db, client_name="bench-floor")
    return _clients[key]


def floor_page(request, db: int):
    return render(request, "bench/floor_page.html", {"db": db, "page": first_page(_client(db))})


def rows_page(request, db: int, token: str):
    """The same 1,000 rows as the dashboard's key page (`?count=`), read-only and plain."""
    rows = rows_of(_client(db), decode_key(token), int(request.GET.get("count", "1000")))
    pairs = bool(rows) and len(rows[0]) > 1
    context = {"pairs": pairs, "rows": rows if pairs else [cells[0] for cells in rows]}
    return render(request, "bench/floor_rows.html", context)


def ping(request):
    return HttpResponse("ok")
