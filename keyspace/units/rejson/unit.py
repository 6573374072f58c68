"""RedisJSON documents (TYPE `ReJSON-RL`): a tree read one node at a time (see tree.py),
edited by JSONPath (see edits.py)."""

from __future__ import annotations

import json

from django import forms
from django.urls import path

from keyspace.units.base import (
    CreateField,
    PageRequest,
    TypeUnit,
    ValuePage,
    parse_offset,
    registry,
)
from keyspace.units.rejson.edits import OPERATIONS, json_problem, no_constant, seen_state
from keyspace.units.rejson.paths import ROOT
from keyspace.units.rejson.tree import read_node


def parse_document(value: bytes | str) -> bytes:
    """The New-key form's document (bytes, as typed or from hex): JSON, sent as typed."""
    raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    if not raw.strip():
        raise forms.ValidationError("a JSON document is needed for this type")
    try:
        json.loads(raw.decode("utf-8"), parse_constant=no_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError included
        raise forms.ValidationError(f"not JSON: {json_problem(exc)}") from None
    return raw


@registry.register
class JsonUnit(TypeUnit):
    type_name = "ReJSON-RL"
    label = "JSON"
    length_label = ""
    # RedisJSON's MEMORY USAGE (and JSON.DEBUG MEMORY of a container) walks the whole
    # document: about half a second for a 40 MB one.
    memory_usage_walks_value = True
    operations = OPERATIONS
    create_needs_command = "JSON.SET"
    create_fields = (CreateField("document", "JSON document",
                                 required="a JSON document is needed for this type",
                                 parse=parse_document),)

    @property
    def template(self) -> str:
        return "keyspace/units/rejson.html"

    @property
    def url_prefix(self) -> str:
        return "json/"

    def get_urls(self) -> list:
        from keyspace.units.rejson.views import json_node  # the views import the units

        return [path("node/", json_node, name="json-node")]

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.execute_command("JSON.SET", key, ROOT, data["document"], "NX")

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """The document's digest as an edit of `$` sees it (see `seen_state`: its length and
        up to 100 top-level members)."""
        return [seen_state(reader, key, ROOT)[0]]

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        pipe.execute_command("JSON.TYPE", key, ROOT)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        return ValuePage(rows=[], next_cursor=None,
                         extra={"offset": parse_offset(request.cursor), "count": request.count})

    def complete_page(self, client, key: bytes, page: ValuePage) -> ValuePage:
        """The root's children: a page of them, never their subtrees."""
        node_page = read_node(client, key, ROOT, page.extra["offset"], page.extra["count"])
        following = node_page.next_offset
        return ValuePage(rows=node_page.rows,
                         next_cursor=None if following is None else str(following),
                         extra={"node": node_page.node, "withheld": node_page.withheld})
