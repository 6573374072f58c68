r"""Hostile data in every place the dashboard shows Redis data, in a real Chromium.

The corpus (hostile.py) is seeded through a real redis-py client into every data position:
key names of every type, hash fields and values, list elements, set and sorted-set members,
stream fields and values, string values; channel names, patterns and messages (against a
uvicorn subprocess, the only server that streams); and, through the dashboard's own forms,
into flash messages, form errors, error pages and the audit log.

On every page the `Guard` checks that nothing ran and nothing was fetched: no dialog, no
`window.__pwned`, no Content-Security-Policy violation (the CSP would silently stop an
inline payload, so a violation is the trace escaping failed), no request for a payload's
/…pwned… URL or to another origin, no markup or attribute out of the data in the DOM, no
console error. And each page is read back: the hostile text is there, as text, exactly as
the dashboard means to show it.

Display problems that are not code running (raw bidi or zero-width characters, text not
shown as stored, duplicated ids) are collected along the way and asserted at the end of
each test, so one run reports every place at once.

`test_the_guard_sees_what_escaping_failures_would_do` proves the checks can fail.
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
from collections import Counter
from urllib.parse import urlencode, urlsplit

import pytest
import redis
from django.utils.text import Truncator
from playwright.sync_api import Page, expect

from keyspace.display import bytes_to_text, is_printable_text
from keyspace.redis.keynames import encode_key, escape_glob, to_escaped
from keyspace.services.pubsub.live import Message, present
from keyspace.units.base import Element
from keyspace.units.string import render_preview
from tests.browser.hostile import HOSTILE, is_pwned_request, pick
from tests.browser.rows import open_row

pytestmark = pytest.mark.browser


# Container keys: hostile names themselves, some printable (shown and audited as text), some
# binary (escaped, audited as hex).
HASH = b'hash:<img src=/pwned-hash onerror=window.__pwned="hash">"\'{{7*7}}'
LIST = "list:\u202e<script>window.__pwned='list'</script>".encode()
SET = b"set:\r\n<svg onload=alert('set')>\xff"
ZSET = b'zset:"><div hx-get="/c/default/db/0/?pwned=zset" hx-trigger="load">zset</div>'
STREAM = b"stream:</title><script>alert('stream')</script>"
JSON_KEY = b"json:{% debug %}<img src=/pwned-json onerror=alert('json')>"
CONTAINERS = (HASH, LIST, SET, ZSET, STREAM, JSON_KEY)

# Namespace folders to drill into: (folder, sub-folder), each holding one key.
FOLDERS = [
    (pick(b"<script>window.__pwned=")[0], b"<svg onload=window.__pwned='sub'>"),
    (pick(b"<img src=/pwned-", b"onerror=window.__pwned=")[0], b"\xff\xfe\x00sub"),
    (pick(b"<div hx-get=", b"htmx get")[0], "\u202ebidi sub".encode()),
    # The 6,000-byte folder: its key's URL is too long for the test live server (see
    # test_a_6000_byte_name_under_uvicorn), so only uvicorn drills into it.
    (LONG := max(HOSTILE, key=len), b"{{7*7}}"),
]
NAMESPACED = [folder + b":" + sub + b":" + b"<b>leaf</b>" for folder, sub in FOLDERS]
LONG_FOLDER = FOLDERS.pop()
DELIMITER = '"><i>d</i>'  # a hostile delimiter (the form allows 16 characters)
DELIMITED = [b"left" + DELIMITER.encode() + b"right" + DELIMITER.encode() + b"x"]

N = len(HOSTILE)
# The JSON document keeps the corpus as JSON escapes: a printable value shown pretty-printed.
JSON_DOC = json.dumps(
    {"payloads": [h.decode("utf-8", "replace") for h in HOSTILE], "n": N}
).encode()


def all_keys() -> list[bytes]:
    return [*HOSTILE, *CONTAINERS, *NAMESPACED, *DELIMITED]


def seed(r: redis.Redis) -> None:
    """Every data position, in one pipeline."""
    with r.pipeline(transaction=False) as pipe:
        for i, name in enumerate(HOSTILE):
            pipe.set(name, HOSTILE[-1 - i])  # a hostile name holding a hostile value
        pipe.hset(HASH, mapping={h: HOSTILE[(i + 1) % N] for i, h in enumerate(HOSTILE)})
        pipe.rpush(LIST, *HOSTILE)
        pipe.sadd(SET, *HOSTILE)
        pipe.zadd(ZSET, {h: i for i, h in enumerate(HOSTILE)})
        for i, h in enumerate(HOSTILE):
            pipe.xadd(STREAM, {h: HOSTILE[(i + 7) % N], b"#": str(i).encode()})
        pipe.set(JSON_KEY, JSON_DOC)
        for name in NAMESPACED + DELIMITED:
            pipe.set(name, b"<script>alert('leaf')</script>")
        pipe.execute()


# --------------------------------------------------------------------------- the guard

INIT_SCRIPT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} ${e.sample || ""}`);
});
"""

# What the DOM must never hold: elements or attributes that came out of the data.
PROBE = r"""
() => {
  const bad = [];
  const tags = new Set(["script", "img", "svg", "iframe", "object", "embed", "math", "style",
    "link", "meta", "base", "frame", "frameset", "template", "noscript", "video", "audio",
    "source", "portal", "marquee", "b", "i"]);
  const urlAttrs = new Set(["href", "src", "action", "formaction", "srcdoc", "data", "xlink:href"]);
  const htmxUrl = /^(data-)?(hx-(get|post|put|patch|delete)|sse-connect|ws-connect)$/;
  // The request a payload would make (see hostile.is_pwned_request): hostile text inside the
  // page's own query values is percent-encoded and does not count.
  function pwnedUrl(value) {
    try {
      const u = new URL(value, location.href);
      return /pwned/i.test(u.pathname) || [...u.searchParams.keys()].some((k) => /pwned/i.test(k));
    } catch { return /pwned/i.test(value); }
  }
  // The one <template> the dashboard draws itself: a value table's row actions, links only.
  function ownRowMenu(el) {
    if (!el.matches("table.values > template[data-row-menu]") || el.attributes.length !== 1)
      return false;
    return [...el.content.querySelectorAll("*")].every((part) =>
      part.matches("td.row-actions, td.row-actions > a[data-action$='?row=']:not([href])"));
  }
  for (const el of document.body.querySelectorAll("*")) {
    const tag = el.localName;
    if (tags.has(tag) && !(tag === "template" && ownRowMenu(el)))
      bad.push(`<${tag}> in the page: ${el.outerHTML.slice(0, 120)}`);
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on") || name.startsWith("hx-on") || name.startsWith("data-hx-on"))
        bad.push(`${tag}[${name}]`);
      if (htmxUrl.test(name) ? pwnedUrl(a.value)
          : /^(data-)?(hx-|sse-|ws-)/.test(name) && /pwned/i.test(a.value))
        bad.push(`${tag}[${name}=${a.value.slice(0, 80)}]`);
      if ((name === "src" || name === "href" || name === "action") && pwnedUrl(a.value))
        bad.push(`${tag}[${name}=${a.value.slice(0, 80)}]`);
      if (urlAttrs.has(name) && /^\s*(javascript|data|vbscript):/i.test(a.value))
        bad.push(`${tag}[${name}=${a.value.slice(0, 80)}]`);
    }
  }
  const ids = Counter();
  function Counter() { const m = new Map(); return {add: (k) => m.set(k, (m.get(k) || 0) + 1), m}; }
  document.querySelectorAll("[id]").forEach((el) => ids.add(el.id));
  const dup = [];
  for (const [id, n] of ids.m) if (n > 1) dup.push(`id "${id}" used ${n} times`);
  // Characters the dashboard shows as \xNN escapes everywhere: bidi controls, zero-width
  // and other format characters, line/paragraph separators, C0/C1 controls but \t \n \r.
  const invisible = /[\p{Cf}\p{Zl}\p{Zp}\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/u;
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("textarea")) continue;
    const m = node.data.match(invisible);
    if (m) raw.push(`U+${m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0")} in ` +
      `<${node.parentElement.localName} class="${node.parentElement.className}">: ` +
      JSON.stringify(node.data.slice(Math.max(0, m.index - 30), m.index + 30)));
  }
  return {
    pwned: typeof window.__pwned === "undefined" ? null : String(window.__pwned),
    proto: ({}).pwned === undefined ? null : String(({}).pwned),
    csp: window.__csp || ["init script missing"],
    bad, raw, dup,
  };
}
"""


class Guard:
    """Watches one page for anything the data might have made it do."""

    def __init__(self, page: Page, dialogs: list[str], origins: set[str]) -> None:
        self.page = page
        self.dialogs = dialogs
        self.origins = origins
        self.requests: list[str] = []
        self.console: list[str] = []
        self.soft: list[str] = []  # display problems, asserted at the end
        self.pages = 0
        page.add_init_script(INIT_SCRIPT)
        page.on("request", self._request)
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console.append(f"uncaught: {e}"))

    def _request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            self.requests.append(f"{request.resource_type} {request.url[:100]}")
        elif is_pwned_request(request.url) or f"{parts.scheme}://{parts.netloc}" not in (
            self.origins
        ):
            self.requests.append(f"{request.method} {request.url[:200]}")

    def check(self, where: str, *, allow_console: tuple[str, ...] = ()) -> None:
        """Nothing ran, nothing was fetched, nothing was injected, on the page as it is now."""
        self.pages += 1
        self.page.wait_for_function("() => !document.querySelector('.htmx-request')")
        found = self.page.evaluate(PROBE)
        console = [c for c in self.console if not any(re.search(a, c) for a in allow_console)]
        self.console.clear()
        problems = {
            "dialogs": list(self.dialogs),
            "window.__pwned": found["pwned"],
            "Object.prototype.pwned": found["proto"],
            "CSP violations": found["csp"],
            "requests a payload would make": list(self.requests),
            "markup from the data": found["bad"],
            "console errors": console,
        }
        problems = {name: value for name, value in problems.items() if value}
        self.soft += [f"{where}: raw {r}" for r in found["raw"]]
        # An injected out-of-band swap would duplicate an id (with markup flagged above); the
        # page's own swaps can too, which is a bug of its own but not the data running.
        self.soft += [f"{where}: {d}" for d in found["dup"]]
        assert not problems, f"{where} ({self.page.url}): {problems}"

    def same(self, where: str, shown, expected) -> None:
        """A display check that does not stop the test: collected and asserted at the end."""
        if shown != expected:
            self.soft.append(f"{where}: shown {_short(shown)}, expected {_short(expected)}")

    def finish(self) -> None:
        assert not self.soft, "display problems:\n" + "\n".join(self.soft)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 600 else text[:600] + "…"


@pytest.fixture
def guard(page: Page, dialogs, live_server) -> Guard:
    return Guard(page, dialogs, {live_server.url})


# --------------------------------------------------------------------------- helpers


def shown(value: bytes) -> str:
    """A key name, field or member as the dashboard shows it."""
    return bytes_to_text(value)


def as_parsed(text: str) -> str:
    """Text as the HTML parser keeps it: CR and CRLF become LF in any text node. (Printable
    string values are shown with their line breaks as they are, so a CR shows as a line
    break; that is the dashboard's choice, not the data escaping.)"""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def element(value: bytes) -> str:
    return Element.of(value).text


def texts(page: Page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def click_text(page: Page, selector: str, text: str) -> None:
    """Click the element matching `selector` whose text is exactly `text`."""
    index = page.eval_on_selector_all(
        selector, "(els, t) => els.findIndex(e => e.textContent === t)", text
    )
    assert index >= 0, f"no {selector} reads {_short(text)}: {texts(page, selector)[:20]}"
    # Near the top left corner: a link holding a 6,000-byte name wraps to be taller than the
    # window, and its centre may sit under the sticky table header.
    page.locator(selector).nth(index).click(position={"x": 3, "y": 3})


def mark_stale(page: Page, selector: str) -> None:
    page.eval_on_selector(selector, "el => { el.dataset.stale = '1'; }")


def wait_replaced(page: Page, selector: str) -> None:
    """Until an htmx swap has replaced what `mark_stale` marked."""
    expect(page.locator(f"{selector}[data-stale]")).to_have_count(0)
    expect(page.locator(selector).first).to_be_attached()


def key_url(name: bytes, rest: str = "") -> str:
    return f"/c/default/db/0/key/{encode_key(name)}/{rest}"


def title_text(text: str) -> str:
    """document.title collapses ASCII whitespace."""
    return re.sub(r"[ \t\n\f\r]+", " ", text).strip()


def audit_key(name: bytes) -> str:
    if is_printable_text(name):
        return Truncator(name.decode()).chars(200)
    return "hex " + Truncator(name.hex()).chars(200)


def drill_down(page: Page, guard: Guard, url, folder: bytes, sub: bytes) -> None:
    """From the namespace root into `folder`, then `sub`, to its key and back, then "Browse
    keys under" it: by the links a person would click."""
    counts = page.locator("#namespace-counts")
    page.goto(url("/c/default/db/0/namespaces/"))
    expect(counts.locator(".summary")).to_contain_text("Counted all")
    click_text(page, "#namespace-counts a.folder", shown(folder) + ":")
    expect(counts.locator(".summary code")).to_have_text(shown(folder + b":"))
    crumbs = page.get_by_role("navigation", name="Namespace path").get_by_role("link")
    guard.check(f"namespace {shown(folder)[:40]!r}")
    guard.same("crumbs", texts(page, "nav.crumbs a"), ["db0", shown(folder)])
    click_text(page, "#namespace-counts a.folder", shown(sub) + ":")
    expect(counts.locator(".summary code")).to_have_text(shown(folder + b":" + sub + b":"))
    expect(crumbs).to_have_count(3)
    guard.check(f"namespace {shown(folder)[:40]!r} › {shown(sub)!r}")
    guard.same("crumbs", texts(page, "nav.crumbs a"), ["db0", shown(folder), shown(sub)])
    leaf = folder + b":" + sub + b":<b>leaf</b>"
    click_text(page, "#namespace-counts td.key-name a", shown(leaf))
    expect(page).to_have_url(url(key_url(leaf)))
    guard.same("leaf key page", page.locator("h1.key-title").text_content(), shown(leaf))
    guard.check("namespace leaf key page")
    page.go_back()
    expect(counts.locator(".summary code")).to_have_text(shown(folder + b":" + sub + b":"))
    guard.check("namespace, back from the key page")
    page.get_by_role("link", name=re.compile("^Browse keys under")).click()
    expect(page.locator("#scan-done, .error-page")).to_be_visible()
    if page.locator(".error-page").count():
        guard.soft.append(
            f"Browse keys under {shown(folder)[:40]!r}…: "
            + page.locator(".error-page").inner_text()[:300]
        )
        guard.check(
            "browse keys under a hostile folder",
            allow_console=(r"status of 400", r"Error Code 400"),
        )
        return
    guard.same("browse under folder", texts(page, "#key-rows td.key-name a"), [shown(leaf)])
    expect(page.locator("#key-filter").get_by_label("Pattern")).to_have_value(
        to_escaped(escape_glob(folder + b":" + sub + b":") + b"*")
    )
    guard.check("browse keys under a hostile folder")


# --------------------------------------------------------------------------- 1. lists


def test_key_list_filters_and_namespaces_show_hostile_names_as_text(
    page: Page, url, r, guard: Guard
):
    seed(r)
    keys = all_keys()

    # Every key at once: each name is one link reading exactly the name, nothing else.
    page.goto(url("/c/default/db/0/?count=500"))
    expect(page.locator("#scan-done")).to_contain_text(f"all {len(keys)} keys")
    page.wait_for_timeout(300)  # an injected hx-trigger="every 200ms" would have fired
    guard.check("key list")
    guard.same(
        "key list", Counter(texts(page, "#key-rows td.key-name a")), Counter(shown(k) for k in keys)
    )
    expect(page.get_by_role("link", name=shown(HASH), exact=True)).to_be_visible()

    # Pattern filters typed into the form (htmx swaps #results, the URL records them).
    filters = page.locator("#key-filter")
    for needle in (b"<script>", b"hx-get=", b"{{7*7}}"):
        pattern = b"*" + needle + b"*"
        mark_stale(page, "#key-rows")
        filters.get_by_label("Pattern").fill(pattern.decode())
        filters.get_by_role("button", name="Filter").click()
        wait_replaced(page, "#key-rows")
        expect(page.locator("#scan-done")).to_be_visible()
        guard.check(f"key list filtered by {pattern!r}")
        guard.same(
            f"key list filtered by {pattern!r}",
            Counter(texts(page, "#key-rows td.key-name a")),
            Counter(shown(k) for k in keys if fnmatch.fnmatchcase(k, pattern)),
        )
        expect(filters.get_by_label("Pattern")).to_have_value(pattern.decode())
    filters.get_by_label("Pattern").fill("")
    filters.get_by_label("Type").select_option("hash")
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("#key-rows td.key-name a")).to_have_text([shown(HASH)])
    guard.check("key list filtered by type")

    # Exact-key lookups: a binary name typed as shown, and a missing hostile name echoed.
    lookup = page.locator("#key-lookup")
    lookup.get_by_label("Exact key").fill(shown(SET))
    lookup.get_by_role("button", name="Look up").click()
    expect(page.locator("#results .summary")).to_contain_text("Key found.")
    expect(page.locator("#key-rows td.key-name a")).to_have_text([shown(SET)])
    guard.check("exact-key lookup")
    missing = "<img src=/pwned-lookup onerror=alert('lookup')>{{7*7}}"
    lookup.get_by_label("Exact key").fill(missing)
    lookup.get_by_role("button", name="Look up").click()
    expect(page.locator("#results .summary code")).to_have_text(missing)
    guard.check("exact-key lookup, not found")

    # Back through the pushed URLs: htmx restores its snapshots of the hostile list.
    page.go_back()
    expect(page.locator("#key-rows td.key-name a")).to_have_text([shown(SET)])
    guard.check("history restore")

    # Namespaces: folders and leaves, then down into hostile folders by their links.
    page.goto(url("/c/default/db/0/namespaces/"))
    counts = page.locator("#namespace-counts")
    expect(counts.locator(".summary")).to_contain_text(f"Counted all {len(keys)} keys")
    guard.check("namespaces")
    roots = {k.split(b":")[0] for k in keys if b":" in k}
    guard.same(
        "namespace folders",
        sorted(texts(page, "#namespace-counts a.folder")),
        sorted(shown(s) + ":" for s in roots),
    )
    leaves = texts(page, "#namespace-counts td.key-name a:not(.folder)")
    assert leaves and set(leaves) <= {shown(k) for k in keys if b":" not in k}

    for folder, sub in FOLDERS:
        drill_down(page, guard, url, folder, sub)

    # A hostile delimiter: in the form, in folder names, in links.
    page.goto(url("/c/default/db/0/namespaces/?" + urlencode({"delimiter": DELIMITER})))
    expect(counts.locator(".summary")).to_contain_text("Counted all")
    guard.check("namespaces with a hostile delimiter")
    expect(page.get_by_label("Delimiter")).to_have_value(DELIMITER)
    click_text(page, "#namespace-counts a.folder", "left" + DELIMITER)
    expect(page.get_by_role("navigation", name="Namespace path").get_by_role("link")).to_have_text(
        ["db0", "left"]
    )
    expect(page.locator("#namespace-counts a.folder")).to_have_text(["right" + DELIMITER])
    guard.check("namespaces with a hostile delimiter")
    guard.finish()


# --------------------------------------------------------------------------- 2. key pages


def test_key_pages_of_every_type_show_hostile_values_as_text(page: Page, url, r, guard: Guard):
    seed(r)

    # Every string key: the name in the heading and the title, the value in the preview.
    for i, name in enumerate(HOSTILE):
        if name == LONG:
            continue  # the live server cannot serve its 8 KB URL: test_a_6000_byte_name_…
        value = HOSTILE[-1 - i]
        page.goto(url(key_url(name)))
        where = f"string key #{i + 1}"
        guard.check(where)
        heading, title, body = page.evaluate(
            """() => [document.querySelector("h1.key-title").textContent, document.title,
                      document.querySelector("#value pre.value-body").textContent]"""
        )
        guard.same(f"{where} heading", heading, shown(name))
        guard.same(
            f"{where} title",
            title,
            title_text(f"{Truncator(shown(name)).chars(60)} · db0 · Redis dashboard"),
        )
        preview = render_preview(value, offset=0, total=len(value), view="auto")
        guard.same(f"{where} value ({preview.view})", body, as_parsed(preview.body))

    # The JSON document, pretty-printed: the escapes decode to real <, >, quotes, bidi…
    page.goto(url(key_url(JSON_KEY)))
    guard.check("JSON string")
    pretty = render_preview(JSON_DOC, offset=0, total=len(JSON_DOC), view="auto")
    assert pretty.view == "json"
    guard.same("JSON string", page.locator("#value pre.value-body").text_content(), pretty.body)
    for view in ("text", "hex"):
        page.goto(url(key_url(JSON_KEY, f"?order={view}")))
        guard.check(f"JSON string as {view}")

    # Hash: fields and values, every one on one page.
    page.goto(url(key_url(HASH, "?count=500")))
    guard.check("hash")
    rows = page.eval_on_selector_all(
        "table.values tbody tr:has(a[href^='?row='])",
        "trs => trs.map(tr => [...tr.querySelectorAll('span.element')].map(s => s.textContent))",
    )
    guard.same(
        "hash fields and values",
        Counter(map(tuple, rows)),
        Counter((element(h), element(HOSTILE[(i + 1) % N])) for i, h in enumerate(HOSTILE)),
    )
    guard.same("hash heading", page.locator("h1.key-title").text_content(), shown(HASH))

    # Hash field filter with hostile glob text typed into the form, then the whole result.
    controls = page.locator("form.value-controls")
    mark_stale(page, "#value table.values")
    controls.get_by_label("Filter").fill("*<img*")
    controls.get_by_role("button", name="Apply").click()
    wait_replaced(page, "#value table.values")
    expect(controls.get_by_label("Filter")).to_have_value("*<img*")
    guard.check("hash filtered")
    fields = texts(page, "table.values td.field span.element")
    assert fields and all("<img" in f for f in fields), fields
    page.goto(url(key_url(HASH, "?count=500&" + urlencode({"match": "*<img*"}))))
    guard.check("hash filtered, whole")
    guard.same(
        "hash filtered",
        Counter(texts(page, "table.values td.field span.element")),
        Counter(element(h) for h in HOSTILE if b"<img" in h),
    )

    # List, in order.
    page.goto(url(key_url(LIST, "?count=500")))
    guard.check("list")
    guard.same(
        "list elements",
        texts(page, "table.values tbody tr:has(a[href^='?row=']) span.element"),
        [element(h) for h in HOSTILE],
    )
    page.goto(url(key_url(LIST, "?count=500&order=tail")))
    guard.check("list from the tail")

    # Set.
    page.goto(url(key_url(SET, "?count=500")))
    guard.check("set")
    guard.same(
        "set members",
        Counter(texts(page, "table.values tbody tr:has(a[href^='?row=']) span.element")),
        Counter(element(h) for h in HOSTILE),
    )

    # Sorted set, highest score first, and the other way round.
    page.goto(url(key_url(ZSET, "?count=500")))
    guard.check("sorted set")
    guard.same(
        "sorted set members",
        texts(page, "table.values tbody tr:has(a[href^='?row=']) span.element"),
        [element(h) for h in reversed(HOSTILE)],
    )
    page.goto(url(key_url(ZSET, "?count=500&order=asc")))
    guard.check("sorted set ascending")

    # Stream: entry fields and values, newest first.
    page.goto(url(key_url(STREAM, "?count=500")))
    guard.check("stream")
    entries = page.eval_on_selector_all(
        "table.values tbody dl.entry",
        "dls => dls.map(dl => [...dl.querySelectorAll('span.element')].map(s => s.textContent))",
    )
    guard.same(
        "stream entries",
        entries,
        [
            [element(h), element(HOSTILE[(i + 7) % N]), "#", str(i)]
            for i, h in reversed(list(enumerate(HOSTILE)))
        ],
    )
    guard.finish()


# --------------------------------------------------------------------------- 3. edits


def test_edit_forms_flash_messages_and_audit_log_with_hostile_data(
    page: Page, url, r, guard: Guard
):
    seed(r)
    field = pick(b"<script>window.__pwned=")[0]
    new_value = pick(b"</textarea><script>")[0]

    # An edit form for a hostile row, opened as its own page.
    binary_field = pick(b"\xff\xfe<script>")[0]
    page.goto(url(key_url(HASH, f"edit/hash-set/?row={encode_key(binary_field)}")))
    guard.check("hash field edit form (full page)")
    expect(page.locator("nav.crumbs a").nth(1)).to_have_text(Truncator(shown(HASH)).chars(80))
    current = r.hget(HASH, binary_field)
    value_box = page.locator("#editor form").get_by_label("Value")
    expect(value_box).to_have_value(
        current.decode() if is_printable_text(current.replace(b"\n", b"")) else current.hex(" ")
    )

    # The same edit in place on the key page: a hostile field's value replaced by hostile text,
    # and the flash message names the hostile field.
    page.goto(url(key_url(HASH, "?count=500")))
    row = open_row(page, field)
    row.get_by_role("link", name="Edit", exact=True).click()
    form = row.locator("form")
    expect(form.get_by_label("Value")).to_have_value(r.hget(HASH, field).decode())
    guard.check("hash field edit form (in place)")
    form.get_by_label("Value").fill(new_value.decode())
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_have_text(f"saved field {shown(field)[:100]}")
    expect(row.locator("td").nth(1)).to_have_text(element(new_value))
    assert r.hget(HASH, field) == new_value
    guard.check("hash field saved, flash")

    # A conflict whose message names a hostile field: shown in the form's problem box.
    existing = pick(b"{{7*7}} {{ request.user }}")[0]
    page.get_by_role("toolbar", name="Key actions").get_by_role("link", name="Add field").click()
    adder = page.locator("#editor form")
    adder.get_by_label("Field").fill(existing.decode())
    adder.get_by_label("Value").fill("x")
    adder.get_by_role("button", name="Add").click()
    problem = page.locator("#editor [role=alert]")
    expect(problem).to_contain_text("Changed meanwhile")
    guard.same(
        "conflict message",
        problem.text_content().strip(),
        f"Changed meanwhile: the field {shown(existing)[:100]} already exists; "
        "edit it in its row instead",
    )
    guard.check("hash add conflict", allow_console=(r"status of 409", r"Error Code 409"))

    # Removing a hostile set member: the flash quotes it.
    member = pick(b"<svg onload=window.__pwned=")[0]
    page.goto(url(key_url(SET, "?count=500")))
    member_row = open_row(page, member)
    member_row.get_by_role("link", name="Remove", exact=True).click()
    member_row.get_by_role("button", name="Remove this member").click()
    expect(page.locator("#flash")).to_have_text(f"removed member “{shown(member)[:100]}”")
    assert not r.sismember(SET, member)
    guard.check("set member removed, flash")

    # Renaming a hostile key to another hostile name: the next page's flash names it.
    old = pick(b'"><script>window.__pwned=')[0]
    new = b"renamed:<img src=/pwned-renamed onerror=alert('renamed')>{% debug %}"
    page.goto(url(key_url(old)))
    page.get_by_role("toolbar", name="Key actions").get_by_role("link", name="Rename").click()
    renamer = page.locator("#editor form")
    renamer.get_by_label("New name").fill(new.decode())
    renamer.get_by_role("button", name="Rename").click()
    expect(page).to_have_url(url(key_url(new)))
    expect(page.locator("h1.key-title")).to_have_text(shown(new))
    expect(page.locator("#flash")).to_have_text(f"renamed to {shown(new)}")
    guard.check("renamed, flash after redirect")

    # The audit log: every write above, hostile key names and details as text.
    page.goto(url("/audit/"))
    guard.check("audit log")
    logged = page.eval_on_selector_all(
        "#entries tbody tr",
        "trs => trs.map(tr => [...tr.children].map(td => td.textContent))",
    )
    got = [(row[3], row[4], row[5]) for row in logged]  # operation, key, outcome
    guard.same(
        "audit log",
        got,
        [
            ("rename", audit_key(old), "done"),
            ("set-remove", audit_key(SET), "done"),
            ("hash-add", audit_key(HASH), "conflict"),
            ("hash-set", audit_key(HASH), "done"),
        ],
    )

    # Filtered by hostile text: reflected in the input, matching entries kept.
    audit_filter = page.locator("section.audit form")
    contains = '"><script>window.__pwned='
    audit_filter.get_by_label("Key contains").fill(contains)
    audit_filter.get_by_role("button", name="Filter").click()
    expect(page.locator("#entries tbody tr")).to_have_count(1)
    expect(page.locator("#entries tbody td.key-name")).to_have_text(audit_key(old))
    expect(audit_filter.get_by_label("Key contains")).to_have_value(contains)
    guard.check("audit log filtered")
    page.reload()
    expect(audit_filter.get_by_label("Key contains")).to_have_value(contains)
    guard.check("audit log filtered, reloaded")
    guard.finish()


# --------------------------------------------------------------------------- 4. tools, errors


def test_tools_leaderboard_and_error_messages_with_hostile_data(page: Page, url, r, guard: Guard):
    seed(r)
    one_line = [h for h in HOSTILE if b"\n" not in h and b"\r" not in h and is_printable_text(h)]

    # Set membership test: typed hostile members, answered in a table.
    page.goto(url(key_url(SET)))
    page.get_by_role("toolbar", name="Key actions").get_by_role(
        "link", name="Test membership"
    ).click()
    typed = [*one_line[:12], b"<script>alert('absent')</script>"]
    tool = page.locator("#editor form")
    tool.get_by_label("Members").fill("\n".join(t.decode() for t in typed))
    tool.get_by_role("button", name="Test").click()
    expect(page.locator("#editor .tool-result")).to_be_visible()
    guard.check("set membership tool")
    answers = page.eval_on_selector_all(
        "#editor .tool-result tbody tr",
        "trs => trs.map(tr => [tr.querySelector('span.element').textContent, "
        "tr.querySelector('.answer').textContent])",
    )
    guard.same(
        "membership answers",
        answers,
        [[element(t), "yes" if t in HOSTILE else "no"] for t in typed],
    )

    # Random members, all of them: the whole set through the tool's page.
    page.goto(url(key_url(SET, f"tool/set-random/?run=1&count={N}")))
    guard.check("set random members")
    guard.same(
        "random members",
        Counter(texts(page, ".tool-result span.element")),
        Counter(element(h) for h in HOSTILE),
    )

    # Sorted-set look-up: a present and an absent hostile member.
    present_member = pick(b"<div hx-get=", b"htmx get")[0]
    for typed_member, found in ((present_member, True), (b"<svg onload=alert('nope')>", False)):
        page.goto(url(key_url(ZSET)))
        page.get_by_role("toolbar", name="Key actions").get_by_role(
            "link", name="Look up a member"
        ).click()
        lookup = page.locator("#editor form")
        lookup.get_by_label("Member").fill(typed_member.decode())
        lookup.get_by_role("button", name="Look up").click()
        result = page.locator("#editor .tool-result")
        expect(result).to_be_visible()
        guard.check(f"sorted-set look-up ({'found' if found else 'absent'})")
        guard.same(
            "look-up member", result.locator("span.element").text_content(), shown(typed_member)
        )
        if found:
            result.get_by_role("link", name="See it on the leaderboard").click()
            expect(page.locator("tr.current span.element")).to_have_text(element(typed_member))
            guard.check("leaderboard from a look-up")

    # Leaderboard: every member, then jumping to one by its link, then a missing one.
    page.goto(url(key_url(ZSET, f"leaderboard/?count={N}")))
    guard.check("leaderboard")
    guard.same(
        "leaderboard members",
        texts(page, ".leaderboard-table span.element"),
        [element(h) for h in reversed(HOSTILE)],
    )
    guard.same(
        "leaderboard heading",
        page.locator("h1.key-title").text_content(),
        f"Leaderboard: {shown(ZSET)}",
    )
    target = pick(b'"><script>window.__pwned=')[0]
    click_text(page, ".leaderboard-table a span.element", element(target))
    expect(page.locator("tr.current span.element")).to_have_text(element(target))
    guard.same(
        "around member", page.locator("#board .summary strong").text_content(), shown(target)
    )
    guard.check("leaderboard around a hostile member")
    absent = "<img src=/pwned-absent onerror=alert('absent')>"
    page.goto(url(key_url(ZSET, "leaderboard/?" + urlencode({"member": absent}))))
    expect(page.locator("#board .not-member span.element")).to_have_text(absent)
    expect(page.get_by_label("Jump to member")).to_have_value(absent)
    guard.check("leaderboard, member not found")

    # Error pages that echo hostile query text.
    bad_type = "<img src=/pwned-type onerror=alert('type')>{{7*7}}"
    response = page.goto(url("/c/default/db/0/?" + urlencode({"type": bad_type})))
    assert response.status == 400
    expect(page.locator("h1")).to_have_text("Bad request")
    expect(page.locator(".error-message")).to_contain_text(bad_type)
    guard.check("error page", allow_console=(r"status of 400",))

    bad_order = "'\"><svg onload=x()>"
    response = page.goto(url(key_url(ZSET, "?" + urlencode({"order": bad_order}))))
    assert response.status == 400
    expect(page.locator(".error-message")).to_contain_text(repr(bad_order))
    guard.check("error page (value order)", allow_console=(r"status of 400",))

    response = page.goto(url(key_url(b"<script>alert('gone')</script> not a key")))
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Key not found")
    guard.check("key not found", allow_console=(r"status of 404",))

    # The same refusal for an htmx request lands in the page's error banner.
    page.goto(url("/c/default/db/0/"))
    page.eval_on_selector(
        "#key-filter select[name=type]",
        "(select, value) => { select.add(new Option('hostile', value)); select.value = value; }",
        bad_type,
    )
    page.locator("#key-filter").get_by_role("button", name="Filter").click()
    expect(page.locator("#error-banner .error-message")).to_contain_text(bad_type)
    guard.check("error banner", allow_console=(r"status of 400", r"Error Code 400"))
    guard.finish()


# --------------------------------------------------------------------------- 5. pub/sub


@pytest.fixture(scope="module")
def asgi_dashboard(redis_server, tmp_path_factory):
    """The dashboard under uvicorn (streams need ASGI), sign-in off as in tests/pubsub, with
    a migrated database of its own so publishing can write its audit entry."""
    from tests.services.pubsub.support import Dashboard

    dashboard = Dashboard(redis_server.url, tmp_path_factory.mktemp("hostile-uvicorn"))
    dashboard.manage("migrate", "--noinput", "-v", "0")
    yield dashboard.start()
    dashboard.stop()


def test_a_6000_byte_name_under_uvicorn(page: Page, r, dialogs, live_server, asgi_dashboard):
    """The longest name's pages, under the server that runs in production: its key URL
    (8 KB of base64) makes pytest-django's live server fail with ENAMETOOLONG before the
    dashboard sees the request (its media handler stats every path as a file)."""
    seed(r)
    base = asgi_dashboard.base
    guard = Guard(page, dialogs, {base, live_server.url})
    value = HOSTILE[-1 - HOSTILE.index(LONG)]
    page.goto(base + key_url(LONG))
    guard.check("string key with a 6,000-byte name")
    guard.same("heading", page.locator("h1.key-title").text_content(), shown(LONG))
    guard.same(
        "title",
        page.title(),
        title_text(f"{Truncator(shown(LONG)).chars(60)} · db0 · Redis dashboard"),
    )
    guard.same(
        "value",
        page.locator("#value pre.value-body").text_content(),
        as_parsed(render_preview(value, offset=0, total=len(value), view="auto").body),
    )
    drill_down(page, guard, lambda path: base + path, *LONG_FOLDER)
    guard.finish()


CHANNELS = [  # subscribed to by the page
    pick(b"<script>window.__pwned=")[0],
    pick(b"<div hx-get=", b"htmx get")[0],
    b"crlf\r\nevent: batch\r\ndata: <img src=/pwned-ch onerror=alert('ch')>\x00\xff",
    "\u202ebidi channel\u200b".encode(),
]
PATTERN = b"pat:<svg onload=window.__pwned='pat'>*"
PATTERNED = b"pat:<svg onload=window.__pwned='pat'>:x\"'>"
LISTED = [b"listed:<img src=/pwned-listed onerror=alert('listed')>", b"listed:{{7*7}}\xfe"]


def published(channel: bytes, data: bytes, pattern: bytes | None = None):
    """(channel, pattern, body) as the page shows a message."""
    shown_message = present(Message(time.time(), channel, pattern, data), 4096)
    return shown_message.channel, shown_message.pattern, shown_message.body


def shown_messages(page: Page) -> list[tuple]:
    return [
        tuple(m)
        for m in page.eval_on_selector_all(
            "#messages li.msg:not(.skipped)",
            """lis => lis.map(li => [li.querySelector('.msg-channel').textContent,
              li.querySelector('.msg-pattern code')?.textContent ?? null,
              li.querySelector('.msg-body').textContent])""",
        )
    ]


def wait_for_messages(page: Page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#messages li.msg:not(.skipped)').length >= n",
        arg=count,
        timeout=10_000,
    )


def test_pubsub_page_shows_hostile_channels_and_live_messages_as_text(
    page: Page, r, dialogs, live_server, asgi_dashboard
):
    base = asgi_dashboard.base
    guard = Guard(page, dialogs, {base, live_server.url})
    listener = r.pubsub()  # another client's channels, for the active-channel list
    listener.subscribe(*LISTED)
    try:
        _pubsub_page(page, r, guard, base)
    finally:
        listener.close()


def _pubsub_page(page: Page, r: redis.Redis, guard: Guard, base: str) -> None:
    query = [("channel", to_escaped(c)) for c in CHANNELS] + [("pattern", to_escaped(PATTERN))]
    page.goto(f"{base}/c/default/db/0/pubsub/?{urlencode(query)}")
    status = page.locator("#stream-status")
    expect(status).to_have_text("subscribed")
    guard.check("pub/sub page")
    guard.same(
        "subscription chips",
        texts(page, ".subscriptions code"),
        [shown(c) for c in CHANNELS] + [shown(PATTERN)],
    )
    # The channel list, asked for again now that the page's own subscriptions exist too.
    page.locator("#channels").evaluate("el => { el.dataset.stale = '1'; }")
    page.locator("form[action$='/pubsub/channels/']").get_by_role("button", name="Filter").click()
    wait_replaced(page, "#channels")
    guard.check("active channels")
    listed = set(texts(page, "#channels td.key-name a"))
    assert {shown(c) for c in LISTED + CHANNELS} <= listed, listed

    # Every payload as a message, on hostile channels and through a hostile pattern.
    expected = []
    with r.pipeline(transaction=False) as pipe:
        for i, data in enumerate(HOSTILE):
            channel = CHANNELS[i % len(CHANNELS)]
            pipe.publish(channel, data)
            expected.append(published(channel, data))
        for data in HOSTILE[:10]:
            pipe.publish(PATTERNED, data)
            expected.append(published(PATTERNED, data, PATTERN))
        pipe.execute()
    wait_for_messages(page, len(expected))
    page.wait_for_timeout(300)
    guard.check("live messages")
    guard.same("live messages", Counter(shown_messages(page)), Counter(expected))

    # Paused, the batches are held as HTML and inserted on resume.
    tools = page.get_by_role("toolbar", name="Messages")
    tools.get_by_role("button", name="Pause").click()
    held = [published(CHANNELS[1], h) for h in pick(b"hx-")[:6]]
    with r.pipeline(transaction=False) as pipe:
        for h in pick(b"hx-")[:6]:
            pipe.publish(CHANNELS[1], h)
        pipe.execute()
    expect(tools.get_by_role("button", name=re.compile(r"^Show 6 held$"))).to_be_visible()
    tools.get_by_role("button", name="Resume").click()
    wait_for_messages(page, len(expected) + len(held))
    guard.check("held messages shown")
    guard.same("held messages", Counter(shown_messages(page)), Counter(expected + held))

    # The filter over shown messages, with hostile text.
    tools.get_by_label("Filter shown").fill("<script>")
    expect(page.locator("#messages li.msg[hidden]")).not_to_have_count(0)
    kept = page.eval_on_selector_all(
        "#messages li.msg", "lis => lis.map(li => [li.hidden, li.textContent.includes('<script>')])"
    )
    assert any(has for _, has in kept) and all(hidden != has for hidden, has in kept), kept
    guard.check("messages filtered")
    tools.get_by_label("Filter shown").fill("")

    # Subscribing through the form to one more hostile channel.
    typed = "\"'><svg onload=alert('typed')>{% debug %}"
    subscribe = page.locator("form.subscribe-form")
    subscribe.get_by_label("Channel").fill(typed)
    subscribe.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".subscriptions code").last).to_have_text(shown(PATTERN))
    expect(page.locator(".subscriptions code")).to_have_count(len(CHANNELS) + 2)
    expect(status).to_have_text("subscribed")
    guard.check("subscribed through the form")

    # Publishing from the page's own form to it: the confirmation and the message.
    publish = page.locator("#publish form")
    publish.get_by_label("Channel").fill(typed)
    message = "</pre><img src=/pwned-form onerror=alert('form')>\n{{7*7}}"
    publish.get_by_label("Message").fill(message)
    publish.get_by_role("button", name="Publish").click()
    confirmation = page.locator("#publish p.flash")
    expect(confirmation).to_contain_text("1 subscriber received it")
    expect(confirmation.locator("code")).to_have_text(typed)
    wait_for_messages(page, len(expected) + len(held) + 1)
    guard.same(
        "message published from the form",
        shown_messages(page)[0],
        published(typed.encode(), message.encode()),
    )
    guard.check("published from the form")

    # Unsubscribing one hostile channel by its chip.
    page.locator(".subscriptions li").first.get_by_role("link", name="Unsubscribe").click()
    expect(page.locator(".subscriptions code")).to_have_count(len(CHANNELS) + 1)
    expect(status).to_have_text("subscribed")
    guard.check("unsubscribed by a chip")
    guard.finish()


# --------------------------------------------------------------------------- the guard itself


def test_the_guard_sees_what_escaping_failures_would_do(page: Page, url, guard: Guard):
    """The checks above prove something only if they can fail: markup put into the page the
    way a missed escape would (and processed by htmx as a swap would) trips every one."""
    page.goto(url("/c/default/db/0/"))
    guard.check("clean page")
    page.evaluate(
        """() => {
          const flash = document.querySelector("#flash");
          flash.insertAdjacentHTML("beforeend",
            '<img src="/pwned-selftest.png" onerror="window.__pwned=1">' +
            '<div hx-get="/c/default/db/0/?pwned=selftest" hx-trigger="load">x</div>' +
            '<div id="flash">\\u202e</div>');
          window.htmx.process(flash);
        }"""
    )
    page.wait_for_timeout(200)
    with pytest.raises(AssertionError) as caught:
        guard.check("page with injected markup", allow_console=(r"status of 404",))
    report = str(caught.value)
    for trace in (
        "CSP violations",
        "script-src-attr",
        "/pwned-selftest.png",
        "?pwned=selftest",
        "<img> in the page",
        "img[onerror]",
        "div[hx-get=",
    ):
        assert trace in report, (trace, report)
    assert any("U+202E" in s for s in guard.soft) and any('"flash"' in s for s in guard.soft)
