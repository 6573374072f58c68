"""What Bloom and Cuckoo filters share: their INFO as rows, a membership check (read-only, for
everyone) and adding items (editors). A filter answers "maybe" or "no", never lists items."""

from __future__ import annotations

import redis
from django import forms

from keyspace.display import bytes_to_text
from keyspace.services.editing.guard import Operation, Outcome, Refused, Tool, guarded
from keyspace.services.editing.inputs import KeyForm
from keyspace.units.base import Element
from keyspace.units.replies import InfoRow, reply_pairs
from keyspace.units.set.inputs import MembersInput

RESULTS = "keyspace/units/bloom_tools.html"
MAX_ITEMS = 1000


def info_rows(reply) -> list[InfoRow]:
    """BF.INFO / CF.INFO as rows, in the server's order."""
    return [InfoRow(name, bytes_to_text(value) if isinstance(value, bytes) else value)
            for name, value in reply_pairs(reply)]


def info_value(reply, label: str):
    return dict(reply_pairs(reply)).get(label)


class ItemsForm(MembersInput):
    member_limit = MAX_ITEMS


class AddItemsForm(KeyForm, ItemsForm):
    pass


def refusals(run):
    """Redis's refusals (a key turned into another type, a full non-scaling filter) shown as a
    problem by the form rather than an error page."""

    def wrapped(self, client, key, data):
        try:
            return run(self, client, key, data)
        except redis.ResponseError as exc:
            raise Refused(f"redis refused: {exc}") from exc

    return wrapped


class Check(Tool):
    """Which items the filter may hold: `{prefix}.MEXISTS`, one round trip."""

    prefix: str
    label = "Check items"
    form_class = ItemsForm
    result_template = f"{RESULTS}#check"
    submit_label = "Check"

    @refusals
    def run(self, client, key, data):
        items = data["members"]
        answers = client.execute_command(f"{self.prefix}.MEXISTS", key, *items)
        rows = [(Element.of(item), bool(answer)) for item, answer in zip(items, answers,
                                                                         strict=True)]
        return {"answers": rows, "found": sum(1 for _, there in rows if there)}


class AddItems(Operation):
    """Add items (never removes or replaces anything, so it carries no digest; the key must
    still be the filter the user saw, which `guarded` checks by type)."""

    prefix: str
    label = "Add items"
    form_class = AddItemsForm
    submit_label = "Add"

    def queue_add(self, pipe, key: bytes, items: list[bytes]) -> None:
        raise NotImplementedError

    def apply(self, client, key, data):
        items = data["members"]
        if not items:
            raise Refused("give at least one item")

        def attempt(pipe):
            return lambda pipe: self.queue_add(pipe, key, items)

        replies = guarded(client, [key], attempt, expected_type=data["expected_type"])
        added = sum(1 for reply in _flat(replies) if reply == 1)
        return Outcome(f"added {added:,} of {len(items):,} item{'s' if len(items) != 1 else ''}"
                       f" (the others may have been there already)")


def _flat(replies):
    for reply in replies:
        yield from reply if isinstance(reply, list) else [reply]


def number(text: str, *, low: float, high: float, what: str, integer: bool = False):
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise forms.ValidationError(f"{what}: a number") from None
    if not low <= value <= high:
        raise forms.ValidationError(f"{what}: between {low:g} and {high:g}")
    return value
