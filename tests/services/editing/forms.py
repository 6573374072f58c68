"""Drive edit forms as a browser does: GET the form, read its fields, POST them back."""

from __future__ import annotations

import html
import re

from keyspace.redis.keynames import encode_key
from tests.support.htmx import HTMX
from tests.support.urls import edit_url


def form_fields(body: str) -> dict[str, str]:
    """Every input/textarea/select value in the response, as the browser would submit."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' in tag:
            if re.search(r"\schecked", tag):  # a browser sends ticked boxes only
                fields[name.group(1)] = html.unescape(value.group(1)) if value else "on"
        elif name:
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


def submit(
    client, key: bytes, action: str, row=None, htmx: bool = True, confirmed: bool = False,
    **changes,
):
    """GET the form, change some fields, POST it; returns the POST response. With
    `confirmed`, the first POST must be asked to confirm (428), and the form it draws (with
    its token) is submitted as it is, as a person pressing the button again would."""
    fields = open_form(client, key, action, row)
    fields.pop("csrfmiddlewaretoken", None)
    fields.update({name: value for name, value in changes.items() if value is not None})
    fields = {name: value for name, value in fields.items() if value is not False}
    response = client.post(edit_url(key, action), fields, headers=HTMX if htmx else {})
    if confirmed:
        response = confirm(client, key, action, response, htmx=htmx)
    return response


def confirm(client, key: bytes, action: str, asked, htmx: bool = True):
    """Submit the form of a 428 "please confirm" response again, as drawn."""
    assert asked.status_code == 428, (asked.status_code, asked.content[:500])
    fields = form_fields(asked.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    assert fields.get("confirm"), "the confirmation form carries no token"
    return client.post(edit_url(key, action), fields, headers=HTMX if htmx else {})
