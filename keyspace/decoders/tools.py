"""Viewing one hash field or list element through the decoders (an RQ job's `data` field, a
Celery message in its queue): read-only tools on those units' toolbars. A hash field is
measured before it is read; a list element can only be read whole (Redis has no range read
inside one), as the list page itself reads it, and only its start is decoded."""

from __future__ import annotations

from django import forms
from django.conf import settings

from keyspace.decoders.choice import AUTO, show, view_choices
from keyspace.redis.keynames import parse_escaped
from keyspace.services.editing.guard import Refused, Tool

RESULT = "keyspace/decoders/_tool_result.html#result"


class ViewAsField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=view_choices, initial=AUTO, required=False, label="View as")

    def clean(self, value):
        return super().clean(value) or AUTO


class FieldForm(forms.Form):
    field = forms.CharField(
        strip=False, max_length=100_000, label=r"Field (text, or \xNN escapes)",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )  # fmt: skip
    order = ViewAsField()


class ElementForm(forms.Form):
    index = forms.IntegerField(label="Index (negative counts from the tail)", initial=0)
    order = ViewAsField()


def _result(value: bytes, order: str, what: str) -> dict:
    limit = settings.DASHBOARD_PREVIEW_BYTES
    shown = show(value[:limit], whole=len(value) <= limit, view=order)
    return {"shown": shown, "what": what, "size": len(value), "cut": len(value) > limit}


class ViewHashField(Tool):
    name = "view-field"
    label = "View a field as…"
    form_class = FieldForm
    result_template = RESULT

    def run(self, client, key, data):
        typed = data["field"]
        candidates = list(dict.fromkeys([typed.encode("utf-8", "surrogateescape"),
                                         parse_escaped(typed)]))  # fmt: skip
        with client.pipeline(transaction=False) as pipe:
            for field in candidates:
                pipe.hexists(key, field)
                pipe.hstrlen(key, field)
            replies = pipe.execute()
        for index, field in enumerate(candidates):
            exists, size = replies[2 * index : 2 * index + 2]
            if not exists:
                continue
            if size > settings.DASHBOARD_PREVIEW_BYTES:
                raise Refused(
                    f"this field holds {size:,} bytes; decoders read at most "
                    f"{settings.DASHBOARD_PREVIEW_BYTES:,} (DASHBOARD_PREVIEW_BYTES)"
                )
            return _result(client.hget(key, field) or b"", data["order"], "Field")
        raise Refused("this hash has no such field")


class ViewListElement(Tool):
    name = "view-element"
    label = "View an element as…"
    form_class = ElementForm
    result_template = RESULT

    def run(self, client, key, data):
        value = client.lindex(key, data["index"])
        if value is None:
            raise Refused(f"this list has no element at index {data['index']:,}")
        return _result(value, data["order"], "Element")
