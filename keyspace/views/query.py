"""Query-string parsing: bad values become a 400 with a message, sizes are clamped."""

from __future__ import annotations

from django import forms

from keyspace.conf import app_settings
from keyspace.exceptions import BadRequest
from keyspace.redis.keynames import decode_key, parse_escaped
from keyspace.redis.scan_tokens import MAX_TOKEN_CHARS
from keyspace.units import PageRequest, registry


class PatternField(forms.CharField):
    """A glob pattern or key name as typed: as long as the longest key name allowed, written
    with escapes (up to four characters a byte, doubled again by glob escaping)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, strip=False, **kwargs)

    def validate(self, value):
        super().validate(value)
        limit = 8 * app_settings.MAX_KEY_BYTES + 16
        if len(value) > limit:
            raise forms.ValidationError(f"at most {limit:,} characters (it has {len(value):,})")


class ClampedCount(forms.IntegerField):
    """A page size: missing means the default, out of range means the nearest bound."""

    def clean(self, value):
        number = super().clean(value)
        if number is None:
            return app_settings.PAGE_SIZE
        return max(1, min(number, app_settings.MAX_PAGE_SIZE))


class QueryForm(forms.Form):
    def parsed(self) -> dict:
        if not self.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in self.errors.items()
            )
            raise BadRequest(f"bad query parameters ({problems})")
        return self.cleaned_data


OPTIONAL_SORTS = ("name", "ttl", "memory", "length")
OPTIONAL_COLUMNS = ("memory", "length")  # each costs a command per row


def _type_choices():
    return [("", "any type")] + [(name, name) for name in registry.type_names()]


class KeyspaceQueryForm(QueryForm):
    match = PatternField()
    type = forms.ChoiceField(required=False, choices=_type_choices)
    key = PatternField()
    cursor = forms.CharField(required=False, max_length=MAX_TOKEN_CHARS)  # see scanning
    count = ClampedCount(required=False)
    # Sorting the loaded rows ("memory", "-memory"...), and the optional columns shown: the
    # form sends `columns` with the ticked `show` boxes, so ticking none is a choice too.
    sort = forms.ChoiceField(required=False, choices=lambda: [("", "")] + [
        (f"{sign}{name}", name) for name in OPTIONAL_SORTS for sign in ("", "-")])
    columns = forms.BooleanField(required=False)
    show = forms.MultipleChoiceField(required=False, choices=[(c, c) for c in OPTIONAL_COLUMNS])

    def clean_match(self) -> bytes | None:
        pattern = self.cleaned_data["match"]
        return parse_escaped(pattern) if pattern and pattern != "*" else None


class ValueQueryForm(QueryForm):
    cursor = forms.CharField(required=False, max_length=64)  # a stream ID is up to 41
    count = ClampedCount(required=False)
    match = PatternField()
    order = forms.CharField(required=False, max_length=20)

    def page_request(self) -> PageRequest:
        data = self.parsed()
        match = parse_escaped(data["match"]) if data["match"] not in ("", "*") else None
        return PageRequest(
            cursor=data["cursor"], count=data["count"], match=match, order=data["order"]
        )


class NamespaceQueryForm(QueryForm):
    prefix = forms.CharField(required=False, max_length=20000)
    delimiter = forms.CharField(required=False, max_length=16, strip=False)
    scan = forms.RegexField(required=False, regex=r"^[A-Za-z0-9_-]{1,40}$")

    def clean_prefix(self) -> bytes:
        try:
            return decode_key(self.cleaned_data["prefix"])
        except ValueError as exc:
            raise forms.ValidationError("not a prefix token") from exc

    def clean_delimiter(self) -> bytes:
        delimiter = self.cleaned_data["delimiter"] or app_settings.NAMESPACE_DELIMITER
        return delimiter.encode("utf-8")
