"""The console page over HTTP: full page, htmx entries, the no-JavaScript form, history."""

import pytest
from django.urls import reverse

from tests.support.htmx import HTMX

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def url(db=0):
    return reverse("keyspace:console", kwargs={"db": db})


def test_the_page_explains_itself_when_empty(client):
    page = client.get(url()).content.decode()
    assert "No commands yet" in page and 'name="line"' in page
    assert 'aria-current="page">Console' in page


def test_htmx_gets_one_transcript_entry(client, r):
    r.set("k", "<b>v</b>")
    response = client.post(url(), {"line": "GET k"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<li class="console-entry"')
    assert "&lt;b&gt;v&lt;/b&gt;" in body and "<b>v</b>" not in body


def test_without_javascript_the_page_is_drawn_with_the_reply(client, r):
    r.set("k", "v")
    body = client.post(url(), {"line": "GET k"}).content.decode()
    assert "<!doctype html>" in body and "&quot;v&quot;" in body


def test_a_viewer_is_refused_a_write_with_403(viewer_client, r):
    response = viewer_client.post(url(), {"line": "DEL k"}, headers=HTMX)
    assert response.status_code == 403 and "read-only" in response.content.decode()


def test_an_empty_line_is_a_message_by_the_field(client):
    response = client.post(url(), {"line": "  "})
    assert response.status_code == 422
    assert "type a command" in response.content.decode()


def test_history_is_remembered_newest_first(client):
    client.post(url(), {"line": "DBSIZE"}, headers=HTMX)
    client.post(url(), {"line": "PING"}, headers=HTMX)
    client.post(url(), {"line": "DBSIZE"}, headers=HTMX)
    page = client.get(url()).content.decode()
    assert page.index('<option value="DBSIZE">') < page.index('<option value="PING">')
    assert page.count('<option value="DBSIZE">') == 1


def test_a_confirmation_form_comes_with_an_allowed_dangerous_command(client, r, settings):
    settings.DASHBOARD_CONSOLE_ALLOW = "flushdb"
    r.set("keep", "1")
    response = client.post(url(), {"line": "FLUSHDB"}, headers=HTMX)
    assert response.status_code == 428
    body = response.content.decode()
    assert 'name="confirmation"' in body and r.get("keep") == b"1"


def test_anonymous_users_must_sign_in(anonymous_client):
    assert anonymous_client.post(url(), {"line": "PING"}).status_code in (302, 401)
