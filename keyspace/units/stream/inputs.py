"""What stream forms read: entry IDs, lists of them, group and consumer names, fields as
lines, and a trimming rule. Each raises ValidationError with a message shown by its field."""

from __future__ import annotations

import re

from django import forms

from keyspace.display import bytes_to_text
from keyspace.redis.keynames import parse_escaped, to_escaped
from keyspace.services.editing.inputs import check_size, decode_input

ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
MAX_ID_PART = 2**64 - 1
# How many entry IDs one delete may name: each costs Redis a lookup to show it, and XDEL
# works through them in one command.
MAX_SELECTED = 100


def parse_id(text: str) -> str:
    """A full entry ID, `<ms>-<seq>`, as Redis writes it (no leading zeros kept)."""
    match = ID.fullmatch(text.strip())
    if not match or any(int(part) > MAX_ID_PART for part in match.groups()):
        raise forms.ValidationError(
            f"{text.strip()[:40]!r} is not an entry ID (two whole numbers: 1700000000000-0)")
    return f"{int(match[1])}-{int(match[2])}"


def id_key(entry_id: str) -> tuple[int, int]:
    ms, seq = entry_id.split("-")
    return int(ms), int(seq)


def short(value: bytes, limit: int = 80) -> str:
    text = bytes_to_text(value[: limit * 4])
    return text if len(text) <= limit else text[:limit] + "…"


class EntryIdField(forms.CharField):
    """One entry ID; with `special`, also those words (`*`, `$`, `0`) as typed."""

    def __init__(self, *args, special: tuple[str, ...] = (), **kwargs):
        self.special = special
        kwargs.setdefault("max_length", 45)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if text in self.empty_values:
            return None
        return text if text in self.special else parse_id(text)


class IdListField(forms.CharField):
    """Entry IDs, one per line (or separated by spaces or commas), each once, in ID order."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})

    def to_python(self, value):
        text = super().to_python(value) or ""
        ids = {parse_id(part) for part in re.split(r"[\s,]+", text) if part}
        if len(ids) > MAX_SELECTED:
            raise forms.ValidationError(
                f"{len(ids):,} IDs is more than the {MAX_SELECTED:,} one edit may name")
        return sorted(ids, key=id_key)


class NameField(forms.CharField):
    r"""A group or consumer name as text, with `\xNN` escapes for other bytes."""

    def __init__(self, *args, what: str = "name", **kwargs):
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("strip", False)
        kwargs.setdefault("help_text", r"Text; other bytes as \xNN, a backslash as \\.")
        kwargs.setdefault("error_messages", {"required": f"give the {what}"})
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        return None if text in self.empty_values else parse_escaped(text)

    def prepare_value(self, value):
        return to_escaped(value) if isinstance(value, bytes) else value


def parse_field_lines(text: str, encoding: str) -> list[tuple[bytes, bytes]]:
    """`field=value` on each non-blank line (the first `=` separates them), in order; in hex,
    each side in hex. A field named twice is refused (Redis would keep both)."""
    pairs, seen = [], set()
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        try:
            if not equals:
                raise forms.ValidationError("write field=value")
            field = decode_input(name, encoding)
            if not field:
                raise forms.ValidationError("the field name is empty")
            if field in seen:
                raise forms.ValidationError(f"the field {short(field)!r} is given twice")
            pairs.append((field, check_size(decode_input(value, encoding))))
            seen.add(field)
        except forms.ValidationError as exc:
            raise forms.ValidationError(f"line {number}: {exc.messages[0]}") from None
    if not pairs:
        raise forms.ValidationError("give at least one field=value line")
    return pairs


TRIM_STRATEGIES = (
    ("", "Do not trim"),
    ("MAXLEN", "Keep the newest N entries (MAXLEN)"),
    ("MINID", "Remove entries older than an ID (MINID)"),
)
TRIM_PRECISION = (
    ("exact", "Exactly (=)"),
    ("approx", "Approximately (~, whole nodes only: cheaper)"),
)


def clean_threshold(strategy: str, text: str) -> int | str:
    """MAXLEN's count or MINID's ID, as typed for `strategy`."""
    text = (text or "").strip()
    if strategy == "MAXLEN":
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise forms.ValidationError("give how many entries to keep (a whole number)")
        return int(text)
    return parse_id(text)
