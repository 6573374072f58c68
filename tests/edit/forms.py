"""Drive edit forms as a browser does: GET the form, read its fields, POST them back."""

from __future__ import annotations

import html
import re

from keyspace.keynames import encode_key

HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_url(key: bytes, action: str, db: int = 0) -> str:
    return f"/db/{db}/key/{encode_key(key)}/edit/{action}/"


def form_fields(body: str) -> dict[str, str]:
    """Every input/textarea/select value in the response, as the browser would submit."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag:
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, text in re.findall(r'<textarea name="([^"]*)"[^>]*>\n?(.*?)</textarea>', body, re.S):
        fields[name] = html.unescape(text)
    for name, options in re.findall(r'<select name="([^"]*)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        first = re.search(r'<option value="([^"]*)"', options)
        fields[name] = (chosen or first).group(1) if (chosen or first) else ""
    return fields


def open_form(client, key: bytes, action: str, row: bytes | str | None = None, **headers):
    query = {}
    if row is not None:
        query["row"] = encode_key(row) if isinstance(row, bytes) else row
    response = client.get(edit_url(key, action), query, **headers)
    assert response.status_code == 200, response.content[:500]
    return form_fields(response.content.decode())


def submit(client, key: bytes, action: str, row=None, htmx: bool = True, **changes):
    """GET the form, change some fields, POST it; returns the POST response."""
    fields = open_form(client, key, action, row)
    fields.pop("csrfmiddlewaretoken", None)
    fields.update({name: value for name, value in changes.items() if value is not None})
    fields = {name: value for name, value in fields.items() if value is not False}
    return client.post(edit_url(key, action), fields, **(HTMX if htmx else {}))
