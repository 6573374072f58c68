"""Job queues in lists: Celery, Sidekiq/JSON jobs, RQ; the oldest end per library."""

from __future__ import annotations

import base64
import json
import uuid

from tests.services.patterns.helpers import facts, recognised
from tests.units.helpers import RedisWork, seed


def celery_message(task: str) -> str:
    body = base64.b64encode(json.dumps([[1, 2], {}, {}]).encode()).decode()
    return json.dumps({"body": body, "content-encoding": "utf-8",
                       "content-type": "application/json",
                       "headers": {"task": task, "id": str(uuid.uuid4()), "retries": 0},
                       "properties": {"body_encoding": "base64", "delivery_tag": "x"}})


def test_celery_queue_oldest_at_the_tail(r):
    r.lpush("celery", celery_message("app.tasks.first"))
    r.lpush("celery", celery_message("app.tasks.second"))
    r.lpush("celery", celery_message("app.tasks.third"))
    shown = facts(recognised("celery")["queue"])
    assert shown["Library"] == "Celery" and shown["Waiting"] == "3 jobs"
    assert shown["Next to run (oldest)"] == "app.tasks.first"
    assert shown["Last queued (newest)"] == "app.tasks.third"


def test_sidekiq_jobs(r):
    for name in ("HardWorker", "MailWorker"):
        r.lpush("queue:default", json.dumps({"class": name, "args": [1], "jid": "abc123"}))
    shown = facts(recognised("queue:default")["queue"])
    assert shown["Library"] == "Sidekiq" and shown["Next to run (oldest)"] == "HardWorker"


def test_rq_queue_of_job_ids_oldest_at_the_head(r):
    first, last = str(uuid.uuid4()), str(uuid.uuid4())
    r.rpush("rq:queue:default", first, str(uuid.uuid4()), last)
    shown = facts(recognised("rq:queue:default")["queue"])
    assert shown["Library"] == "RQ" and shown["Next to run (oldest)"] == first
    assert shown["Workers take from"] == "the head"
    r.rpush("ids", first, last)  # ids under another name: not enough to say RQ
    assert recognised("ids") == {}


def test_a_list_of_words_is_not_a_queue(r):
    r.rpush("queue:words", "a", "b")
    r.rpush("queue:json", json.dumps({"name": "x"}))
    assert recognised("queue:words") == recognised("queue:json") == {}


def test_a_long_queue_reads_two_elements(r):
    seed(r, "RPUSH", "big", [json.dumps({"task": "t", "args": [i]}) for i in range(50_000)])
    with RedisWork(r) as work:
        assert facts(recognised("big")["queue"])["Waiting"] == "50,000 jobs"
    assert work.count("lindex") == 2 and work.count("lrange") == 0
