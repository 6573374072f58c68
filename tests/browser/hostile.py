r"""A corpus of hostile bytes: what a production Redis may hold and the dashboard must show as
inert text wherever it appears (key names, fields, values, members, channels, messages).

Every payload that would run script sets `window.__pwned` or opens a dialog; every payload
that would make a request asks for a URL that is unique to it and easy to spot:
`/c/default/db/0/?pwned=N` (an htmx attribute), `/pwned-N…` (an <img>, <link>, <object>…). A browser
test watches for both (`is_pwned_request`) and for the canary.

`{N}` in a template below becomes the payload's number, so numbers stay unique as the list
grows.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

_TEMPLATES: list[bytes] = [
    # --- script and event handlers
    b"<script>window.__pwned={N}</script>",
    b"<script>alert({N})</script>",
    b"<script src=/pwned-{N}.js></script>",
    b"<img src=/pwned-{N}.png onerror=window.__pwned={N}>",
    b'<img src="x" onerror="alert({N})">',
    b"<svg onload=window.__pwned={N}>",
    b"<svg/onload=alert({N})//",
    b"<body onload=alert({N})>",
    b"<details open ontoggle=window.__pwned={N}>x</details>",
    b"<input autofocus onfocus=window.__pwned={N}>",
    b'<iframe src="javascript:alert({N})"></iframe>',
    b'<iframe srcdoc="<script>parent.__pwned={N}</script>"></iframe>',
    b"<math><mtext><table><mglyph><style><img src=/pwned-{N} onerror=alert({N})>",
    b'<noscript><p title="</noscript><img src=/pwned-{N} onerror=alert({N})>">',
    b"<object data=/pwned-{N}></object><embed src=/pwned-{N}b>",
    b"<link rel=stylesheet href=/pwned-{N}.css><style>@import '/pwned-{N}b.css';</style>",
    b'<meta http-equiv=refresh content="0;url=/c/default/db/0/?pwned={N}">',
    b"<base href=/pwned-{N}/>",
    b'<a href="javascript:window.__pwned={N}">click me</a>',
    # --- javascript: and data: URLs as plain data
    b"javascript:window.__pwned={N}",
    b"JaVaScRiPt:alert({N})",
    b"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{N}",
    # --- breaking out of attributes, JSON, textareas, titles, comments
    b'"><script>window.__pwned={N}</script>',
    b"'><img src=/pwned-{N} onerror=window.__pwned={N}>",
    b'" onmouseover="window.__pwned={N}" x="',
    b"' autofocus onfocus='window.__pwned={N}' x='",
    b"\"'}]</script><script>alert({N})</script>",
    b"\"}]}'; window.__pwned={N}; //",
    b"</textarea><script>alert({N})</script>",
    b"</title><script>alert({N})</script>",
    b"</pre></code></td></tr></table><img src=/pwned-{N} onerror=alert({N})>",
    b"<!--<script>alert({N})</script>--> ]]> <![CDATA[x]]>",
    # JSON that the dashboard pretty-prints: the \u escapes decode to real angle brackets.
    b'{"html": "\\u003cimg src=/pwned-{N} onerror=alert({N})\\u003e", "n": {N}}',
    b'["</pre><script>window.__pwned={N}</script>", {"__proto__": {"pwned": {N}}}]',
    # JSON whose escapes decode to bidi, zero-width and line-separator characters.
    rb'{"file": "\u202egnp.exe", "zw": "a\u200bb\ufeff", "ls": "x\u2028y", "n": {N}}',
    # --- htmx attributes: each would request its own /c/default/db/0/?pwned=N if processed
    b'<div hx-get="/c/default/db/0/?pwned={N}" hx-trigger="load">htmx get</div>',
    b'<button hx-post="/c/default/db/0/?pwned={N}" hx-trigger="load">htmx post</button>',
    b'<div hx-on::load="window.__pwned={N}" hx-get="/c/default/db/0/?pwned={N}" hx-trigger="load">',
    b'<div hx-on:htmx:load="alert({N})">hx-on</div>',
    b'<div data-hx-get="/c/default/db/0/?pwned={N}" data-hx-trigger="load">data-hx</div>',
    b'<div hx-ext="sse" sse-connect="/c/default/db/0/pubsub/stream/?pwned={N}&channel=x"'
    b' sse-swap="m">',
    b'<a hx-boost="true" href="/c/default/db/0/?pwned={N}">boosted</a>',
    b'<div hx-get="/c/default/db/0/?pwned={N}" hx-trigger="every 200ms">poll</div>',
    b'<img src=/pwned-{N} hx-get="/c/default/db/0/?pwned={N}b" hx-trigger="load">',
    b'" hx-get="/c/default/db/0/?pwned={N}" hx-trigger="load" x="',
    b"<div hx-vals='js:{a: window.__pwned={N}}' hx-get=\"/c/default/db/0/?pwned={N}\""
    b" hx-trigger=load>",
    b"<template><div hx-get=/c/default/db/0/?pwned={N} hx-trigger=load></div></template>",
    b'<div id="flash" hx-swap-oob="true">pwned-oob-{N}</div>',
    b'<div hx-headers=\'{"X-CSRFToken": "pwned-{N}"}\' hx-post=/c/default/db/0/?pwned={N}b'
    b' hx-trigger=load>',
    # --- template injection probes
    b"{{7*7}} {{ request.user }} #{N}",
    b"{% debug %}{% csrf_token %} #{N}",
    b"${7*7} #{7*7} <%= 7*7 %> #{N}",
    b"{{constructor.constructor('window.__pwned={N}')()}}",
    # --- paths
    b"../../../../etc/passwd#{N}",
    b"..\\..\\..\\windows\\win.ini#{N}",
    b"%2e%2e%2f%2e%2e%2fetc%2fpasswd%00#{N}",
    b"/c/default/db/0/key/../../audit/?pwned={N}",
    # --- line breaks, NUL, header and SSE framing injection
    b"crlf\r\nSet-Cookie: pwned={N}\r\n\r\n<script>alert({N})</script>",
    b"lone cr\rhere #{N}",
    b"lone lf\nhere #{N}",
    b"\n\nleading newlines <script>alert({N})</script>",
    b"nul\x00byte\x00#{N}",
    b"event: status\ndata: <b>pwned {N}</b>\n\nevent: batch\ndata: x",
    b"data: <img src=/pwned-{N} onerror=alert({N})>\r\r\nretry: 1\r\n",
    b"\x1b[31mansi red\x1b[0m \x07 bell \x08 backspace #{N}",
    # --- invalid UTF-8
    b"\xff\xfe<script>alert({N})</script>",
    b"\x80\x81\xbf lone continuation bytes #{N}",
    b"\xc3\x28 bad two-byte \xe2\x82 truncated #{N}",
    b"\xed\xa0\x80 surrogate \xf8\x88\x80\x80\x80 five-byte #{N}",
    b"\xc0\xbcscript\xc0\xbealert({N})\xc0\xbc/script\xc0\xbe",
    # --- invisible and look-alike characters
    "bidi \u202egnp.exe\u202c #{N}".encode(),
    "isolate \u2066right\u2069 \u2067left\u2069 \u200fRLM #{N}".encode(),
    "zero\u200bwidth\u200c\u200djoin\ufeffbom #{N}".encode(),
    "line\u2028separator\u2029paragraph #{N}".encode(),
    "раураl.com ＜script＞alert({N})＜/script＞".encode(),  # Cyrillic and fullwidth
    # Combining marks and astral-plane emoji.
    "z\u0336\u0321\u0300a\u0337\u0322\u0301l\u0338\u0323\u0302g\u0335o\u0334"
    " \U0001f608\U0001f4a9 #{N}".encode(),
    # --- HTML entities must stay as typed
    b"&lt;script&gt;alert({N})&lt;/script&gt;",
    b"&#60;img src=/pwned-{N} onerror=alert({N})&#62; &#x3C;svg&#x3E;",
    b"&amp;amp; &quot; &#x27; &nbsp; &NotANamedEntity; #{N}",
    # --- glob specials and escapes the dashboard itself uses
    b"glob*?[a-z]\\*#{N}",
    b"looks\\xffescaped #{N}",  # printable: a backslash, x, f, f
    b"  leading and trailing spaces #{N}  ",
    # --- long: a 6,000-byte name with a payload at both ends
    b"<img src=/pwned-{N} onerror=alert({N})>" + b"A" * 5_940 + b"<script>alert(1)</script>",
]


def _number(template: bytes, n: int) -> bytes:
    return template.replace(b"{N}", str(n).encode())


HOSTILE: list[bytes] = [_number(t, n) for n, t in enumerate(_TEMPLATES, start=1)]

assert len(set(HOSTILE)) == len(HOSTILE), "hostile payloads must be distinct"
assert any(len(h) >= 6_000 for h in HOSTILE)


def pick(*needles: bytes) -> list[bytes]:
    """The payloads that contain every one of `needles` (for seeding a page with a few)."""
    return [h for h in HOSTILE if all(n in h for n in needles)]


def is_pwned_request(url: str) -> bool:
    """A request one of the payloads would make if it ever became markup: a `pwned` query
    parameter (htmx attributes) or a path with `pwned` in it (img, link, object, base…).

    Hostile text carried inside the app's own query values (a filter, a member to jump to)
    stays percent-encoded in a parameter's value and is not counted."""
    parts = urlsplit(url)
    return "pwned" in parts.path.lower() or any(
        "pwned" in name.lower() for name in parse_qs(parts.query, keep_blank_values=True)
    )
