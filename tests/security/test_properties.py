"""Property tests (hypothesis): hostile query strings and form posts never make the dashboard
answer 500, reads never write, refused writes change nothing, and any bytes survive the trip
through URLs and forms.

Hypothesis runs many examples inside one test function, so every example resets and seeds
Redis itself (the autouse fixture only flushes once per test function). Examples are
derandomized so CI sees the same inputs on every run.
"""

from __future__ import annotations

import html
import os
import re
from datetime import datetime
from urllib.parse import quote, urlencode

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from keyspace.display import bytes_to_text
from keyspace.redis.keynames import decode_key, encode_key, escape_glob, to_escaped
from keyspace.services.editing.guard import digest
from keyspace.services.editing.key_operations import KEY_OPERATIONS
from keyspace.units import registry
from tests.support.htmx import HTMX

pytestmark = pytest.mark.django_db



# For a longer hunt: PROPERTY_EXAMPLES_SCALE=20 PROPERTY_RANDOM=1 pytest tests/security/...
SCALE = float(os.environ.get("PROPERTY_EXAMPLES_SCALE", "1"))
RANDOM = bool(os.environ.get("PROPERTY_RANDOM"))


def _settings(examples: int):
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large],
    )


# --- a small keyspace, reset for every example ------------------------------------------------

TTL_MS = 605_000  # snapshots bucket TTLs by 10 s: 605 s stays in one bucket for 5 s

STRINGS = {
    b"str": b"hello world",
    b"num": b"41",
    b"float": b"2.5",
    b"json": b'{"a": [1, 2.50, "x"], "b": null}',
    b"crlf": b"one\r\ntwo\r\n",
    b"big-int": b"9223372036854775807",
    b"bin\xff\x00name": bytes(range(256)),
    b"nul\x00utf8": b"caf\xc3\xa9",
    b"<script>alert(1)</script>": b"<b>x</b>",
}
HASH = {b"f1": b"v1", b"n": b"5", b"fl": b"1.5", b"\xfe\x00": b"\x00\xff",
        b"max": b"9223372036854775807"}
LIST = [b"a", b"b", b"\xff", b"a", b"1"]
SET = [b"a", b"b", b"\x00\xfe", b"c"]
SET2 = [b"b", b"d"]
ZSET = {b"a": 1.0, b"b": 2.5, b"\xff": -3.0, b"top": float("inf"), b"low": float("-inf"),
        b"big": 1.7e308}
STREAM = [{b"f": b"1"}, {b"f": b"2", b"\xff": b"\x00"}]

KEYS_BY_TYPE = {
    "string": list(STRINGS) + [b"ttl:str"],
    "hash": [b"hash", b"hash1"],
    "list": [b"list", b"list1"],
    "set": [b"set", b"set2", b"set1"],
    "zset": [b"zset", b"zset1"],
    "stream": [b"stream"],
}
ALL_KEYS = [key for keys in KEYS_BY_TYPE.values() for key in keys] + [b"ns:a:1", b"ns:b"]
ROWS_BY_TYPE = {
    "hash": [encode_key(f) for f in HASH] + [encode_key(b"f")],
    "list": ["0", "1", "2", "4", "99"],
    "set": [encode_key(m) for m in SET] + [encode_key(b"missing")],
    "zset": [encode_key(m) for m in ZSET] + [encode_key(b"missing")],
    "stream": ["1-0", "2-0", "9-9"],
}


def seed(r, r1) -> None:
    r.flushall()
    with r.pipeline(transaction=False) as pipe:
        for name, value in STRINGS.items():
            pipe.set(name, value)
        pipe.set(b"ttl:str", b"expiring", px=TTL_MS)
        pipe.hset(b"hash", mapping=HASH)
        pipe.hset(b"hash1", b"only", b"one")
        pipe.rpush(b"list", *LIST)
        pipe.rpush(b"list1", b"only")
        pipe.sadd(b"set", *SET)
        pipe.sadd(b"set2", *SET2)
        pipe.sadd(b"set1", b"only")
        pipe.zadd(b"zset", ZSET)
        pipe.zadd(b"zset1", {b"only": 1})
        for number, entry in enumerate(STREAM, start=1):
            pipe.xadd(b"stream", entry, id=f"{number}-0")  # rows by ID (ROWS_BY_TYPE)
        pipe.set(b"ns:a:1", b"x")
        pipe.set(b"ns:b", b"y")
        pipe.execute()
    r1.set(b"other-db", b"1")


READERS = {
    "string": lambda pipe, key: pipe.get(key),
    "hash": lambda pipe, key: pipe.hgetall(key),
    "list": lambda pipe, key: pipe.lrange(key, 0, -1),
    "set": lambda pipe, key: pipe.smembers(key),
    "zset": lambda pipe, key: pipe.zrange(key, 0, -1, withscores=True),
    "stream": lambda pipe, key: pipe.xrange(key),
}


def snapshot(*clients) -> list[dict]:
    """Every key of every given db: type, whole value and TTL (bucketed by 10 s)."""
    dbs = []
    for client in clients:
        keys = sorted(client.scan_iter(count=1000))
        with client.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.type(key)
                pipe.pttl(key)
            replies = pipe.execute()
        types = [t.decode() for t in replies[::2]]
        with client.pipeline(transaction=True) as pipe:
            for key, kind in zip(keys, types, strict=True):
                READERS.get(kind, lambda pipe, key: pipe.dump(key))(pipe, key)
            values = pipe.execute()
        dbs.append({
            key: (kind, sorted(value.items()) if isinstance(value, dict)
                  else sorted(value) if isinstance(value, set) else value,
                  pttl if pttl < 0 else pttl // 10_000)
            for key, kind, pttl, value in zip(keys, types, replies[1::2], values, strict=True)
        })
    return dbs


# --- hostile text ------------------------------------------------------------------------------

# Any Unicode a URL or form can carry (no lone surrogates: those cannot be encoded at all).
UNICODE = st.characters(exclude_categories=("Cs",))
CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F)

NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from([
        "0", "-0", "1", "-1", "+1", "1.0", "0.5", "-0.5", "1e3", "1e308", "-1e308", "1e309",
        "1e-400", "nan", "NaN", "-nan", "inf", "+inf", "-inf", "Infinity", "-Infinity",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "18446744073709551615", "18446744073709551616", "9" * 19,
        "9" * 20, "9" * 40, "1" + "0" * 5000, "0x10", "1_000", "\u0661\u0662", "\uff11",
        " 5 ", "5\n", "1.7976931348623157e308", "(5", "((5", "(", "(-inf", "(+inf",
    ]),
)

SPECIAL_TEXT = st.sampled_from([
    "", " ", "\t", "\n", "\r\n", "\x00", "\x00\x01", "*", "?", "[", "[a-", "\\", "\\x", "\\xff",
    "\\0", "%", "%00", "%ff", "&", "=", "+", "/", "..", "../..", "<script>", "'\"", "\u202e",
    "\ufeff", "\uffff", "\U0010ffff", "0-0", "0-1", "18446744073709551615-18446744073709551615",
    "18446744073709551616-0", "0.0", "1.0", "999.0", "0.18446744073709551615", "1.2.3",
    "text", "hex", "json", "escaped", "auto", "head", "tail", "asc", "desc", "newest", "oldest",
    "union", "inter", "diff", "lines", "one", "on", "off", "true", "s", "ms", "at", "add",
    "subtract", "before", "after", "keep", "pretty", "lf", "crlf", "absent",
])

HUGE = st.sampled_from([1_000, 4_097, 20_001, 70_000]).flatmap(
    lambda n: st.sampled_from(["9" * n, "a" * n, "\\xff" * (n // 4), "\u00e9" * n, "\x00" * n])
)

TEXT = st.one_of(
    st.text(UNICODE, max_size=30),
    st.text(CONTROL, max_size=5),
    st.text(st.characters(codec="ascii"), max_size=20),
    SPECIAL_TEXT,
    NUMBERS,
    st.binary(max_size=40).map(lambda b: b.hex()),
    st.binary(max_size=40).map(lambda b: b.hex(" ")),
    st.binary(max_size=40).map(encode_key),
    st.binary(max_size=40).map(to_escaped),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.binary(max_size=40).map(lambda b: b.decode("utf-8", "replace")),
    HUGE,
)

SPECIAL_BY_NAME = {
    "type": registry.type_names() + ["unsupported", "none", "String"],
    "order": ["auto", "text", "json", "hex", "head", "tail", "asc", "desc", "newest", "oldest"],
    "key": [to_escaped(k) for k in ALL_KEYS] + [k.decode("latin-1") for k in ALL_KEYS],
    "match": ["*", "ns:*", "\\xff*", "[", "\\", "*\\x00*", "f*"],
    "cursor": ["0", "1", "5", "18446744073709551615", "18446744073709551616", "0-0", "1-1",
               "18446744073709551615-18446744073709551615", "0.0", "1.0", "1.5", "9.9"],
    "count": ["0", "-1", "1", "1000", "1001", "10000000000000000000000"],
    "prefix": [encode_key(p) for p in (b"ns:", b"ns:a:", b"", b"\xff", b"ns")],
    "delimiter": [":", "/", " ", "::", "\u00e9", "\\", "*"],
    "scan": ["", "abc", "x" * 40],
    "row": [row for rows in ROWS_BY_TYPE.values() for row in rows] + ["-1", "", "===", "+/"],
    "member": [to_escaped(m) for m in ZSET] + ["top", "missing"],
    "min": ["(1", "-inf", "+inf", "(", "2.5", "(+inf"],
    "max": ["(1", "-inf", "+inf", "(", "2.5", "(-inf"],
    "others": ["set2", "set2\nset1", "str", "missing", "set", "\\xff", "set2\n" * 40],
    "others_format": ["text", "escaped", "hex"],
    "operation": ["union", "inter", "diff", "ttl", "create", "string-edit"],
    "outcome": ["ok", "refused", "conflict", "failed"],
    "members_encoding": ["text", "hex"],
    "member_format": ["text", "hex"],
    "mode": ["lines", "one"],
    "run": ["1", ""],
    "channel": ["news", "\\xff", "a*"],
    "pattern": ["*", "n*", "["],
}


def value_for(name: str) -> st.SearchStrategy:
    single = TEXT
    if name in SPECIAL_BY_NAME:
        single = st.one_of(st.sampled_from(SPECIAL_BY_NAME[name]), TEXT)
    # Repeated parameters (?a=1&a=2): Django reads the last one, pub/sub reads them all.
    return st.one_of(single, st.lists(single, min_size=2, max_size=4))


CURRENT_URLS = st.one_of(
    st.sampled_from(["http://testserver/db/0/", "http://testserver", "http://[", "http://[::1",
                     "https://testserver/x", "//evil.example/", "http://testserver:abc/",
                     "http://testserver/%ff?\x00", "javascript:alert(1)"]),
    st.text(st.characters(codec="latin-1"), max_size=30),
)
HEADERS = st.one_of(
    st.sampled_from([
        {},
        HTMX,
        {**HTMX, "HX-Target": "load-more"},
        {**HTMX, "HX-Target": "value-more"},
        {**HTMX, "HX-Boosted": "true"},
        {**HTMX, "HX-History-Restore-Request": "true"},
    ]),
    CURRENT_URLS.map(lambda url: {**HTMX, "HX-Current-URL": url}),
)
WHO = st.sampled_from(["editor", "editor", "viewer", "anonymous"])


@pytest.fixture
def clients(client, viewer_client, anonymous_client):
    """The signed-in editor, a viewer (may read, not write) and nobody."""
    return {"editor": client, "viewer": viewer_client, "anonymous": anonymous_client}


# --- property 1: GET routes ------------------------------------------------------------------

JUNK_PARAMS = ["x", "csrfmiddlewaretoken", "next", ""]
TOOL_FIELDS = ["run", "count", "repeats", "members", "members_encoding", "mode", "operation",
               "others", "others_format", "cursor", "member", "member_format"]
LEADERBOARD_FIELDS = ["count", "order", "offset", "member", "around", "min", "max", "min_open",
                      "max_open"]

TOP_ROUTES = {
    "/": ["next"],
    "/sign-in/": ["next"],
    "/audit/": ["user", "operation", "outcome", "key", "page"],
}
DB_ROUTES = {
    "": ["match", "type", "key", "cursor", "count"],
    "server/": [],
    "new/": [],
    "pubsub/": ["channel", "pattern", "filter"],
    "pubsub/channels/": ["filter"],
    "pubsub/stream/": ["channel", "pattern"],
    "pubsub/publish/": [],
    "namespaces/": ["prefix", "delimiter", "scan"],
    "namespaces/count/": ["prefix", "delimiter", "scan"],
}
KEY_ROUTES = {
    "": ["cursor", "count", "match", "order"],
    "download/": [],
    "row/": ["row"],
    "edit/{action}/": ["row"],
    "tool/{action}/": TOOL_FIELDS,
    "leaderboard/": LEADERBOARD_FIELDS,
}
EDIT_ACTIONS = sorted(
    {name for t in registry.type_names() for name in registry.unit_for(t).operations}
    | set(KEY_OPERATIONS)
) + ["nope", "create"]
TOOL_ACTIONS = sorted(
    {name for t in registry.type_names() for name in registry.unit_for(t).tools}
) + ["nope", "set-store"]

DBS = st.sampled_from([0] * 6 + [1, 15, 16, 9999])
KEY_NAMES = st.one_of(st.sampled_from(ALL_KEYS + [b"missing", b""]), st.binary(max_size=20))


def _actions(type_name: str, path: str) -> list[str]:
    unit = registry.unit_for(type_name)
    if path.startswith("tool"):
        return sorted(unit.tools) or ["nope"]
    return sorted(unit.operations) + sorted(KEY_OPERATIONS)


# (kind, path, type of key): every route, and every key route with every type of key.
GET_CASES = (
    [("top", path, "") for path in TOP_ROUTES]
    + [("once", "", "")]
    + [("db", path, "") for path in DB_ROUTES]
    + [("key", path, t) for path in ("", "edit/{action}/") for t in KEYS_BY_TYPE]
    + [("key", "row/", t) for t in ("hash", "list", "set", "zset")]
    + [("key", "download/", "string"), ("key", "tool/{action}/", "set"),
       ("key", "tool/{action}/", "zset"), ("key", "leaderboard/", "zset")]
    + [("key", path, "any") for path in KEY_ROUTES]
)


@st.composite
def get_requests(draw, kind: str, path: str, type_name: str):
    if kind == "top":
        url, names = path, TOP_ROUTES[path]
    elif kind == "once":
        token = draw(st.from_regex(r"[-a-zA-Z0-9_]{1,60}", fullmatch=True))
        url, names = f"/sign-in/once/{token}/", []
    elif kind == "db":
        url, names = f"/c/default/db/{draw(DBS)}/{path}", DB_ROUTES[path]
    else:
        if type_name != "any":  # a real key, of a type that has the action
            key = draw(st.sampled_from(KEYS_BY_TYPE[type_name]))
            action = draw(st.sampled_from(_actions(type_name, path)))
            db = 0
        else:
            key = draw(KEY_NAMES)
            actions = TOOL_ACTIONS if path.startswith("tool") else EDIT_ACTIONS
            action = draw(st.sampled_from(actions))
            db = draw(DBS)
        url = f"/c/default/db/{db}/key/{encode_key(key)}/{path.format(action=action)}"
        names = KEY_ROUTES[path]
    chosen = draw(st.lists(st.sampled_from(names + JUNK_PARAMS), unique=True, max_size=6))
    params = {name: draw(value_for(name)) for name in chosen}
    return url, params, draw(HEADERS)


ASYNC_ROUTES = ("/download/", "/pubsub/stream/")


async def _async_get(async_client, url, params, headers):
    """Async views through the async client: a download is read to its end (it closes its
    own Redis connection); an event stream is left unread (it never ends)."""
    response = await async_client.get(url, params, headers=headers)
    if response.streaming and not response["Content-Type"].startswith("text/event-stream"):
        b"".join([chunk async for chunk in response.streaming_content])
    return response


@pytest.mark.parametrize(("kind", "path", "type_name"), GET_CASES,
                         ids=[f"{k}:{p or '-'}:{t or '-'}" for k, p, t in GET_CASES])
@_settings(12)
@given(data=st.data())
def test_get_routes_never_fail_and_never_write(clients, async_client, r, r1, kind, path,
                                               type_name, data):
    url, params, headers = data.draw(get_requests(kind, path, type_name), label="request")
    who = data.draw(WHO, label="who")
    method = data.draw(st.sampled_from(["get"] * 6 + ["head", "options", "put", "delete"]),
                       label="method")
    seed(r, r1)
    before = snapshot(r, r1)
    if method != "get" and not url.endswith(ASYNC_ROUTES):
        # Only POST writes: any other method is a read (or refused), whatever it carries.
        query = urlencode(params, doseq=True)
        response = getattr(clients[who], method)(f"{url}?{query}", headers=headers)
    elif url.endswith(ASYNC_ROUTES) and who == "editor":
        response = async_to_sync(_async_get)(async_client, url, params, headers)
    elif url.endswith(ASYNC_ROUTES):
        # Refused before the view runs, but through the async path all the same.
        response = clients[who].get(url, params, headers=headers)
        if response.streaming:
            response.close()
    else:
        response = clients[who].get(url, params, headers=headers)
    shape = re.sub(r"/db/[0-9]+/", "/db/N/", url)
    shape = re.sub(r"/(key|once)/[^/]*/", r"/\1/T/", shape)
    event(f"{who} {method} {shape} {response.status_code}")
    assert response.status_code < 500, (url, params, response.content[:500])
    assert snapshot(r, r1) == before, (url, params)


# --- property 2: edits -----------------------------------------------------------------------

# Each type's own operations on a key of that type; the key operations on a key of any type
# (drawn per example); creating a key; publishing. Module types' edits are not here: this
# server has no modules (tests/units/rejson/ and tests/units/bloom/ run them on one that has).
EDIT_CASES = (
    [(t, op) for t in registry.type_names() if t in KEYS_BY_TYPE
     for op in registry.unit_for(t).operations]
    + [("any", op) for op in KEY_OPERATIONS]
    + [("-", "create"), ("-", "publish")]
)

INPUT_RE = re.compile(r"<input\b[^>]*>")
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')
TEXTAREA_RE = re.compile(r"<textarea\b([^>]*)>\n?(.*?)</textarea>", re.S)
SELECT_RE = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)
OPTION_RE = re.compile(r'<option value="([^"]*)"( selected)?')


POST_FORM_RE = re.compile(r'<form\b[^>]*method="post"[^>]*>.*?</form>', re.S)


def parse_form(page: str) -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    """(fields a browser would send, each field's kind, each select's options) of the page's
    edit form (the first form that posts; a whole page has others, such as sign-out)."""
    forms_found = [f for f in POST_FORM_RE.findall(page)
                   if "sign-out" not in f[:300] and "/undo/" not in f[:300]]
    body = forms_found[0] if forms_found else ""
    values: dict[str, str] = {}
    kinds: dict[str, str] = {}
    options: dict[str, list[str]] = {}
    for tag in INPUT_RE.findall(body):
        attrs = {k: html.unescape(v) for k, v in ATTR_RE.findall(tag)}
        name = attrs.get("name")
        if not name:
            continue
        kind = attrs.get("type", "text")
        kinds[name] = "disabled" if re.search(r"\sdisabled[\s>]", tag) else kind
        if kind == "checkbox":
            if re.search(r"\schecked[\s>]", tag):
                values[name] = "on"
        else:
            values[name] = attrs.get("value", "")
    for attrs_text, text in TEXTAREA_RE.findall(body):
        name = dict(ATTR_RE.findall(attrs_text)).get("name")
        if name:
            values[name] = html.unescape(text)
            kinds[name] = "disabled" if " disabled" in attrs_text else "textarea"
    for attrs_text, inner in SELECT_RE.findall(body):
        name = dict(ATTR_RE.findall(attrs_text)).get("name")
        if not name:
            continue
        found = OPTION_RE.findall(inner)
        options[name] = [html.unescape(v) for v, _ in found]
        chosen = [v for v, selected in found if selected] or [v for v, _ in found[:1]]
        values[name] = html.unescape(chosen[0]) if chosen else ""
        kinds[name] = "select"
    values.pop("csrfmiddlewaretoken", None)
    return values, kinds, options


BYTES = st.one_of(
    st.binary(max_size=60),
    st.sampled_from([b"", b"\x00", b"\r\n", b"\r", b"\n", b"\xff\xfe", b"41", b"a", b"b",
                     b"only", b"{}", b"[1, 2]", b'{"a": 1}', b"NaN", b"2.5", b"1e400"]),
    st.text(UNICODE, max_size=20).map(lambda t: t.encode("utf-8")),
)
NAMES = st.one_of(
    st.sampled_from(ALL_KEYS + [b"new", b"new:key", b"\xff\x00new", b"str", b"set2"]),
    st.binary(min_size=0, max_size=30),
)
SMALL_NUMBERS = st.one_of(
    st.integers(-10, 10).map(str),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-1e6, 1e6).map(repr),
)
PLAUSIBLE = {
    "amount": st.one_of(SMALL_NUMBERS, st.integers(1, 10**9).map(str)),
    "score": st.one_of(SMALL_NUMBERS, st.sampled_from(["inf", "-inf", "+inf", "1.7e308"])),
    "ttl": st.integers(-5, 10**7).map(str),
    "count": st.integers(-5, 5).map(str),
    "start": st.integers(-7, 7).map(str),
    "stop": st.integers(-7, 7).map(str),
    "at": st.one_of(
        st.just(""),
        st.datetimes(datetime(2000, 1, 1), datetime(2200, 1, 1)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")),
    ),
    "others": st.lists(st.sampled_from(["set", "set1", "set2", "str", "missing", "hash"]),
                       min_size=1, max_size=4).map("\n".join),
    "pairs": st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)),
                      min_size=1, max_size=4).map(lambda ps: "\n".join(f"{a}={b}" for a, b in ps)),
    "lines": st.lists(st.tuples(st.text(min_size=1, max_size=8), SMALL_NUMBERS | st.just("inf")),
                      min_size=1, max_size=4).map(lambda ps: "\n".join(f"{a} {b}" for a, b in ps)),
    "members": st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4).map("\n".join),
    "elements": st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4).map("\r\n".join),
    "channel": st.text(min_size=1, max_size=20),
}
HOSTILE_AT = st.sampled_from([
    "9999-12-31T23:59", "0001-01-01T00:00", "2100-01-01T00:00+14:00", "2030-02-30T00:00",
    "2030-01-01T00:00:00-12:00", "1970-01-01", "2038-01-19T03:14:08",
])


def _rendered(value: bytes, encoding: str) -> st.SearchStrategy:
    if encoding == "hex":
        return st.sampled_from([value.hex(), value.hex(" "), value.hex().upper() + "\n"])
    if encoding == "escaped":
        return st.just(to_escaped(value))
    return st.just(value.decode("utf-8", "replace"))


@st.composite
def bytes_field(draw, values: st.SearchStrategy, options: list[str]):
    """(text, encoding or format): bytes written the way the chosen encoding reads them,
    now and then in another."""
    value = draw(values)
    encoding = draw(st.sampled_from((options or ["text"]) + ["hex"]))
    written_as = draw(st.sampled_from([encoding] * 3 + ["text", "hex", "escaped"]))
    return draw(_rendered(value, written_as)), encoding


@st.composite
def field_value(draw, name: str, kind: str, options: list[str], hostile: bool):
    if kind == "checkbox":
        return draw(st.sampled_from(["on", None, "off", ""] if hostile else ["on", None]))
    if kind == "select" or name in ("unit", "where"):
        return draw(TEXT if hostile else st.sampled_from(options or ["text"]))
    if hostile:
        return draw(st.one_of(NUMBERS, HOSTILE_AT, TEXT) if name in PLAUSIBLE else TEXT)
    return draw(PLAUSIBLE.get(name, TEXT))


def _key_and_row(data, type_name: str, op_name: str):
    key = data.draw(st.sampled_from(KEYS_BY_TYPE[type_name]), label="key")
    operation = registry.unit_for(type_name).operations.get(op_name) or KEY_OPERATIONS[op_name]
    query = {}
    if operation.scope == "row":
        query["row"] = data.draw(st.sampled_from(ROWS_BY_TYPE[type_name]), label="row")
    return key, f"/c/default/db/0/key/{encode_key(key)}/edit/{op_name}/", query


CHANGES = {
    b"string": lambda r, key: r.append(key, b"!"),
    b"hash": lambda r, key: r.hset(key, b"f1", b"changed"),
    b"list": lambda r, key: r.lset(key, 0, b"changed"),
    b"set": lambda r, key: r.sadd(key, b"added"),
    b"zset": lambda r, key: r.zincrby(key, 1, r.zrange(key, 0, 0)[0]),
    b"stream": lambda r, key: r.xadd(key, {b"f": b"new"}),
}


def meddle(r, key: bytes, how: str | None) -> None:
    """What another client does between the form being drawn and it being sent."""
    if how == "delete":
        r.delete(key)
    elif how == "retype":
        r.delete(key)
        r.rpush(key, b"now a list") if key.startswith((b"str", b"num")) else r.set(key, b"41")
    elif how == "change":
        CHANGES[r.type(key)](r, key)


@pytest.mark.parametrize(("type_name", "op_name"), EDIT_CASES,
                         ids=[f"{t}:{o}" for t, o in EDIT_CASES])
@_settings(14)
@given(data=st.data())
def test_edits_never_fail_and_refusals_change_nothing(client, r, r1, type_name, op_name, data):
    seed(r, r1)
    key = None
    if type_name == "-":
        url = ("/c/default/db/0/new/" if op_name == "create"
               else "/c/default/db/0/pubsub/publish/")
        query = {}
    elif type_name == "any":
        kind = data.draw(st.sampled_from(sorted(KEYS_BY_TYPE)), label="type")
        key, url, query = _key_and_row(data, kind, op_name)
    else:
        key, url, query = _key_and_row(data, type_name, op_name)
    headers = HTMX if data.draw(st.booleans(), label="htmx") else {}
    form_page = client.get(url, query, headers=headers)
    assert form_page.status_code < 500
    if form_page.status_code != 200:
        return
    fields, kinds, options = parse_form(form_page.content.decode())
    assert fields, form_page.content[:500]

    # Each visible field: kept as drawn, or a plausible value, or a hostile one.
    posted = {name: value for name, value in fields.items() if kinds[name] != "disabled"}
    for name in sorted(kinds):
        kind = kinds[name]
        if kind in ("hidden", "disabled") or name.endswith(("_encoding", "_format")):
            continue
        choices = ["plausible", "plausible", "hostile"]
        if fields.get(name) or kind == "checkbox":
            choices.append("keep")
        choice = data.draw(st.sampled_from(choices), label=f"{name}?")
        if choice == "keep":
            continue
        sibling = next((f"{name}_{s}" for s in ("encoding", "format") if f"{name}_{s}" in kinds),
                       None)
        if sibling:
            values = NAMES if sibling.endswith("_format") else BYTES
            text, encoding = data.draw(bytes_field(values, options.get(sibling, [])), label=name)
            if choice == "hostile":
                text = data.draw(TEXT, label=f"hostile {name}")
            posted[name], posted[sibling] = text, encoding
            continue
        value = data.draw(field_value(name, kind, options.get(name, []), choice == "hostile"),
                          label=name)
        if value is None:
            posted.pop(name, None)
        else:
            posted[name] = value
    # The hidden tokens (expected, confirm, row, expected_type) are kept as the form drew
    # them, except now and then one is damaged.
    hidden = sorted(name for name, kind in kinds.items() if kind == "hidden")
    tamper = data.draw(st.sampled_from([None] * 8 + hidden), label="tamper")
    if tamper is not None:
        posted[tamper] = data.draw(TEXT, label=f"damaged {tamper}")

    if key is not None:
        meddle(r, key, data.draw(st.sampled_from([None] * 5 + ["delete", "retype", "change"]),
                                 label="meanwhile"))
    response = _post_and_check(client, r, r1, url, posted, headers)
    # A form that comes back (a conflict showing what is there now, a trim asking to
    # confirm) is sent again as drawn, once: the informed second submit.
    again, _, _ = parse_form(response.content.decode()) if response.status_code in (
        200, 409) else ({}, None, None)
    if again and data.draw(st.booleans(), label="submit again"):
        for name in ("value", "members", "elements", "lines", "pairs"):
            if name in again and name in posted:  # a textarea's text as the browser keeps it
                again[name] = posted[name]
        _post_and_check(client, r, r1, url, again, headers, label="again")


def _post_and_check(client, r, r1, url, posted, headers, label=""):
    before = snapshot(r, r1)
    response = client.post(url, posted, headers=headers)
    event(f"POST {label} {response.status_code}")
    assert response.status_code < 500, response.content[:500]
    if 400 <= response.status_code < 500:
        after = snapshot(r, r1)
        assert after == before, (response.status_code, posted, response.content[:800])
    return response


@_settings(12)
@given(op=st.sampled_from(["ttl", "string-set-expiry"]), amount=st.integers(1, 3000),
       unit=st.sampled_from(["ms", "s"]), htmx=st.booleans())
@example(op="ttl", amount=1, unit="ms", htmx=True)
@example(op="string-set-expiry", amount=1, unit="ms", htmx=True)
def test_short_expiries_are_refused_or_done_never_both(client, r, r1, op, amount, unit, htmx):
    """A TTL so short the key is gone before the page is redrawn: the edit either is refused
    (and changes nothing) or is reported as done; never an error page for a write that
    happened."""
    seed(r, r1)
    url = f"/c/default/db/0/key/{encode_key(b'str')}/edit/{op}/"
    headers = HTMX if htmx else {}
    fields, _, _ = parse_form(client.get(url, headers=headers).content.decode())
    fields.update(amount=str(amount), unit=unit)
    _post_and_check(client, r, r1, url, fields, headers)


# --- property 3: any bytes round-trip through URLs, links and forms ---------------------------

TOKEN_LINK = re.compile(r'href="/c/default/db/0/key/([A-Za-z0-9_-]*)/"')
# A row's opener (its token) and the table's row actions (their URLs, once per table).
ROW_OPENER = re.compile(r'<a href="\?row=([^"]*)">')
ROW_ACTION = re.compile(r'data-action="(/c/default/db/0/key/[A-Za-z0-9_-]*/edit/([a-z-]+)/)\?row="')


@_settings(40)
@given(name=st.binary(min_size=1, max_size=300))
def test_any_bytes_key_name_opens_and_links_back(client, r, name):
    r.flushall()
    r.set(name, b"value")
    r.set(b"neighbour", b"n")
    token = encode_key(name)
    page = client.get(f"/c/default/db/0/key/{token}/")
    assert page.status_code == 200
    body = page.content.decode()
    shown = html.escape(bytes_to_text(name))
    assert f">{shown}</h1>" in body

    listing = client.get("/c/default/db/0/")
    assert listing.status_code == 200
    linked = {decode_key(t) for t in TOKEN_LINK.findall(listing.content.decode())}
    assert name in linked, (token, sorted(linked))

    # Found again as typed in its shown (escaped) form, and by an escaped glob.
    for params in ({"key": to_escaped(name)}, {"match": to_escaped(escape_glob(name))}):
        found = client.get("/c/default/db/0/", params)
        assert found.status_code == 200, (params, found.content[:300])
        tokens = {decode_key(t) for t in TOKEN_LINK.findall(found.content.decode())}
        assert name in tokens, (params, sorted(tokens))


MEMBER_EDITS = {"hash": "hash-set", "set": "set-remove", "zset": "zset-score"}


@_settings(30)
@given(kind=st.sampled_from(sorted(MEMBER_EDITS)), member=st.binary(min_size=0, max_size=300),
       key=st.binary(min_size=1, max_size=40))
def test_any_bytes_field_or_member_round_trips_through_its_row(client, r, kind, member, key):
    r.flushall()
    other = b"other" if member != b"other" else b"another"
    if kind == "hash":
        r.hset(key, mapping={member: b"old", other: b"o"})
    elif kind == "set":
        r.sadd(key, member, other)
    else:
        r.zadd(key, {member: 1.5, other: 2})
    page = client.get(f"/c/default/db/0/key/{encode_key(key)}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert html.escape(bytes_to_text(member)[:2048]) in body
    opened = {decode_key(html.unescape(token)) for token in ROW_OPENER.findall(body)}
    assert member in opened, sorted(opened)
    actions = {action: path for path, action in ROW_ACTION.findall(body)}
    action = MEMBER_EDITS[kind]
    assert action in actions, sorted(actions)
    path = actions[action]
    row = encode_key(member)
    form_page = client.get(path, {"row": row}, headers=HTMX)
    assert form_page.status_code == 200, form_page.content[:300]
    fields, _, _ = parse_form(form_page.content.decode())
    assert decode_key(fields["row"]) == member
    if kind == "hash":
        assert fields["expected"] == digest(b"old")
        fields.update(value="new", value_encoding="text")
    elif kind == "zset":
        assert fields["expected"] == "1.5"
        fields["score"] = "7"
    response = client.post(path, fields, headers=HTMX)
    assert response.status_code == 200, response.content[:300]
    if kind == "hash":
        assert r.hgetall(key) == {member: b"new", other: b"o"}
    elif kind == "set":
        assert r.smembers(key) == {other}
    else:
        assert r.zrange(key, 0, -1, withscores=True) == [(other, 2.0), (member, 7.0)]


FOLDER_LINK = re.compile(
    r'href="/c/default/db/0/namespaces/\?prefix=([A-Za-z0-9_-]*)&amp;delimiter=([^"]*)"')
LEAF_LINK = re.compile(r'<td class="key-name"><a href="/c/default/db/0/key/([A-Za-z0-9_-]*)/">')


@_settings(25)
@given(
    delimiter=st.sampled_from([":", "/", "::", "\u00e9", " ", "\\", "*"]),
    names=st.lists(
        st.lists(st.one_of(st.binary(max_size=6), st.sampled_from([b"a", b"\xff", b"*", b"["])),
                 min_size=1, max_size=4),
        min_size=1, max_size=8,
    ),
)
def test_every_key_is_reached_once_through_the_namespace_folders(client, r, delimiter, names):
    """Folders and leaves, followed from the top by their links, reach every key exactly once
    (any bytes in the names, glob characters included)."""
    separator = delimiter.encode()
    keys = {separator.join(parts) for parts in names}
    keys.discard(b"")
    r.flushall()
    for key in keys:
        r.set(key, b"v")
    reached: list[bytes] = []
    pending, seen_prefixes = [b""], set()
    while pending:
        prefix = pending.pop()
        assert prefix not in seen_prefixes, prefix
        seen_prefixes.add(prefix)
        page = client.get("/c/default/db/0/namespaces/count/",  # the counts alone, as htmx asks
                          {"prefix": encode_key(prefix), "delimiter": delimiter}, headers=HTMX)
        assert page.status_code == 200
        body = page.content.decode()
        for token, linked_delimiter in FOLDER_LINK.findall(body):
            folder = decode_key(token)
            assert folder.startswith(prefix) and folder.endswith(separator), (prefix, folder)
            assert html.unescape(linked_delimiter) == quote(delimiter), linked_delimiter
            pending.append(folder)
        reached += [decode_key(token) for token in LEAF_LINK.findall(body)]
    assert sorted(reached) == sorted(keys)


ELEMENT_SPAN = re.compile(r'<span class="element(?: binary)?">(.*?)</span>', re.S)
NEXT_PAGE = re.compile(r'data-compare-next href="([^"]*)"')
MEMBER_SETS = st.one_of(
    st.sets(st.integers(0, 600).map(lambda i: str(i).encode()), max_size=300),
    st.sets(st.binary(min_size=1, max_size=8), max_size=40),
)
OTHER_NAMES = [b"B", b"\xffC", b"missing"]


@_settings(20)
@given(kind=st.sampled_from(["union", "inter", "diff"]), this=MEMBER_SETS,
       others=st.lists(st.tuples(st.sampled_from(OTHER_NAMES), MEMBER_SETS), min_size=1,
                       max_size=3, unique_by=lambda pair: pair[0]),
       count=st.integers(1, 40))
def test_compare_pages_add_up_to_the_whole_result(client, r, kind, this, others, count):
    """Following the "Next page" links of a set comparison lists exactly the members of
    SUNION/SINTER/SDIFF, each once, whatever the page size and whatever bytes the names
    and members hold."""
    r.flushall()
    r.sadd(b"A", b"seed", *this)
    for name, members in others:
        if name != b"missing" and members:
            r.sadd(name, *members)
    names = [name for name, _ in others]
    expected = {"union": r.sunion, "inter": r.sinter, "diff": r.sdiff}[kind](b"A", *names)
    params = {"run": "1", "operation": kind, "count": str(count), "others_format": "escaped",
              "others": "\n".join(to_escaped(name) for name in names)}
    url = f"/c/default/db/0/key/{encode_key(b'A')}/tool/set-compare/"
    shown: list[str] = []
    for _ in range(1000):
        page = client.get(url, params, headers=HTMX)
        assert page.status_code == 200, page.content[:300]
        body = page.content.decode()
        result = body.split('class="values compare-result"', 1)
        if len(result) == 2:
            shown += [html.unescape(text) for text in ELEMENT_SPAN.findall(result[1])]
        following = NEXT_PAGE.search(body)
        if not following:
            break
        url, params = html.unescape(following.group(1)), {}
    else:
        pytest.fail("the comparison never ended")
    assert sorted(shown) == sorted(bytes_to_text(m) for m in expected)


BOARD_ROW = re.compile(r'<tr id="board-([A-Za-z0-9_-]*)"( class="current")?')
JUMP_LINK = re.compile(r'<tr id="board-([A-Za-z0-9_-]*)"[^>]*>\s*<td class="num">[^<]*</td>\s*'
                       r'<td><a href="([^"]*)">')
NEXT_BOARD = re.compile(r'rel="next" href="([^"]*)"')
SEE_ON_BOARD = re.compile(r'<a href="([^"]*)">See it on the leaderboard</a>')
ZSET_MEMBERS = st.one_of(
    st.binary(min_size=1, max_size=6),
    # Members whose shown forms collide: "\n" is shown as \n, and "\\n" is \n typed.
    st.sampled_from([b"\n", b"\\n", b"\xff", b"\\xff", b"\\", b"\\\\", b"\x00", b"\\0", b"a b"]),
)
SCORES = st.one_of(st.integers(-3, 3).map(float), st.floats(allow_nan=False))


BOARD_SETS = st.dictionaries(ZSET_MEMBERS, SCORES, min_size=1, max_size=25)
SMALL_BOARDS = st.dictionaries(ZSET_MEMBERS, SCORES, min_size=1, max_size=8)
BOARD_URL = f"/c/default/db/0/key/{encode_key(b'board')}/leaderboard/"


def _current(page) -> list[bytes]:
    """The member(s) a board marks as the one asked for."""
    return [decode_key(t) for t, mark in BOARD_ROW.findall(page.content.decode()) if mark]


@_settings(20)
@given(scores=BOARD_SETS, order=st.sampled_from(["desc", "asc"]), count=st.integers(1, 7))
def test_leaderboard_pages_list_the_set_in_rank_order(client, r, scores, order, count):
    """The board's pages, followed by their Next links, list the set in rank order."""
    r.flushall()
    r.zadd(b"board", scores)
    expected = (r.zrevrange if order == "desc" else r.zrange)(b"board", 0, -1)
    listed = []
    url, params = BOARD_URL, {"order": order, "count": str(count)}
    for _ in range(100):
        page = client.get(url, params)
        assert page.status_code == 200
        body = page.content.decode()
        listed += [decode_key(token) for token, _ in BOARD_ROW.findall(body)]
        following = NEXT_BOARD.search(body)
        if not following:
            break
        url, params = html.unescape(following.group(1)), {}
    assert listed == expected


@_settings(15)
@given(scores=SMALL_BOARDS)
def test_leaderboard_jump_links_open_the_board_at_that_member(client, r, scores):
    """Each row's link (its member, to jump to) opens the board around that very member."""
    r.flushall()
    r.zadd(b"board", scores)
    page = client.get(BOARD_URL, {"count": "100"})
    jumps = {decode_key(token): html.unescape(href)
             for token, href in JUMP_LINK.findall(page.content.decode())}
    assert set(jumps) == set(scores)
    for member, href in sorted(jumps.items()):
        board = client.get(href)
        assert board.status_code == 200
        assert _current(board) == [member], (member, href)


@_settings(15)
@given(scores=SMALL_BOARDS)
def test_zset_lookup_links_to_the_board_at_that_member(client, r, scores):
    """The look-up tool finds a member given exactly (as hex), and its "See it on the
    leaderboard" link opens the board around that member."""
    r.flushall()
    r.zadd(b"board", scores)
    for member in sorted(scores):
        found = client.get(f"/c/default/db/0/key/{encode_key(b'board')}/tool/zset-lookup/",
                           {"run": "1", "member": member.hex(), "member_format": "hex"},
                           headers=HTMX)
        assert found.status_code == 200
        link = SEE_ON_BOARD.search(found.content.decode())
        assert link, found.content[:500]
        board = client.get(html.unescape(link.group(1)))
        assert _current(board) == [member], (member, link.group(1))
