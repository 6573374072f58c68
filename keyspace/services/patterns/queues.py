"""Job queues kept in lists: Celery (kombu messages), Sidekiq and other JSON jobs, RQ (job ids
under `rq:queue:`). Recognised from the list's first and last elements: the backlog, and what
the oldest and newest jobs are. Which end is the oldest depends on the library: Celery and
Sidekiq push at the head and take from the tail, RQ pushes at the tail and takes from the head.
"""

from __future__ import annotations

import json
import re

from keyspace.decoders import registry as decoders
from keyspace.decoders.base import Fact
from keyspace.services.patterns.base import Recogniser, Sample, registry

JOB_FIELDS = {"task", "job", "jid", "class", "payload", "args", "queue", "handler"}
_JOB_ID = re.compile(rb"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
SHOWN_BYTES = 200


def _celery_task(element: bytes) -> str | None:
    if not decoders.get("celery").detect(element):
        return None
    decoded = decoders.decode_as("celery", element)
    facts = {fact.label: fact.value for fact in decoded.facts} if decoded.ok else {}
    return facts.get("Task", "a task") if decoded.ok else None


def _json_job(element: bytes) -> str | None:
    if element[:1] != b"{":
        return None
    try:
        data = json.loads(element)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or len(JOB_FIELDS & set(data)) < 2:
        return None
    name = next((data[k] for k in ("class", "task", "job", "handler") if k in data), "a job")
    return str(name)[:SHOWN_BYTES]


def read_queue(sample: Sample) -> tuple[str, str, list[str]] | None:
    """(library, which end is oldest, a name for each end's job) or None."""
    if not sample.ends:
        return None
    tasks = [_celery_task(e) for e in sample.ends]
    if all(tasks):
        return "Celery", "tail", tasks
    jobs = [_json_job(e) for e in sample.ends]
    if all(jobs):
        return ("Sidekiq" if b'"jid"' in sample.ends[0] else "JSON jobs"), "tail", jobs
    if sample.key.startswith(b"rq:queue:") and all(_JOB_ID.fullmatch(e) for e in sample.ends):
        return "RQ", "head", [e.decode("ascii") for e in sample.ends]
    return None


@registry.register
class QueueRecogniser(Recogniser):
    name = "queue"
    label = "Job queue"
    types = ("list",)

    def recognise(self, sample: Sample):
        read = read_queue(sample)
        if read is None:
            return None
        library, oldest_end, jobs = read
        head, tail = jobs[0], jobs[-1]
        oldest, newest = (tail, head) if oldest_end == "tail" else (head, tail)
        waiting = sample.length or 0
        facts = (Fact("Library", library), Fact("Waiting", f"{waiting:,} jobs"),
                 Fact("Next to run (oldest)", oldest), Fact("Last queued (newest)", newest),
                 Fact("Workers take from", f"the {oldest_end}"))
        return self.found(
            f"A {library} queue with {waiting:,} job{'s' if waiting != 1 else ''} waiting.",
            facts=facts)
