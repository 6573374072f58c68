"""What namespace counts can make the server keep: a few counts per user, each of bounded size,
whatever the prefixes and folder names look like. Measured as the cache stores it (the shared
cache, a table in the dashboard's database, keeps each value pickled), not as process memory."""

import base64
import pickle
import re

from django.core.cache import cache
from django.db import connection

from dashboard.databases import CACHE_TABLE
from keyspace.redis.keynames import encode_key
from keyspace.services.namespaces import (
    MAX_COUNTS_PER_USER,
    NAME_BYTES,
    STATE_BYTES,
    count_step,
    load_count,
)
from tests.support.htmx import HTMX

SLACK = 64 * 1024  # pickling's own framing, the dataclass's other fields


def stored_counts() -> dict[str, int]:
    """Every namespace count in the cache, by cache key: its stored (pickled) size."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key, value FROM {CACHE_TABLE}")
        rows = cursor.fetchall()
    return {key: len(base64.b64decode(value)) for key, value in rows
            if "namespace-count:" in key}


def long_folders(r, prefix: bytes, folders: int, name_bytes: int) -> None:
    with r.pipeline(transaction=False) as pipe:
        for n in range(folders):
            name = f"{n:06d}".encode() + b"f" * (name_bytes - 6)
            pipe.set(prefix + name + b":key", b"v")
        pipe.execute()


def test_many_counts_over_long_prefixes_stay_within_the_bound(client, r):
    cache.clear()
    prefixes = [bytes([ord("a") + i]) * 5000 + b":" for i in range(3)]
    for prefix in prefixes:
        long_folders(r, prefix, 100, 2 * NAME_BYTES)  # 100 folders with names past the cut
    for n in range(30):
        token = encode_key(prefixes[n % 3])
        response = client.get("/c/default/db/0/namespaces/count/", {"prefix": token}, headers=HTMX)
        assert response.status_code == 200
    stored = stored_counts()
    assert 1 <= len(stored) <= MAX_COUNTS_PER_USER, list(stored)
    assert max(stored.values()) <= STATE_BYTES + SLACK
    assert sum(stored.values()) <= MAX_COUNTS_PER_USER * (STATE_BYTES + SLACK)
    # 100 distinct folders, each name cut to NAME_BYTES: still 100 folders, stored cut.
    html = response.content.decode()
    assert "Counted all 100 keys" in html
    assert html.count("…</span>") == 100
    assert max(stored.values()) < 100 * (NAME_BYTES + 100) + 5000 + SLACK


def test_cut_names_keep_folders_apart_and_show_no_drill_down(client, r):
    same_start = b"x" * (NAME_BYTES + 44)
    with r.pipeline(transaction=False) as pipe:
        for tail in (b"one", b"two"):
            for n in range(3):
                pipe.set(same_start + tail + b":" + str(n).encode(), b"v")
        pipe.set(b"short:1", b"v")
        pipe.execute()
    html = client.get("/c/default/db/0/namespaces/count/", headers=HTMX).content.decode()
    rows = re.findall(r'title="name cut at (\d+) bytes">(x+)…</span></td>\s*<td class="num">(\d+)<',
                      html)
    assert rows == [(str(NAME_BYTES), "x" * NAME_BYTES, "3")] * 2
    assert f"prefix={encode_key(b'short:')}" in html  # a short name keeps its link


def test_many_small_folders_stay_within_the_bytes_of_one_count(r, settings, db):
    cache.clear()
    settings.DASHBOARD_NAMESPACE_MAX_FOLDERS = 1_000_000
    with r.pipeline(transaction=False) as pipe:
        for n in range(60_000):
            pipe.set(f"folder-number-{n:08d}:k".encode(), b"v")
        pipe.execute()
    state = load_count("", b"", b":", owner="user-1")
    while not state.complete:
        state = count_step(r, state, 1000)
    assert state.untracked > 0 and sum(state.folders.values()) + state.untracked == 60_000
    assert len(pickle.dumps(state)) <= STATE_BYTES
    [size] = stored_counts().values()
    assert size <= STATE_BYTES + SLACK


def test_a_user_keeps_a_few_counts_and_others_keep_theirs(r, db):
    cache.clear()
    r.set("a:1", "v")
    mine = [count_step(r, load_count("", b"", b":", owner="user-1"), 100) for _ in range(3)]
    theirs = [count_step(r, load_count("", b"", b":", owner="user-2"), 100)
              for _ in range(MAX_COUNTS_PER_USER + 3)]
    assert MAX_COUNTS_PER_USER >= 3
    assert len(stored_counts()) == 3 + MAX_COUNTS_PER_USER
    for state in mine:  # the other user's counts pushed none of these out
        assert load_count(state.token, b"", b":", owner="user-1").token == state.token
    newest = theirs[-MAX_COUNTS_PER_USER:]
    for state in newest:
        assert load_count(state.token, b"", b":", owner="user-2").token == state.token
    oldest = theirs[0]
    assert load_count(oldest.token, b"", b":", owner="user-2").token != oldest.token
    # a token is only good for its owner
    assert load_count(mine[0].token, b"", b":", owner="user-2").token != mine[0].token
