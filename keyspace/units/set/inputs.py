"""What set forms read: members (text or hex, one or one per line), other keys' names, and
small numbers that are clamped rather than refused."""

from __future__ import annotations

import re

from django import forms

from keyspace.display import bytes_to_text
from keyspace.services.editing.inputs import (
    NAME_FORMATS,
    decode_values,
    each_line,
    encoding_field,
    parse_name,
)

MEMBER_MODES = (("lines", "One member per line"), ("one", "The whole text is one member"))
COMPARISONS = (("union", "Union"), ("inter", "Intersection"), ("diff", "Difference"))
COMPARISON_WORDS = {"union": "union", "inter": "intersection", "diff": "difference"}
MAX_OTHER_KEYS = 32


def shown(name: bytes, limit: int = 100) -> str:
    """A member or key name for a message, quoted so leading and trailing spaces show."""
    text = bytes_to_text(name)
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"


def parse_members(text: str, encoding: str, mode: str, limit: int) -> list[bytes]:
    """Distinct members in the order given. One per line skips blank lines, so the empty member
    is given as the whole text being one member: an empty text (or empty hex) is that."""
    members = list(dict.fromkeys(decode_values(text, encoding, per_line=mode != "one")))
    if not members:
        raise forms.ValidationError(
            "give at least one member (blank lines are skipped; for the empty member, choose "
            "“The whole text is one member” and leave the text empty)"
        )
    if len(members) > limit:
        raise forms.ValidationError(f"{len(members):,} members is more than {limit:,} at a time")
    return members


def parse_names(text: str, name_format: str) -> list[bytes]:
    """Distinct key names, one per line, in the order given."""
    names = list(dict.fromkeys(each_line(text, lambda line: parse_name(line, name_format))))
    if not names:
        raise forms.ValidationError("give at least one other key")
    if len(names) > MAX_OTHER_KEYS:
        raise forms.ValidationError(f"at most {MAX_OTHER_KEYS} other keys at a time")
    return names


def clamp(text: str | None, low: int, high: int, default: int) -> int:
    """A whole number pulled into low..high; empty means the default."""
    text = (text or "").strip()
    if not text:
        return default
    if not re.fullmatch(r"-?[0-9]{1,19}", text):
        raise forms.ValidationError(f"{text[:40]!r} is not a whole number")
    return max(low, min(int(text), high))


class MembersInput(forms.Form):
    """Members typed as text or hex: one, or one per line. Cleaning turns them into
    `cleaned_data["members"]`, a list of bytes."""

    member_limit = 1000
    members = forms.CharField(
        label="Members",
        strip=False,
        required=False,  # empty is the empty member when the whole text is one member
        max_length=4 * 1024 * 1024,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    members_encoding = encoding_field()
    mode = forms.ChoiceField(
        choices=MEMBER_MODES,
        initial="lines",
        required=False,
        label="Input",
        help_text="One per line skips blank lines. As one member, an empty text is the empty "
        "member.",
    )

    def clean(self):
        data = super().clean()
        if "members" not in data:
            return data
        try:
            data["members"] = parse_members(
                data["members"],
                data.get("members_encoding") or "text",
                data.get("mode") or "lines",
                self.member_limit,
            )
        except forms.ValidationError as exc:
            self.add_error("members", exc)
        return data


class OthersInput(forms.Form):
    """A comparison and the other keys' names, one per line. Cleaning keeps the typed text in
    `others_text` (for links) and the names, as bytes, in `others`."""

    operation = forms.ChoiceField(choices=COMPARISONS, initial="union", label="Comparison")
    others = forms.CharField(
        label="Other keys, one per line",
        strip=False,
        max_length=1024 * 1024,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    others_format = forms.ChoiceField(
        choices=NAME_FORMATS, initial="text", required=False, label="Names are"
    )

    def clean(self):
        data = super().clean()
        if "others" not in data:
            return data
        data["others_text"] = data["others"]
        try:
            data["others"] = parse_names(data["others"], data.get("others_format") or "text")
        except forms.ValidationError as exc:
            self.add_error("others", exc)
        return data
