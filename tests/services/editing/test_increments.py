"""One reading of increment amounts for strings, hashes and sorted sets, held against what the
real Redis does with the same text, and one check of the result before anything is written."""

from __future__ import annotations

import html
import re

import pytest
import redis

from keyspace.services.editing.increments import integer_of
from tests.services.editing.forms import open_form, submit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url

KEY = b"n"
SCRATCH = b"oracle"

# (form action, row, how to seed a key holding `start`, how Redis itself adds `amount`, read)
TYPES = {
    "string": (
        "string-incr",
        None,
        lambda r, key, start: r.set(key, start),
        lambda r, key, amount: (
            r.incrby(key, amount) if integer_of(amount) is not None else r.incrbyfloat(key, amount)
        ),
        lambda r, key: r.get(key),
    ),
    "hash": (
        "hash-incr",
        b"f",
        lambda r, key, start: r.hset(key, mapping={"f": start, "other": "x"}),
        lambda r, key, amount: (
            r.hincrby(key, "f", amount)
            if integer_of(amount) is not None
            else r.hincrbyfloat(key, "f", amount)
        ),
        lambda r, key: r.hget(key, "f"),
    ),
    "zset": (
        "zset-incr",
        b"m",
        lambda r, key, start: r.zadd(key, {"m": start, "other": 0}),
        lambda r, key, amount: r.zincrby(key, amount, "m"),
        lambda r, key: r.zscore(key, "m"),
    ),
}

# Refused by Redis for every type: Python would take some of these (1_000, ١٢, spaces).
NOT_NUMBERS = ["1_000", "١٢", "١", "12\u0660", " 5", "5 ", "\t5", "1e", "0x", "abc", "5,5",
               "nan", "-nan", "1e-5000", "0x1p-99999", "٫5", "5\u00a0"]
# Taken by Redis, and by the dashboard exactly as Redis takes them.
NUMBERS = ["5", "-5", "0", "+5", "007", "-0", "1.", ".5", "1e3", "1E+3", "-2.5e-1", "0x10",
           "0x1p3", "-0X.8P1", "1e-320", "1.7976931348623157e308"]


def _post(client, kind: str, amount: str):
    action, row, *_ = TYPES[kind]
    return submit(client, KEY, action, row=row, amount=amount)


def _amount_error(response) -> str:
    """The error shown next to the amount field (empty if none)."""
    found = re.search(r'<ul class="errorlist" id="id_amount_error">(.*?)</ul>',
                      response.content.decode(), re.S)
    return html.unescape(found.group(1)) if found else ""


def _redis_takes(r, kind: str, amount: str) -> object:
    """What Redis stores when it is given `amount` itself (None if it refuses)."""
    _, _, seed, add, read = TYPES[kind]
    seed(r, SCRATCH, "10")
    try:
        add(r, SCRATCH, amount)
    except redis.ResponseError:
        return None
    finally:
        stored = read(r, SCRATCH)
        r.delete(SCRATCH)
    return stored


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("amount", NUMBERS)
def test_amounts_redis_takes_are_taken_and_give_what_redis_gives(client, r, kind, amount):
    expected = _redis_takes(r, kind, amount)
    assert expected is not None, f"Redis refused {amount!r}: fix the list"
    TYPES[kind][2](r, KEY, "10")
    response = _post(client, kind, amount)
    assert response.status_code == 200, _amount_error(response)
    assert TYPES[kind][4](r, KEY) == expected


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("amount", NOT_NUMBERS)
def test_amounts_redis_refuses_are_refused_by_the_field(client, r, kind, amount):
    assert _redis_takes(r, kind, amount) is None, f"Redis took {amount!r}: fix the list"
    TYPES[kind][2](r, KEY, "10")
    before = TYPES[kind][4](r, KEY)
    response = _post(client, kind, amount)
    assert response.status_code == 422
    assert _amount_error(response)
    assert TYPES[kind][4](r, KEY) == before


def test_a_score_takes_a_whole_number_past_64_bits_as_zincrby_does(client, r):
    expected = _redis_takes(r, "zset", "99999999999999999999")
    TYPES["zset"][2](r, KEY, "10")
    assert _post(client, "zset", "99999999999999999999").status_code == 200
    assert r.zscore(KEY, "m") == expected == 1e20


@pytest.mark.parametrize("kind", ["string", "hash"])
def test_a_whole_number_past_64_bits_is_refused_as_incrby_refuses_it(client, r, kind):
    TYPES[kind][2](r, KEY, "10")
    response = _post(client, kind, "99999999999999999999")
    assert response.status_code == 422
    assert "out of range for a 64-bit integer" in _amount_error(response)


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        # INCRBYFLOAT reads these as long doubles; a 64-bit float cannot hold them.
        ("1e400", "out of range for a 64-bit float"),
        ("-1e400", "out of range for a 64-bit float"),
        ("1e-400", "too small for a 64-bit float"),
        # ZINCRBY would make the score infinite; the others refuse it anyway.
        ("inf", "NaN and infinity are not allowed"),
        ("-Infinity", "NaN and infinity are not allowed"),
    ],
)
def test_amounts_outside_64_bit_floats_are_refused_with_a_reason(client, r, kind, amount, message):
    TYPES[kind][2](r, KEY, "10")
    before = TYPES[kind][4](r, KEY)
    response = _post(client, kind, amount)
    assert response.status_code == 422
    assert message in _amount_error(response)
    assert TYPES[kind][4](r, KEY) == before


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize(("start", "amount"), [("1e308", "1e308"), ("-1e308", "-1e308"),
                                               ("1.7976931348623157e308", "0x1p971")])
def test_a_result_past_the_float_range_is_refused_next_to_the_field(client, r, kind, start,
                                                                    amount):
    TYPES[kind][2](r, KEY, start)
    before = TYPES[kind][4](r, KEY)
    response = _post(client, kind, amount)
    assert response.status_code == 422
    error = _amount_error(response)
    assert "increment would overflow" in error and "64-bit float range" in error
    assert TYPES[kind][4](r, KEY) == before
    assert 'class="problem"' not in response.content.decode()  # one message, by the field


@pytest.mark.parametrize("kind", ["string", "hash"])
def test_a_whole_number_result_past_64_bits_is_refused_next_to_the_field(client, r, kind):
    TYPES[kind][2](r, KEY, str(2**63 - 1))
    response = _post(client, kind, "1")
    assert response.status_code == 422
    assert "past the 64-bit integer range" in _amount_error(response)
    assert TYPES[kind][4](r, KEY) == str(2**63 - 1).encode()


def test_a_hash_value_redis_reads_past_64_bits_is_not_pushed_further(client, r):
    # Redis's INCRBYFLOAT wrote this (1e308 + 1e308 as a long double): 309 digits.
    r.hset(KEY, mapping={"f": "2" + "0" * 308, "other": "x"})
    response = _post(client, "hash", "1.5")
    assert response.status_code == 422 and "increment would overflow" in _amount_error(response)
    response = _post(client, "hash", "-1e308")
    assert response.status_code == 200
    assert float(r.hget(KEY, "f")) == 1e308


def test_a_hash_field_deleted_meanwhile_is_a_conflict_not_recreated(client, r):
    r.hset(KEY, mapping={"f": "10", "other": "x"})
    fields = open_form(client, KEY, "hash-incr", row=b"f")
    r.hdel(KEY, "f")  # another client, between the form and the submit
    fields.pop("csrfmiddlewaretoken", None)
    response = client.post(edit_url(KEY, "hash-incr"), fields | {"amount": "1"}, headers=HTMX)
    assert response.status_code == 409
    assert "removed meanwhile" in response.content.decode()
    assert r.hgetall(KEY) == {b"other": b"x"}
