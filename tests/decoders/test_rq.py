"""RQ job data: zlib-compressed pickles of (function, instance, args, kwargs)."""

from __future__ import annotations

import pickle
import zlib

from keyspace.decoders import registry
from tests.decoders.helpers import facts


def rq_data(func: str, args: tuple, kwargs: dict) -> bytes:
    """What RQ writes to a job hash's `data` field."""
    return zlib.compress(pickle.dumps((func, None, args, kwargs), pickle.HIGHEST_PROTOCOL))


def test_job_data_shows_the_call():
    result = registry.decode_auto(rq_data("app.mail.send", ("ada@example.com",), {"retry": 2}))
    assert result.decoder == "rq"
    assert facts(result)["Function"] == "app.mail.send"
    assert facts(result)["Positional arguments"] == "1"
    assert facts(result)["Keyword arguments"] == "1"
    assert result.inner.decoder == "pickle"


def test_plain_zlib_is_left_to_the_zlib_decoder():
    assert registry.get("rq").detect(zlib.compress(b"not a pickle")) == 0
    assert registry.decode_auto(zlib.compress(b"not a pickle")).decoder == "zlib"


def test_other_pickles_are_said_to_have_another_shape():
    data = zlib.compress(pickle.dumps({"a": 1}))
    assert facts(registry.get("rq").decode(data))["Shape"] == (
        "not RQ's (function, instance, args, kwargs)"
    )
