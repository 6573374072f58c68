"""Viewing one hash field (an RQ job) or list element (a Celery message) through the
decoders, from the hash's and the list's toolbars."""

from __future__ import annotations

import html
import json
import pickle
import zlib

from keyspace.redis.keynames import encode_key
from tests.decoders.test_celery import kombu_message
from tests.support.urls import key_url


def tool(client, key: str, action: str, status: int = 200, **params) -> str:
    url = f"/c/default/db/0/key/{encode_key(key.encode())}/tool/{action}/"
    response = client.get(url, {"run": "1", **params})
    body = html.unescape(response.content.decode())
    assert response.status_code == status, body[-2000:]
    return body


def rq_job(r, job_id: str, func: str) -> str:
    key = f"rq:job:{job_id}"
    data = zlib.compress(pickle.dumps((func, None, ("ada@example.com",), {}), 5))
    r.hset(key, mapping={"data": data, "status": "queued", "origin": "default"})
    return key


def test_an_rq_job_field(client, r):
    key = rq_job(r, "abc", "app.mail.send")
    page = client.get(key_url(key)).content.decode()
    assert "/tool/view-field/" in page  # on the hash's toolbar
    body = tool(client, key, "view-field", field="data")
    assert "shown as RQ job data" in body
    assert "<dt>Function</dt><dd>app.mail.send</dd>" in body
    assert "ada@example.com" in body


def test_a_field_can_be_viewed_as_another_format(client, r):
    key = rq_job(r, "abc", "app.mail.send")
    body = tool(client, key, "view-field", field="data", order="hex")
    assert "shown as Hex" in body and 'class="value-body view-hex"' in body
    body = tool(client, key, "view-field", field="status", order="msgpack")
    assert "Not shown as MessagePack: " in body and "queued" in body


def test_a_missing_or_oversized_field_is_refused(client, r, settings):
    key = rq_job(r, "abc", "app.mail.send")
    assert "this hash has no such field" in tool(client, key, "view-field", field="nope")
    settings.DASHBOARD_PREVIEW_BYTES = 10
    body = tool(client, key, "view-field", field="data")
    assert "decoders read at most 10 (DASHBOARD_PREVIEW_BYTES)" in body


def test_a_celery_message_in_its_queue(client, r):
    body_json = json.dumps([[2, 3], {}, {}]).encode()
    r.rpush("celery", kombu_message(body_json), kombu_message(body_json))
    body = tool(client, "celery", "view-element", index="-1")
    assert "shown as Celery/kombu message" in body
    assert "<dt>Task</dt><dd>proj.tasks.add</dd>" in body
    missing = tool(client, "celery", "view-element", index="5")
    assert "this list has no element at index 5" in missing


def test_a_large_element_decodes_only_its_start(client, r, settings):
    settings.DASHBOARD_PREVIEW_BYTES = 64
    r.rpush("q", json.dumps({"pad": "x" * 200}))
    body = tool(client, "q", "view-element", index="0", order="json")
    assert "of which only the start is read" in body
    assert "Not shown as JSON: the value is cut." in body
