"""The connections page: what the settings name, where each was found, never a password."""

from html import unescape

from django.test import override_settings

HOST_SETTINGS = {
    "CACHES": {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": "redis://:cache-secret@cache.internal:6379/1"},
        "sessions": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://sessions/2",
                     "OPTIONS": {"PASSWORD": "django-redis-secret"}},
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "odd": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": 6379},
    },
    "CELERY_BROKER_URL": "redis://:cache-secret@cache.internal:6379/1",
    "CELERY_RESULT_BACKEND": "sentinel://:sentinel-secret@s1:26379",
    "CHANNEL_LAYERS": {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                   "CONFIG": {"hosts": [("layers.internal", 6380)]}}},
    "RQ_QUEUES": {"high": {"HOST": "rq.internal", "PORT": 6379, "DB": 3,
                           "PASSWORD": "rq-secret"}},
}
SECRETS = ["cache-secret", "django-redis-secret", "sentinel-secret", "rq-secret"]


def page_text(client) -> tuple[int, str]:
    response = client.get("/connections/")
    return response.status_code, unescape(response.content.decode())


def test_the_page_lists_each_connection_with_where_it_was_found(client, redis_server):
    with override_settings(**HOST_SETTINGS):
        status, html = page_text(client)
    assert status == 200
    assert "<h2>Redis named in your Django settings</h2>" in html
    assert '<th scope="col">Found in</th>' in html
    assert f"redis://127.0.0.1:{redis_server.port}/0" in html
    assert "<code>REDIS_URL</code> <span class=\"muted\">this dashboard</span>" in html
    # One server named by the default cache and the Celery broker: one row, both sources.
    assert "redis://:****@cache.internal:6379/1" in html
    row = html.split('id="connection-cache-default"')[1].split("</tr>")[0]
    assert '<code>CACHES["default"]</code>' in row and "<code>CELERY_BROKER_URL</code>" in row
    assert "redis://:****@sessions:6379/2" in html
    assert "redis://layers.internal:6380/0" in html
    assert '<code>CHANNEL_LAYERS["default"]</code>' in html
    assert "redis://:****@rq.internal:6379/3" in html and '<code>RQ_QUEUES["high"]</code>' in html
    assert "Sentinel: the dashboard cannot open this one yet." in html
    assert "LocMemCache" not in html
    # The setting it could not read is named, with the reason.
    assert "Settings not read" in html
    assert "LOCATION is neither a URL nor a list of URLs" in html


def test_the_page_never_shows_a_password(client):
    with override_settings(**HOST_SETTINGS, REDIS_URL=HOST_SETTINGS["CELERY_BROKER_URL"]):
        status, html = page_text(client)
    assert status == 200 and "****" in html
    for secret in SECRETS:
        assert secret not in html


def test_nothing_found_says_what_the_page_reads(client):
    with override_settings(REDIS_URL=""):
        status, html = page_text(client)
    assert status == 200
    assert "No Redis found in this project's settings" in html
    assert "Settings not read" not in html


def test_the_tabs_link_to_the_page(client):
    html = client.get("/c/default/db/0/").content.decode()
    assert 'href="/connections/">Connections</a>' in html
    html = client.get("/connections/").content.decode()
    assert 'href="/connections/" aria-current="page">Connections</a>' in html
