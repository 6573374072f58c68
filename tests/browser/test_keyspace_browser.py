r"""The keyspace browser in a real Chromium against a real Redis.

Each test drives the dashboard the way a person would (clicks, typing, back button) and
checks what ends up on the screen. Data is seeded with pipelines through the `r` fixture;
the dashboard reaches the same redis-server through pytest-django's live server.
"""

from __future__ import annotations

import contextlib
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import redis
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from keyspace.display import human_bytes
from keyspace.redis.keynames import encode_key

pytestmark = pytest.mark.browser

KEY_ROWS = "#key-rows tr:not(.scan-status)"
KEY_LINKS = "#key-rows td.key-name a"
VALUE_ROWS = "table.values tbody tr:not(.scan-status):not(.empty)"
EXACT_TTL = re.compile(r"^[\d,]+ ms \(expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$")


# --------------------------------------------------------------------------- helpers


def seed_strings(r: redis.Redis, names, value: bytes = b"x", chunk: int = 5_000) -> None:
    names = list(names)
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, len(names), chunk):
            pipe.mset({name: value for name in names[start : start + chunk]})
        pipe.execute()


def key_row(page: Page, name: str):
    """The list row whose key link reads exactly `name`."""
    return page.locator("#key-rows tr").filter(has=page.get_by_role("link", name=name, exact=True))


def listed_names(page: Page) -> list[str]:
    return page.locator(KEY_LINKS).all_text_contents()


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def wait_for_more_rows(page: Page, selector: str, than: int) -> None:
    page.wait_for_function(
        "([selector, n]) => document.querySelectorAll(selector).length > n", arg=[selector, than]
    )


def filter_keys(page: Page, *, match: str | None = None, type_name: str | None = None) -> None:
    form = page.locator("#key-filter")
    if match is not None:
        form.get_by_label("Pattern").fill(match)
    if type_name is not None:
        form.get_by_label("Type").select_option(type_name)
    form.get_by_role("button", name="Filter").click()


# --------------------------------------------------------------------------- 1. overview


def test_dashboard_lists_keys_with_metadata_and_server_header(page: Page, url, r, dashboard_redis):
    with r.pipeline(transaction=False) as pipe:
        pipe.set("session:abc", "token", ex=86_400)
        pipe.hset("user:1", mapping={"name": "Ada", "email": "ada@example.com", "age": "36"})
        pipe.rpush("queue:jobs", *[f"job-{i}" for i in range(5)])
        pipe.sadd("tags", "red", "green")
        pipe.execute()

    page.goto(url("/"))
    expect(page).to_have_url(url("/c/default/db/0/"))

    # Header: where, which Redis, which db.
    header = page.locator("header.topbar")
    expect(header.locator(".address")).to_have_text(f"127.0.0.1:{dashboard_redis.port}")
    version = r.info("server")["redis_version"]
    expect(header.get_by_text(f"Redis {version}", exact=True)).to_be_visible()
    expect(header.locator(".db-picker summary")).to_have_text("db0")
    expect(page.locator("#results .summary")).to_contain_text("db0 holds 4 keys")

    expect(page.locator(KEY_ROWS)).to_have_count(4)
    expect(page.locator("#scan-done")).to_contain_text("Scan complete")

    # A key with a TTL: human in the cell, exact (ms + expiry time) on hover.
    session = key_row(page, "session:abc")
    cells = session.locator("td")
    expect(cells.nth(1)).to_have_text("string")
    expect(cells.nth(2)).to_have_text("23 h 59 m")
    assert EXACT_TTL.match(cells.nth(2).get_attribute("title")), cells.nth(2).get_attribute("title")
    ttl_ms = int(cells.nth(2).get_attribute("title").split(" ms")[0].replace(",", ""))
    assert 86_390_000 < ttl_ms <= 86_400_000
    expect(cells.nth(3)).to_have_text(human_bytes(r.memory_usage("session:abc")))
    expect(cells.nth(4)).to_have_text("5 bytes")

    user = key_row(page, "user:1").locator("td")
    expect(user.nth(1)).to_have_text("hash")
    expect(user.nth(2)).to_have_text("no TTL")
    expect(user.nth(2)).to_have_attribute("title", "no TTL")
    expect(user.nth(3)).to_have_text(human_bytes(r.memory_usage("user:1")))
    expect(user.nth(4)).to_have_text("3 fields")

    queue = key_row(page, "queue:jobs").locator("td")
    expect(queue.nth(1)).to_have_text("list")
    expect(queue.nth(4)).to_have_text("5 elements")

    tags = key_row(page, "tags").locator("td")
    expect(tags.nth(1)).to_have_text("set")
    expect(tags.nth(4)).to_have_text("2 members")


# --------------------------------------------------------------------------- 2. filters


def test_filter_by_pattern_and_type_is_bookmarkable_and_back_restores(page: Page, url, r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(1, 5):
            pipe.set(f"user:{i}", "x")
        pipe.hset("user:prefs", "theme", "dark")
        pipe.sadd("user:roles", "admin")
        for i in range(1, 4):
            pipe.set(f"session:{i}", "x")
        pipe.hset("cart:7", "sku", "1")
        pipe.execute()
    everything = {f"user:{i}" for i in range(1, 5)} | {f"session:{i}" for i in range(1, 4)}
    everything |= {"user:prefs", "user:roles", "cart:7"}
    users = {name for name in everything if name.startswith("user:")}

    page.goto(url("/c/default/db/0/"))
    expect(page.locator(KEY_ROWS)).to_have_count(len(everything))

    # Pattern: only matching keys, and the URL says so.
    filter_keys(page, match="user:*")
    expect(page).to_have_url(re.compile(r"/c/default/db/0/\?.*match=user%3A\*"))
    expect(page.locator(KEY_ROWS)).to_have_count(len(users))
    assert set(listed_names(page)) == users
    expect(page.locator("#results .summary")).to_contain_text("match the filter")
    filtered_url = page.url
    assert query_of(page)["match"] == ["user:*"]

    # Type as well: the pattern stays, the type narrows further.
    filter_keys(page, type_name="hash")
    expect(page.locator(KEY_ROWS)).to_have_count(1)
    assert listed_names(page) == ["user:prefs"]
    assert query_of(page)["type"] == ["hash"] and query_of(page)["match"] == ["user:*"]

    # Type alone.
    filter_keys(page, match="", type_name="hash")
    expect(page.locator(KEY_ROWS)).to_have_count(2)
    assert set(listed_names(page)) == {"user:prefs", "cart:7"}
    expect(key_row(page, "cart:7").locator("td").nth(4)).to_have_text("1 fields")

    # Back walks through the earlier lists.
    page.go_back()
    expect(page).to_have_url(re.compile(r"type=hash"))
    expect(page.locator(KEY_ROWS)).to_have_count(1)
    assert listed_names(page) == ["user:prefs"]
    page.go_back()
    expect(page).to_have_url(filtered_url)
    expect(page.locator(KEY_ROWS)).to_have_count(len(users))
    assert set(listed_names(page)) == users
    page.go_back()
    expect(page).to_have_url(url("/c/default/db/0/"))
    expect(page.locator(KEY_ROWS)).to_have_count(len(everything))

    # Bookmarkable: the filtered URL opened cold renders the same list and the same form.
    page.goto(filtered_url)
    expect(page.locator(KEY_ROWS)).to_have_count(len(users))
    assert set(listed_names(page)) == users
    expect(page.locator("#key-filter").get_by_label("Pattern")).to_have_value("user:*")


# --------------------------------------------------------------------------- 3. load more


def test_load_more_appends_pages_in_place_until_scan_complete(page: Page, url, r):
    names = {f"item:{i:03d}" for i in range(350)}
    seed_strings(r, names)

    page.goto(url("/c/default/db/0/"))
    rows = page.locator(KEY_ROWS)
    expect(page.locator("#load-more")).to_be_visible()
    first = rows.count()
    assert 100 <= first < 350
    expect(page.locator("#scan-done")).to_have_count(0)
    browse_url = page.url

    counts = [first]
    while page.locator("#scan-done").count() == 0:
        assert len(counts) < 10, f"too many pages: {counts}"
        expect(page.locator(".scan-status")).to_have_count(1)
        page.locator("#load-more").get_by_role("link", name="Load more").click()
        wait_for_more_rows(page, KEY_ROWS, counts[-1])
        expect(page.locator(".scan-status")).to_have_count(1)  # the new row replaced the old
        counts.append(rows.count())

    assert len(counts) >= 3, counts  # at least two clicks were needed
    assert counts == sorted(set(counts)), counts
    shown = listed_names(page)
    assert len(shown) == len(set(shown)) == 350, "rows were duplicated or lost"
    assert set(shown) == names
    expect(page.locator("#scan-done")).to_contain_text("all 350 keys of db0 scanned")
    expect(page.locator("#load-more")).to_have_count(0)
    assert page.url == browse_url  # appended in place, not a navigation


# --------------------------------------------------------------------------- 4. sparse filters


def progress_value(page: Page) -> int:
    return int(page.locator("#load-more progress").get_attribute("value"))


def seed_haystack(r: redis.Redis, noise: int) -> set[str]:
    seed_strings(r, (f"noise:{i}" for i in range(noise)))
    needles = {"needle:1", "needle:2"}
    seed_strings(r, needles, b"found")
    return needles


def follow_requests(page: Page) -> list[str]:
    """URLs of the requests that continue a key scan (auto-follows and Continue clicks)."""
    seen: list[str] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request.url) if request.headers.get("hx-target") == "load-more" else None
        ),
    )
    return seen


def test_sparse_filter_follows_on_its_own_until_complete(page: Page, url, r, settings):
    settings.DASHBOARD_SCAN_BUDGET_MS = 1
    needles = seed_haystack(r, 30_000)
    follows = follow_requests(page)

    page.goto(url("/c/default/db/0/"))
    filter_keys(page, match="needle:*")

    expect(page.locator("#scan-done")).to_be_visible(timeout=20_000)
    expect(page.locator(KEY_ROWS)).to_have_count(2)
    assert set(listed_names(page)) == needles
    expect(page.locator("#scan-done")).to_contain_text("all 30,002 keys of db0 scanned")
    expect(page.locator(".scan-status")).to_have_count(1)
    # Nobody clicked: the page asked for the following cursors by itself.
    assert follows, "the first response completed the scan; the test proves nothing"
    assert all("cursor=" in address and "match=needle" in address for address in follows)
    assert query_of(page)["match"] == ["needle:*"]
    assert "cursor" not in query_of(page)  # following does not change the address


def assert_no_more_follows(page: Page, follows: list[str]) -> tuple[int, int]:
    """Auto-following has stopped: no request and no progress over a window of time.

    Proving an absence needs a window: 400 ms is twenty of the page's 20 ms follow delays.
    The first window lets a request that was already in flight land."""
    page.wait_for_timeout(400)
    stopped_at = (len(follows), progress_value(page))
    page.wait_for_timeout(400)
    assert (len(follows), progress_value(page)) == stopped_at, "auto-follow kept going"
    expect(page.locator("#scan-done")).to_have_count(0)
    return stopped_at


def test_stop_halts_auto_follow_and_continue_resumes(page: Page, url, r, settings):
    settings.DASHBOARD_SCAN_BUDGET_MS = 0  # every request scans one batch, then returns
    needles = seed_haystack(r, 30_000)
    follows = follow_requests(page)

    page.goto(url("/c/default/db/0/"))
    filter_keys(page, match="needle:*")
    expect(page.locator("#load-more [data-scan-stop]")).to_be_visible()
    # The row holding Stop is replaced every few tens of ms while following, so a button
    # found a moment ago may already be detached: click whichever Stop is current, in one
    # step in the page (as keyboard activation would). A human-length mouse press on it is
    # its own test below.
    page.evaluate("() => document.querySelector('#load-more [data-scan-stop]').click()")

    requests_at_stop, progress_at_stop = assert_no_more_follows(page, follows)
    assert 0 < progress_at_stop < 30_000
    cont = page.locator("#load-more").get_by_role("link", name="Continue")
    expect(cont).to_be_visible()

    # Continue picks up where it stopped and follows on its own to the end again.
    cont.click()
    expect(page.locator("#scan-done")).to_be_visible(timeout=30_000)
    assert len(follows) > requests_at_stop + 1, "Continue made one request and stopped again"
    expect(page.locator(KEY_ROWS)).to_have_count(2)
    assert set(listed_names(page)) == needles


def test_stop_while_a_follow_is_in_flight_stays_stopped_on_screen(page: Page, url, r, settings):
    """Stop clicked while a follow request is on the wire: whether the page aborts it or its
    answer lands later, the page must end up saying it is stopped (no "still looking…", no
    Stop button) and ask for nothing more.

    The first follow request is held in the browser (page.route; the real server answers
    it once released), so the click always lands while it is in flight."""
    settings.DASHBOARD_SCAN_BUDGET_MS = 0
    seed_haystack(r, 30_000)
    held, settled = [], []

    def hold_first_follow(route) -> None:
        if route.request.headers.get("hx-target") == "load-more" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/c/default/db/0/\?"), hold_first_follow)
    follows = follow_requests(page)
    page.on("requestfinished", lambda request: settled.append(request))
    page.on("requestfailed", lambda request: settled.append(request))
    page.goto(url("/c/default/db/0/"))
    with page.expect_request(lambda request: request.headers.get("hx-target") == "load-more"):
        filter_keys(page, match="needle:*")
    row = page.locator("#load-more")

    row.locator("[data-scan-stop]").click()
    expect(row).to_have_class(re.compile(r"\bstopped\b"))
    expect(row.locator(".scanning")).to_be_hidden()
    assert len(held) == 1

    with contextlib.suppress(PlaywrightError):  # the page may have aborted it already
        held[0].continue_()
    deadline = time.monotonic() + 5
    while held[0].request not in settled and time.monotonic() < deadline:
        page.wait_for_timeout(25)  # lets Playwright deliver the request's last event
    assert held[0].request in settled, "the held follow request never finished"

    assert_no_more_follows(page, follows)
    expect(row.get_by_role("link", name="Continue")).to_be_visible()
    expect(row.locator(".scanning")).to_be_hidden(timeout=2_000)  # not "still looking…"
    expect(row.locator("[data-scan-stop]")).to_have_count(0, timeout=2_000)


def test_stop_responds_to_a_human_length_press(page: Page, url, r, settings):
    """People hold a mouse button for about 100 ms; Stop must work for such a press even
    though the row around it is being replaced by the next follow meanwhile.

    Nothing matches here, so no result rows get inserted above the Stop button while the
    press lasts: it stays where it is and only its row is swapped."""
    settings.DASHBOARD_SCAN_BUDGET_MS = 0
    seed_strings(r, (f"noise:{i}" for i in range(30_000)))
    follows = follow_requests(page)

    page.goto(url("/c/default/db/0/"))
    filter_keys(page, match="needle:*")
    # Where the current Stop button is, read in one go (the row is swapped every few ms).
    x, y = page.wait_for_function(
        """() => {
          const button = document.querySelector("#load-more [data-scan-stop]");
          const box = button && button.getBoundingClientRect();
          return box && box.width ? [box.x + box.width / 2, box.y + box.height / 2] : null;
        }"""
    ).json_value()
    page.mouse.move(x, y)
    page.mouse.down()
    page.wait_for_timeout(150)  # the press itself: a deliberate duration, not a wait for state
    page.mouse.up()

    assert_no_more_follows(page, follows)


# --------------------------------------------------------------------------- 5. namespaces


def test_namespaces_drill_down_to_a_key(page: Page, url, r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(35):
            pipe.set(f"user:{i}", "x")
        for i in range(5):
            pipe.hset(f"user:admin:{i}", "role", "root")
        for i in range(10):
            pipe.set(f"session:{i}", "x")
        pipe.set("config", "x")
        pipe.execute()

    page.goto(url("/c/default/db/0/"))
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Namespaces").click()
    expect(page).to_have_url(url("/c/default/db/0/namespaces/"))

    counts = page.locator("#namespace-counts")
    expect(counts.locator(".summary")).to_contain_text("Counted all 51 keys")
    folders = counts.locator("a.folder")
    expect(folders).to_have_text(["session:", "user:"])

    def count_of(folder: str):
        return (
            counts.locator("tbody tr")
            .filter(has=page.get_by_role("link", name=folder, exact=True))
            .locator("td.num")
        )

    expect(count_of("user:")).to_have_text("40")
    expect(count_of("session:")).to_have_text("10")
    expect(counts.get_by_role("link", name="config", exact=True)).to_be_visible()

    # Into user: → one sub-folder and 35 keys at this level.
    folders.filter(has_text="user:").click()
    expect(page).to_have_url(
        re.compile(r"/c/default/db/0/namespaces/\?prefix=" + encode_key(b"user:")))
    crumbs = page.get_by_role("navigation", name="Namespace path")
    expect(crumbs.get_by_role("link")).to_have_text(["db0", "user"])
    expect(counts.locator(".summary")).to_contain_text("Counted all 40 keys under user:")
    expect(counts.locator("a.folder")).to_have_text(["admin:"])
    expect(count_of("admin:")).to_have_text("5")
    expect(counts.get_by_role("link", name=re.compile(r"^user:\d+$"))).to_have_count(35)

    # Deeper: user:admin: holds only keys.
    counts.get_by_role("link", name="admin:", exact=True).click()
    expect(crumbs.get_by_role("link")).to_have_text(["db0", "user", "admin"])
    expect(counts.locator(".summary")).to_contain_text("Counted all 5 keys under user:admin:")
    expect(counts.locator("a.folder")).to_have_count(0)
    expect(counts.get_by_role("link", name=re.compile(r"^user:admin:\d$"))).to_have_count(5)

    # The breadcrumb walks back up.
    crumbs.get_by_role("link", name="user", exact=True).click()
    expect(crumbs.get_by_role("link")).to_have_text(["db0", "user"])
    expect(count_of("admin:")).to_have_text("5")
    counts.get_by_role("link", name="admin:", exact=True).click()

    # And a key opens its own page.
    counts.get_by_role("link", name="user:admin:3", exact=True).click()
    expect(page).to_have_url(url(f"/c/default/db/0/key/{encode_key(b'user:admin:3')}/"))
    expect(page.locator("h1.key-title")).to_have_text("user:admin:3")
    expect(page.locator("table.values")).to_contain_text("root")


def test_namespace_with_a_binary_name_drills_down(page: Page, url, r):
    with r.pipeline(transaction=False) as pipe:
        pipe.set(b"bin\xff:1", b"x")
        pipe.set(b"bin\xff:2", b"x")
        pipe.set(b"plain:1", b"x")
        pipe.execute()

    page.goto(url("/c/default/db/0/namespaces/"))
    counts = page.locator("#namespace-counts")
    expect(counts.locator("a.folder")).to_have_text([r"bin\xff:", "plain:"])
    counts.get_by_role("link", name=r"bin\xff:", exact=True).click()

    expect(page.get_by_role("navigation", name="Namespace path").get_by_role("link")).to_have_text(
        ["db0", r"bin\xff"]
    )
    expect(counts.locator(".summary")).to_contain_text("Counted all 2 keys")
    expect(counts.get_by_role("link", name=re.compile(r"^bin\\xff:\d$"))).to_have_count(2)

    page.get_by_role("link", name=re.compile(r"^Browse keys under")).click()
    expect(page.locator(KEY_ROWS)).to_have_count(2)
    assert set(listed_names(page)) == {r"bin\xff:1", r"bin\xff:2"}


def test_browse_keys_under_a_folder_matches_only_that_folder(page: Page, url, r):
    """The "Browse keys under …" link must match the folder literally, whatever glob or
    escape characters its name holds."""
    with r.pipeline(transaction=False) as pipe:
        for name in (b"a\\b:1", b"ab:1", b"x[1]:1", b"x1:1", b"q*:1", b"qq:1"):
            pipe.set(name, b"x")
        pipe.execute()

    for folder, inside in (("x[1]:", "x[1]:1"), ("q*:", "q*:1"), ("a\\b:", "a\\b:1")):
        page.goto(url("/c/default/db/0/namespaces/"))
        page.locator("#namespace-counts").get_by_role("link", name=folder, exact=True).click()
        expect(page.locator("#namespace-counts .summary")).to_contain_text(
            f"Counted all 1 keys under {folder}"
        )
        page.get_by_role("link", name=f"Browse keys under {folder}").click()
        expect(page.locator("#scan-done")).to_be_visible()
        assert listed_names(page) == [inside], f"browsing under {folder!r}"


def test_tabs_mark_the_current_view(page: Page, url, r):
    r.set("user:1", "x")
    tabs = page.get_by_role("navigation", name="Views")

    page.goto(url("/c/default/db/0/"))
    expect(tabs.get_by_role("link", name="Keys")).to_have_attribute("aria-current", "page")
    expect(tabs.get_by_role("link", name="Namespaces")).not_to_have_attribute(
        "aria-current", "page"
    )

    tabs.get_by_role("link", name="Namespaces").click()
    expect(page).to_have_url(url("/c/default/db/0/namespaces/"))
    expect(tabs.get_by_role("link", name="Namespaces")).to_have_attribute("aria-current", "page")
    expect(tabs.get_by_role("link", name="Keys")).not_to_have_attribute("aria-current", "page")


# --------------------------------------------------------------------------- 6. big hash


def test_big_hash_pages_with_load_more_and_filters_fields(page: Page, url, r):
    r.hset("big:hash", mapping={f"field:{i:04d}": f"value-{i}" for i in range(5_000)})

    page.goto(url("/c/default/db/0/"))
    page.get_by_role("link", name="big:hash", exact=True).click()
    expect(page).to_have_url(url(f"/c/default/db/0/key/{encode_key(b'big:hash')}/"))
    expect(page.locator("dl.meta")).to_contain_text("5,000 fields")

    rows = page.locator(VALUE_ROWS)
    expect(rows.first).to_be_visible()
    first = rows.count()
    assert 0 < first < 5_000
    key_url = page.url

    for _ in range(2):
        before = rows.count()
        page.locator("#value-more").get_by_role("link", name="Load more").click()
        wait_for_more_rows(page, VALUE_ROWS, before)
        expect(page.locator("#value-more")).to_have_count(1)
    fields = [text.strip() for text in page.locator(f"{VALUE_ROWS} td.field").all_text_contents()]
    assert len(fields) == len(set(fields)) > first
    assert all(re.fullmatch(r"field:\d{4}", name) for name in fields), fields[:5]
    for row in rows.all()[:5]:  # each field sits next to its own value
        field = row.locator("td.field").text_content().strip()
        value = row.locator("td").nth(1).text_content().strip()
        assert value == f"value-{int(field.split(':')[1])}"
    assert page.url == key_url

    # The field filter finds one field among 5,000 (following empty pages if it must).
    controls = page.locator("form.value-controls")
    controls.get_by_label("Filter").fill("field:4321")
    controls.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"match=field%3A4321"))
    hit = rows.filter(has_text="field:4321")
    expect(hit).to_have_count(1, timeout=20_000)
    expect(hit.locator("td.field")).to_have_text("field:4321")
    expect(hit.locator("td").nth(1)).to_have_text("value-4321")
    expect(rows).to_have_count(1)


# --------------------------------------------------------------------------- 7. binary names


BINARY_NAME = b"bin:\xff\xfe\x00 end"
BINARY_SHOWN = r"bin:\xff\xfe\0 end"  # display.py: invalid bytes as \xNN, NUL as \0


def test_binary_key_name_opens_from_list_and_by_url(page: Page, url, r):
    r.set(BINARY_NAME, b"stored under a binary name")
    r.set("plain", "x")
    key_url = url(f"/c/default/db/0/key/{encode_key(BINARY_NAME)}/")

    page.goto(url("/c/default/db/0/"))
    link = page.get_by_role("link", name=BINARY_SHOWN, exact=True)
    expect(link).to_have_text(BINARY_SHOWN)
    expect(link).to_have_class(re.compile(r"\bbinary\b"))
    expect(key_row(page, BINARY_SHOWN).locator("td").nth(4)).to_have_text("26 bytes")
    link.click()

    def shows_the_key() -> None:
        expect(page).to_have_url(key_url)
        expect(page.locator("h1.key-title")).to_have_text(BINARY_SHOWN)
        expect(page.locator("h1.key-title")).to_have_class(re.compile(r"\bbinary\b"))
        expect(page.locator("#value pre.value-body")).to_have_text("stored under a binary name")
        expect(page.locator("dl.meta")).to_contain_text("26 bytes")

    shows_the_key()
    page.goto(key_url)
    shows_the_key()

    # The name as shown is also what a person can type into the exact-key lookup.
    page.goto(url("/c/default/db/0/"))
    lookup = page.locator("#key-lookup")
    lookup.get_by_label("Exact key").fill(BINARY_SHOWN)
    lookup.get_by_role("button", name="Look up").click()
    expect(page.locator("#results .summary")).to_contain_text("Key found.")
    expect(page.locator(KEY_ROWS)).to_have_count(1)
    page.get_by_role("link", name=BINARY_SHOWN, exact=True).click()
    shows_the_key()


# --------------------------------------------------------------------------- 8. hostile names


HOSTILE = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]


def test_hostile_key_names_are_shown_as_text(page: Page, url, r, dialogs):
    with r.pipeline(transaction=False) as pipe:
        for name in HOSTILE:
            pipe.set(name, "<script>alert('value')</script>")
        pipe.hset("<b>hash</b>", "<img src=y onerror=alert(2)>", "<svg onload=alert(3)>")
        pipe.execute()

    page.goto(url("/c/default/db/0/"))
    for name in HOSTILE:
        expect(page.get_by_role("link", name=name, exact=True)).to_have_text(name)
    expect(page.get_by_role("link", name="<b>hash</b>", exact=True)).to_be_visible()
    main = page.locator("main")
    injected = main.locator("img[onerror], svg[onload], script, #key-rows b")
    expect(injected).to_have_count(0)

    for name in HOSTILE:
        page.goto(url("/c/default/db/0/"))
        page.get_by_role("link", name=name, exact=True).click()
        expect(page).to_have_url(url(f"/c/default/db/0/key/{encode_key(name.encode())}/"))
        expect(page.locator("h1.key-title")).to_have_text(name)
        expect(page.locator("#value pre.value-body")).to_have_text(
            "<script>alert('value')</script>"
        )
        expect(page).to_have_title(re.compile(re.escape(name)))
        expect(injected).to_have_count(0)

    page.goto(url(f"/c/default/db/0/key/{encode_key(b'<b>hash</b>')}/"))
    expect(page.locator("table.values td.field")).to_have_text(["<img src=y onerror=alert(2)>"])
    expect(page.locator("table.values tbody td").nth(1)).to_have_text("<svg onload=alert(3)>")
    expect(main.locator("img[onerror], svg[onload], table.values b")).to_have_count(0)

    # Reflected input: a hostile pattern comes back as the input's value, not as markup.
    pattern = "<img src=x onerror=alert(1)>*"
    page.goto(url("/c/default/db/0/?") + urlencode({"match": pattern}))
    expect(page.locator("#key-filter").get_by_label("Pattern")).to_have_value(pattern)
    expect(page.get_by_role("link", name=HOSTILE[0], exact=True)).to_be_visible()
    expect(injected).to_have_count(0)

    # Namespaces list the same names as leaves.
    page.goto(url("/c/default/db/0/namespaces/"))
    for name in HOSTILE:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(injected).to_have_count(0)

    page.wait_for_load_state("networkidle")
    assert dialogs == []
