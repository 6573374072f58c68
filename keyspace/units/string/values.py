"""A string value in an edit form and back, byte for byte.

A textarea does not keep bytes as they are: the HTML parser turns CR LF into LF, and the
browser sends every line break back as CR LF. So a value is shown as text only if its line
breaks are all LF or all CR LF (remembered in a hidden field and restored on save); anything
else, and anything that is not printable UTF-8, is edited as hex.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.conf import settings

from keyspace.display import human_bytes, is_printable_text, pretty_json
from keyspace.services.editing.guard import Refused
from keyspace.views.request_body import POST_OVERHEAD, body_cap, browser_form_size

NEWLINES = (("lf", "\\n (Unix)"), ("crlf", "\\r\\n (Windows)"))
LINE_BREAK = {"lf": "\n", "crlf": "\r\n"}


def edit_limit() -> int:
    """The largest value the browser may edit (and the largest value any edit may write)."""
    return settings.DASHBOARD_MAX_VALUE_BYTES


def too_large(size: int) -> Refused:
    return Refused(
        f"this value is {human_bytes(size)} ({size:,} bytes): values over "
        f"{human_bytes(edit_limit())} cannot be edited in the browser. Download the whole "
        "value from the key page instead; nothing was changed"
    )


def newline_style(value: bytes) -> str | None:
    """ "lf" or "crlf" when every line break in `value` is that one; None for a mix or a lone
    CR (which a textarea cannot keep)."""
    crlf = value.count(b"\r\n")
    if crlf == 0:
        return None if b"\r" in value else "lf"
    if crlf == value.count(b"\r") == value.count(b"\n"):
        return "crlf"
    return None


def form_text(value: bytes) -> tuple[str, str, str]:
    """(text, encoding, newlines) that show `value` in a textarea and give the same bytes back."""
    style = newline_style(value)
    plain = value.replace(b"\r", b"").replace(b"\n", b"").replace(b"\t", b"")
    if style is None or not is_printable_text(plain):
        return value.hex(" "), "hex", "lf"
    is_json = pretty_json(value) is not None and strict_json_error(value) is None
    return value.decode("utf-8"), "json" if is_json else "text", style


def check_postable(text: str) -> None:
    """Refuse a prefilled form that the browser could not post back, measured as the browser
    sends it (line breaks as CR LF, url-encoded). With the default settings every value up to
    the edit limit fits (see request_body); a deployment may have set Django's cap lower."""
    cap = body_cap()
    if browser_form_size(text) > cap - POST_OVERHEAD:
        raise Refused(
            "this value is too large to send back from the browser in this encoding "
            f"(the server accepts {human_bytes(cap)} per request). Download the whole value "
            "from the key page instead; nothing was changed"
        )


def restore_newlines(text: str, style: str) -> str:
    """Undo the browser's CR LF line breaks: back to the value's own style."""
    text = text.replace("\r\n", "\n")
    return text.replace("\n", "\r\n") if style == "crlf" else text


# --- JSON ------------------------------------------------------------------------------------


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def strict_json_error(value: bytes) -> str | None:
    """Why `value` is not standard JSON (NaN and Infinity are not), or None when it is."""
    try:
        json.loads(value.decode("utf-8"), parse_constant=_no_constants)
    except UnicodeDecodeError:
        return "not valid UTF-8"
    except ValueError as exc:
        return str(exc)
    except RecursionError:
        return "nested too deeply"
    return None


def check_json(value: bytes) -> None:
    problem = strict_json_error(value)
    if problem is not None:
        raise forms.ValidationError(f"not valid JSON: {problem}")


TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.S)


def reindent_json(text: str, newline: str = "\n", indent: str = "  ") -> str:
    """Valid JSON laid out one member a line. Only whitespace between tokens changes: strings
    and numbers stay exactly as typed (1.10 stays 1.10, \\u00e9 stays \\u00e9)."""
    tokens = TOKEN.findall(text)
    out: list[str] = []
    depth = 0
    position = 0
    while position < len(tokens):
        token = tokens[position]
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        if token in ("{", "[") and following in ("}", "]"):
            out.append(token + following)
            position += 2
            continue
        if token in ("{", "["):
            depth += 1
            out.append(token + newline + indent * depth)
        elif token in ("}", "]"):
            depth -= 1
            out.append(newline + indent * depth + token)
        elif token == ",":
            out.append("," + newline + indent * depth)
        elif token == ":":
            out.append(": ")
        else:
            out.append(token)
        position += 1
    return "".join(out)
