"""The time-series view against a real RedisTimeSeries (loaded into valkey-server, see
tests/support/module_server.py): info, the chart from one bounded TS.RANGE, and the key list."""

from __future__ import annotations

import re

from keyspace.units.timeseries.chart import MAX_POINTS
from tests.support.urls import key_url
from tests.units.helpers import RedisWork

START = 1_700_000_000_000
# RedisTimeSeries refuses "(", ")" and "," in a label: a hostile one without them.
XSS = '<script>alert"x"</script>'
XSS_ESCAPED = "&lt;script&gt;alert&quot;x&quot;&lt;/script&gt;"


def polyline_points(html: str) -> list[str]:
    return re.search(r'<polyline[^>]* points="([^"]*)"', html).group(1).split()


def test_a_series_shows_its_info_labels_rules_and_chart(live, r, client):
    r.execute_command("TS.CREATE", "temp", "RETENTION", 86_400_000, "LABELS", "sensor",
                      "kitchen", "note", XSS)
    r.execute_command("TS.CREATE", "temp:avg")
    r.execute_command("TS.CREATERULE", "temp", "temp:avg", "AGGREGATION", "avg", 60_000)
    for offset, value in ((0, 20.5), (1000, 21), (2000, 19.25)):
        r.execute_command("TS.ADD", "temp", START + offset, value)
    response = client.get(key_url(b"temp"))
    html = response.content.decode()
    assert response.status_code == 200, html[-1500:]
    assert len(polyline_points(html)) == 3
    assert "3 points from 2023-11-14 22:13:20.000 UTC" in html and "values 19.25 to 21" in html
    assert "<th scope=\"row\">label sensor</th><td>kitchen</td>" in html
    assert "temp:avg, 60,000, AVG" in html
    assert XSS not in html and XSS_ESCAPED in html
    listing = client.get("/c/default/db/0/").content.decode()
    assert ">temp:avg</a>" in listing and "type-TSDB-TYPE" in listing
    assert '3 <span class="muted">samples</span>' in listing  # its length, from TS.INFO


def test_a_long_series_is_read_as_bounded_buckets(live, r, client):
    samples = 50_000
    r.execute_command("TS.CREATE", "long")
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, samples, 5_000):
            args = []
            for n in range(start, start + 5_000):
                args += ["long", START + n * 1000, n % 7]
            pipe.execute_command("TS.MADD", *args)
        pipe.execute()
    with RedisWork(r) as work:
        response = client.get(key_url(b"long"))
    html = response.content.decode()
    assert response.status_code == 200, html[-1500:]
    assert len(polyline_points(html)) <= MAX_POINTS and f"{MAX_POINTS} points" in html
    assert "average of a" in html and "ms bucket" in html
    # One TS.RANGE for the chart, asking for buckets, never the 50,000 samples.
    assert work.count("ts.range") == 1, work.calls


def test_an_empty_series_and_one_past_any_calendar_are_pages_not_errors(live, r, client):
    r.execute_command("TS.CREATE", "empty")
    html = client.get(key_url(b"empty")).content.decode()
    assert "holds no samples" in html
    far = 2**63 - 1
    r.execute_command("TS.ADD", "far", START, 1)
    r.execute_command("TS.ADD", "far", far, 2)
    response = client.get(key_url(b"far"))
    assert response.status_code == 200 and f"{far:,} ms" in response.content.decode()


def test_a_viewer_sees_a_series(live, r, viewer_client):
    r.execute_command("TS.ADD", "seen", START, 1)
    response = viewer_client.get(key_url(b"seen"))
    assert response.status_code == 200 and "1 point" in response.content.decode()
