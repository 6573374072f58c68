"""Celery task messages in kombu's envelope: task facts, the body decoded by content type."""

from __future__ import annotations

import base64
import json
import pickle

from keyspace.decoders import registry
from tests.decoders.helpers import facts


def kombu_message(body: bytes, content_type: str = "application/json") -> bytes:
    """A message as kombu's Redis transport LPUSHes it (task protocol 2), built by hand."""
    return json.dumps(
        {
            "body": base64.b64encode(body).decode(),
            "content-encoding": "utf-8" if content_type == "application/json" else "binary",
            "content-type": content_type,
            "headers": {
                "lang": "py",
                "task": "proj.tasks.add",
                "id": "0f6c1c52-6d1c-4b3c-9d5e-1f0e2f3a4b5c",
                "retries": 0,
                "eta": None,
                "argsrepr": "(2, 3)",
                "kwargsrepr": "{}",
            },
            "properties": {
                "correlation_id": "0f6c1c52-6d1c-4b3c-9d5e-1f0e2f3a4b5c",
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": "celery"},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": "5d1b8c1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
            },
        }
    ).encode()


BODY = [[2, 3], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]


def test_json_task_message():
    result = registry.decode_auto(kombu_message(json.dumps(BODY).encode()))
    assert result.decoder == "celery" and result.summary == "task proj.tasks.add"
    assert facts(result) == {
        "Task": "proj.tasks.add",
        "Task id": "0f6c1c52-6d1c-4b3c-9d5e-1f0e2f3a4b5c",
        "Retries": "0",
        "ETA": "null",
        "Routing key": "celery",
        "Content type": "application/json",
    }
    assert json.loads(result.inner.text) == BODY


def test_pickled_body_goes_to_the_pickle_reader():
    result = registry.get("celery").decode(
        kombu_message(pickle.dumps(((2, 3), {}, {})), "application/x-python-serialize")
    )
    assert result.inner.decoder == "pickle" and result.inner.ok


def test_envelope_without_a_body_is_not_a_message():
    data = json.dumps({"content-type": "x", "properties": {}, "body": 5}).encode()
    assert registry.get("celery").decode(data).message == (
        "not Celery/kombu message: no body in the envelope"
    )


def test_a_body_that_is_not_base64():
    data = json.loads(kombu_message(b"{}"))
    data["body"] = "!!not base64!!"
    result = registry.get("celery").decode(json.dumps(data).encode())
    assert result.message == "not Celery/kombu message: the body says base64 but is not"
