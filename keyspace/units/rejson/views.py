"""One node of a JSON document: its children, a page at a time (served under the key's URL
+ `json/node/`). A full page without htmx; with htmx, only the children, which the tree
puts under the node when it is opened."""

from __future__ import annotations

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.exceptions import BadRequest, KeyNotFound
from keyspace.redis.connection import get_client
from keyspace.units.base import parse_offset
from keyspace.units.rejson.paths import path_from_token, path_token
from keyspace.units.rejson.tree import read_node
from keyspace.views.rendering import render_page

NODE = "keyspace/units/rejson_node.html"


@dashboard_view(VIEW)
def json_node(request, db: int, key: bytes):
    path = path_from_token(request.GET.get("path", ""))
    offset = parse_offset(request.GET.get("cursor", ""))
    client = get_client(db)
    kind = client.type(key)
    if kind == b"none":
        raise KeyNotFound("this key no longer exists")
    if kind != b"ReJSON-RL":
        raise BadRequest("this key is no longer a JSON document")
    page = read_node(client, key, path, offset, app_settings.PAGE_SIZE)
    context = {"db": db, "key": key, "node": page.node, "rows": page.rows,
               "withheld": page.withheld, "token": path_token(path),
               "next_offset": page.next_offset}
    return render_page(request, NODE, context, fragment="children")
