"""The string key page with decoders: "View as" lists what recognises the value first, shows
msgpack and pickles (never running them), and remembers the choice per namespace."""

from __future__ import annotations

import html
import os
import pickle
import re

import msgpack
import pytest
from django.core.cache.backends.redis import RedisCache

from tests.units.helpers import XSS, XSS_ESCAPED, fetch


def options(body: str) -> tuple[list[str], list[str], str]:
    """(recognised, other formats, selected) from the View as select."""
    select = re.search(r'<select name="order">(.*?)</select>', body, re.S).group(1)
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S))
    names = {label: re.findall(r'<option value="([^"]+)"', part) for label, part in groups.items()}
    selected = re.search(r'<option value="([^"]+)" selected>', select).group(1)
    others = names.get("Other formats", names.get("All formats", []))
    return names.get("Recognised", []), others, selected


def tree_text(body: str) -> str:
    """The decoded tree as text, tags dropped and entities decoded, one node a line."""
    tree = re.search(r'<ul class="decoded-tree"[^>]*>(.*)</ul>', body, re.S).group(1)
    return html.unescape(re.sub(r"<li>", "\n", re.sub(r"<(?!li>)[^>]+>", "", tree)))


def test_msgpack_value_is_shown_as_a_tree(client, r):
    r.set("user:1", msgpack.packb({"name": XSS, "roles": ["admin", "ops"], "age": 36}))
    body = fetch(client, "user:1")
    recognised, others, selected = options(body)
    assert recognised[0] == "msgpack" and selected == "auto"
    assert "pickle" in others and "msgpack" not in others
    text = tree_text(body)
    assert f"name str {XSS}" in text
    assert "roles array (2)" in text and "0 str admin" in text
    assert "age int 36" in text
    assert XSS not in body and XSS_ESCAPED in body


def test_a_malicious_pickle_on_the_page_is_shown_not_run(client, r, tmp_path):
    target = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {target}",))

    r.set("cache:evil", pickle.dumps(Evil()))
    body = fetch(client, "cache:evil")
    assert not target.exists()
    assert "Loading it would import</dt><dd>posix.system</dd>" in body
    assert "call posix.system" in tree_text(body)
    assert "STACK_GLOBAL" in body  # the opcode listing


def test_django_cache_values_written_by_django(client, r, redis_server):
    cache = RedisCache(redis_server.url, {})
    cache.set("profile", {"user": "ada", "visits": [1, 2, 3]}, timeout=60)
    body = fetch(client, ":1:profile")  # Django's key: prefix, version, key
    assert options(body)[0][0] == "pickle"
    text = tree_text(body)
    assert "user str ada" in text and "visits list (3)" in text


def test_choosing_a_view_is_remembered_for_the_namespace(client, r):
    packed = msgpack.packb([1, 2])
    r.set("jobs:1", packed)
    r.set("jobs:2", packed)
    r.set("other:1", packed)
    body = fetch(client, "jobs:1", order="hex")
    assert options(body)[2] == "hex" and "view-hex" in body

    # Another key of the namespace opens as hex, and says why; other namespaces do not.
    body = fetch(client, "jobs:2")
    assert options(body)[2] == "hex" and "view-hex" in body
    assert "Remembered for keys starting with jobs:" in body
    assert options(fetch(client, "other:1"))[2] == "auto"

    # Choosing Auto forgets it.
    fetch(client, "jobs:2", order="auto")
    assert options(fetch(client, "jobs:1"))[2] == "auto"


def test_a_remembered_view_never_breaks_other_types(client, r):
    r.set("mixed:s", msgpack.packb([1]))
    r.rpush("mixed:l", "a", "b")
    fetch(client, "mixed:s", order="msgpack")
    fetch(client, "mixed:l")  # a list in the same namespace: its own order, no 400


def test_a_view_that_cannot_read_the_value_says_why(client, r):
    r.set("k", b"plain words")
    body = fetch(client, "k", order="msgpack")
    assert "Not shown as MessagePack: " in body
    assert "view-text" in body


@pytest.mark.parametrize("order", ["text", "hex"])
def test_part_of_a_large_value_in_text_and_hex(client, r, settings, order):
    settings.DASHBOARD_PREVIEW_BYTES = 16
    r.set("big", b"x" * 40)
    body = fetch(client, "big", order=order)
    assert f"view-{order}" in body and "Next part" in body


def test_decoders_needing_the_whole_value_refuse_a_part(client, r, settings):
    settings.DASHBOARD_PREVIEW_BYTES = 16
    r.set("big", msgpack.packb(list(range(40))))
    assert "Not shown as MessagePack: the value is cut." in fetch(client, "big", order="msgpack")


def test_deeply_nested_values_render(client, r):
    nested: list = ["bottom"]
    for _ in range(60):
        nested = [nested]
    r.set("deep", msgpack.packb(nested))
    body = fetch(client, "deep")
    assert "parts nested deeper than 32 levels are not shown" in body
