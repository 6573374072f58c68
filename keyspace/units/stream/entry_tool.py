"""Viewing one stream entry's values through the decoders (a job's payload in a queue
stream): a read-only tool on the stream's toolbar and on each entry's row. One XRANGE of that
one entry; each value is decoded up to DASHBOARD_PREVIEW_BYTES, as a hash field is."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from keyspace.conf import app_settings
from keyspace.decoders.choice import Shown, show
from keyspace.decoders.tools import ViewAsField
from keyspace.display import bytes_to_text
from keyspace.redis.keynames import parse_escaped
from keyspace.services.editing.guard import Refused, Tool
from keyspace.units.stream.ids import is_stream_id

MAX_FIELDS_SHOWN = 20


class EntryForm(forms.Form):
    entry = forms.CharField(max_length=41, label="Entry ID",
                            widget=forms.TextInput(attrs={"spellcheck": "false"}))
    field = forms.CharField(
        required=False, strip=False, max_length=100_000,
        label=r"Field (text, or \xNN escapes; empty: every field)",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    order = ViewAsField()

    def clean_entry(self) -> str:
        entry = self.cleaned_data["entry"].strip()
        if not is_stream_id(entry):
            raise forms.ValidationError("an entry ID is two numbers: 1700000000000-0")
        return entry


@dataclass(frozen=True)
class ShownField:
    name: str
    size: int
    cut: bool
    shown: Shown


def _shown(name: bytes, value: bytes, view: str) -> ShownField:
    limit = app_settings.PREVIEW_BYTES
    return ShownField(bytes_to_text(name[:200]), len(value), len(value) > limit,
                      show(value[:limit], whole=len(value) <= limit, view=view))


class ViewEntry(Tool):
    name = "stream-view-entry"
    label = "View an entry as…"
    form_class = EntryForm
    result_template = "keyspace/units/stream_entry.html#result"

    def run(self, client, key, data):
        found = client.xrange(key, min=data["entry"], max=data["entry"], count=1)
        if not found:
            raise Refused(f"this stream has no entry {data['entry']}")
        fields = found[0][1]
        if data["field"]:
            typed = data["field"]
            names = dict.fromkeys([typed.encode("utf-8", "surrogateescape"),
                                   parse_escaped(typed)])
            fields = {name: fields[name] for name in names if name in fields}
            if not fields:
                raise Refused("this entry has no such field")
        shown = [_shown(name, value, data["order"])
                 for name, value in list(fields.items())[:MAX_FIELDS_SHOWN]]
        return {"entry_id": data["entry"], "shown_fields": shown,
                "fields_left_out": max(0, len(fields) - MAX_FIELDS_SHOWN)}
