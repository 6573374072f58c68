"""One key: its metadata and a page of its value, shown by its type's unit."""

from __future__ import annotations

from dataclasses import replace

from django.http import StreamingHttpResponse

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.decoders.memory import namespace_of, recall_view, remember_view
from keyspace.exceptions import BadRequest, KeyNotFound
from keyspace.redis.capabilities import key_refused, refusal_kind
from keyspace.redis.connection import get_async_client, get_client
from keyspace.redis.keynames import encode_key
from keyspace.services.browse import key_detail
from keyspace.services.patterns import recognise_key
from keyspace.views.query import ValueQueryForm
from keyspace.views.rendering import fragment_target, render_page, row_actions

DOWNLOAD_CHUNK_BYTES = 256 * 1024


@dashboard_view(VIEW)
def key_view(request, db: int, key: bytes):
    page_request = ValueQueryForm(request.GET).page_request()
    remembered = recall_view(request.session, db, key)
    client = get_client(db)
    detail = key_detail(client, key, replace(page_request, preferred=remembered))
    if detail.unit.remembers_order and page_request.order:
        remember_view(request.session, db, key, detail.request.order)
    more = request.GET.copy()
    more.pop("row", None)
    more["cursor"] = detail.page.next_cursor or ""
    actions = row_actions(db, detail.name, detail.unit, user=request.user)
    context = {
        "db": db,
        "key": detail.name,
        "detail": detail,
        "unit": detail.unit,
        "page": detail.page,
        "more_query": more.urlencode(),
        "continuing": bool(page_request.cursor),
        "preview_limit": app_settings.PREVIEW_BYTES,
        "row_actions": actions,
        "view_remembered": bool(remembered) and not page_request.order
        and detail.request.order == remembered,
        "view_namespace": namespace_of(key),
        # Only a whole page shows the patterns: paging and re-ordering the value skip the read.
        "patterns": recognise_key(client, detail) if fragment_target(request) is None else [],
    }
    if fragment_target(request) == "value-more":
        return render_page(request, detail.unit.template, context, fragment="rows")
    if actions and "row" in request.GET:
        context |= _opened_row(db, key, detail.unit, request.GET["row"])
    return render_page(request, "keyspace/key.html", context, fragment="value")


def _opened_row(db: int, key: bytes, unit, token: str) -> dict:
    """A row's opener followed without JavaScript (`?row=<token>`): the row as it is now, for
    the panel of its actions above the table (one bounded read, whichever page it is on)."""
    row = unit.read_row(get_client(db), key, unit.row_from_token(token))
    return {"opened_row": True, "opened": row, "row_name": f"{unit.template}#row_name"}


@dashboard_view(VIEW)
async def key_download(request, db: int, key: bytes):
    """Stream a whole string value in chunks, so a 1 GB value costs the server one chunk.
    Served where the string unit declares it (StringUnit.get_urls)."""
    client = get_async_client(db)
    try:
        key_type, size = await _string_size(client, key)
    except BaseException:
        await client.aclose()
        raise
    if key_type == b"none":
        await client.aclose()
        raise KeyNotFound("this key no longer exists")
    if key_type != b"string":
        await client.aclose()
        raise BadRequest("only string values can be downloaded")
    response = StreamingHttpResponse(
        _chunks(client, key, size), content_type="application/octet-stream"
    )
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = f'attachment; filename="{encode_key(key)[:100] or "key"}.bin"'
    return response


async def _string_size(client, key: bytes) -> tuple[bytes, int]:
    """TYPE and STRLEN together; STRLEN's WRONGTYPE only matters if the key is a string."""
    async with client.pipeline(transaction=False) as pipe:
        pipe.type(key)
        pipe.strlen(key)
        key_type, size = await pipe.execute(raise_on_error=False)
    if isinstance(key_type, Exception) and refusal_kind(key_type) and \
            not key_refused(key_type) and not isinstance(size, Exception):
        key_type = b"string" if size else b"none"  # TYPE refused: STRLEN answered, or 0
    if isinstance(key_type, Exception):
        raise key_type
    if key_type == b"string" and isinstance(size, Exception):
        raise size
    return key_type, size


async def _chunks(client, key: bytes, size: int):
    try:
        for offset in range(0, size, DOWNLOAD_CHUNK_BYTES):
            chunk = await client.getrange(key, offset, min(offset + DOWNLOAD_CHUNK_BYTES, size) - 1)
            if not chunk:
                break
            yield chunk
    finally:
        await client.aclose()
