"""JSONPath for RedisJSON: paths the tree builds from steps (object keys, array indexes), and
paths people type for edits. Every command here uses `$` paths, whose replies are lists (one
item per match), so a path that matches nothing or several values is seen and refused."""

from __future__ import annotations

import re

from django import forms

from keyspace.exceptions import BadRequest
from keyspace.redis.keynames import decode_key, encode_key

ROOT = "$"
MAX_PATH_CHARS = 4096
# One step of a path that names a single value: `.name`, `[3]`, `[-1]`, `["any key"]` or
# `['any key']` (backslash escapes inside the quotes). No `..`, `*`, slices, unions or
# filters: those match any number of values, and a reply listing every match of `$..*` in a
# huge document is as unbounded as reading it whole.
STEP = re.compile(
    r"\.[A-Za-z_][A-Za-z0-9_]*"
    r"|\[-?[0-9]{1,18}\]"
    r"""|\["(?:[^"\\]|\\.)*"\]"""
    r"""|\['(?:[^'\\]|\\.)*'\]""",
    re.DOTALL,
)
ONE_VALUE = 'a path to one value, such as $.a.b[0] or $["any key"]'


def child_path(parent: str, step: bytes | int) -> str:
    """`parent` then one step: `[3]` for an index, `["name"]` for a key.

    Inside the quotes RedisJSON reads a backslash-escaped `\\` or quote and every other
    character as it is (it does not read JSON escapes such as `\\n`). Its JSON.OBJLEN,
    OBJKEYS and ARRLEN (RedisJSON 2.8) match nothing when the name has an escaped quote, so the
    quote the name does not contain is used; a name with both kinds of quote gets escaped
    double quotes (the tree then shows such a value without its size)."""
    if isinstance(step, int):
        return f"{parent}[{step}]"
    name = step.decode("utf-8", "surrogateescape").replace("\\", "\\\\")
    quote = "'" if '"' in name and "'" not in name else '"'
    escaped = name.replace(quote, "\\" + quote)
    return f"{parent}[{quote}{escaped}{quote}]"


def path_token(path: str) -> str:
    """A path as it appears in URLs (any characters, safe in a query)."""
    return encode_key(path.encode("utf-8", "surrogateescape"))


def path_from_token(token: str) -> str:
    try:
        path = decode_key(token).decode("utf-8", "surrogateescape")
    except ValueError:
        raise BadRequest("not a JSON path token") from None
    return check_path(path)


def names_one_value(path: str) -> bool:
    """Whether `path` is `$` followed by steps that each name one member (see STEP)."""
    if not path.startswith(ROOT) or len(path) > MAX_PATH_CHARS:
        return False
    position = len(ROOT)
    while position < len(path):
        step = STEP.match(path, position)
        if step is None:
            return False
        position = step.end()
    return True


# RedisJSON (2.8) reads backslash escapes in a quoted key for JSON.TYPE and JSON.GET only: its
# write commands (JSON.SET, DEL, ARRAPPEND, NUMINCRBY) and ARRLEN/OBJLEN read the backslash
# as part of the name. JSON.SET at `$["a\"b"]` then adds a key `a\"b` beside the `a"b` that
# was read and checked, and JSON.DEL deletes nothing. An edit's path has no backslash.
UNWRITABLE = ("RedisJSON cannot write by a path with a backslash in a quoted key (it would write "
              "to another key than the one shown): edit the object that holds it instead")


def writable(path: str) -> bool:
    """Whether RedisJSON's write commands read `path` as its read commands do (see UNWRITABLE):
    a backslash can only be in a quoted key, where they do not."""
    return "\\" not in path


def check_path(path: str) -> str:
    """`path` if it names one value (see STEP); BadRequest otherwise."""
    if not names_one_value(path):
        raise BadRequest(f"not {ONE_VALUE} (at most {MAX_PATH_CHARS:,} characters)")
    return path


class JsonPathField(forms.CharField):
    """A JSONPath as typed (`$.a.b[0]`, `$["any key"]`), naming one value (see STEP)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_PATH_CHARS)
        kwargs.setdefault("initial", ROOT)
        kwargs.setdefault("label", "JSONPath")
        kwargs.setdefault("widget", forms.TextInput(attrs={"spellcheck": "false"}))
        super().__init__(strip=True, **kwargs)

    def validate(self, value):
        super().validate(value)
        if not names_one_value(value):
            raise forms.ValidationError(f"give {ONE_VALUE}; $ is the whole document")
        if not writable(value):
            raise forms.ValidationError(UNWRITABLE)


def path_label(step: bytes | int) -> str:
    return f"[{step}]" if isinstance(step, int) else step.decode("utf-8", "replace")
