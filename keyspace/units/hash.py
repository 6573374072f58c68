"""Hashes: paged with HSCAN (which also filters fields by glob); fields edited one at a time,
each edit conditional on the field's value as the user saw it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field

from django import forms

from keyspace.conf import app_settings
from keyspace.decoders.tools import ViewHashField
from keyspace.display import bytes_to_text
from keyspace.services.editing.guard import (
    Conflict,
    Operation,
    Outcome,
    Refused,
    allow_list,
    guarded,
    refuse_emptying,
)
from keyspace.services.editing.increments import AmountField, result_of
from keyspace.services.editing.inputs import (
    BytesValueField,
    KeyForm,
    TokenField,
    check_size,
    each_line,
    encode_for_form,
    encoding_field,
)
from keyspace.services.editing.targets import ReplacesEntries
from keyspace.units import hash_field_ttl
from keyspace.units.base import (
    CreateField,
    Element,
    PageRequest,
    TemplateLookups,
    TypeUnit,
    ValuePage,
    decode_row_token,
    elements,
    parse_scan_cursor,
    registry,
)
from keyspace.units.hash_field_ttl import PersistField, SetFieldTtl


# Slotted, not frozen, like Element: a page builds a thousand (read-only all the same).
@dataclass(slots=True)
class HashRow(TemplateLookups):
    field: Element
    value: Element
    # Read twice per row (data-row and the opener): encoded once, when the row is made.
    token: str = dataclass_field(init=False, compare=False, repr=False)
    # The field's TTL in ms, -1 for none; None where the server has no field TTLs (no cell).
    # It counts down by itself, so a live page compares rows by `expires_at` instead.
    ttl_ms: int | None = dataclass_field(default=None, metadata={"volatile": True})
    expires_at: int | None = None  # HPEXPIRETIME: Unix ms, or -1

    def __post_init__(self) -> None:
        self.token = HashUnit.row_token(self.field.raw)

    @property
    def has_ttl_cell(self) -> bool:
        """Whether the row draws a TTL cell: a plain attribute test, which the 1,000-row
        table reads directly (an `is not None` in the template is drawn by Django per row)."""
        return self.ttl_ms is not None


class FieldForm(KeyForm):
    row = TokenField(label="Field")
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64)


class SetFieldForm(FieldForm):
    byte_fields = ("value",)
    value = BytesValueField(label="Value")
    value_encoding = encoding_field()


class SetField(Operation):
    name = "hash-set"
    label = "Edit"
    form_class = SetFieldForm
    scope = "row"

    def initial(self, client, key, params):
        field = decode_row_token(params.get("row", ""))
        if client.hstrlen(key, field) > app_settings.MAX_VALUE_BYTES:
            raise Refused("this value is larger than the dashboard edits "
                          "(DASHBOARD_MAX_VALUE_BYTES); nothing was read or changed")
        current, expires_at = hash_field_ttl.field_state(
            client, key, field, hash_field_ttl.field_ttls_available(client))
        text, encoding = encode_for_form(current or b"")
        return {"value": text, "value_encoding": encoding,
                "expected": hash_field_ttl.field_digest(current, expires_at)}

    def apply(self, client, key, data):
        field = data["row"]
        ttls = hash_field_ttl.field_ttls_available(client)

        def attempt(pipe):
            expires_at = hash_field_ttl.check_field(pipe, key, field, data["expected"], ttls)
            # HSET drops the field's TTL: set its expiry time again in the same transaction.
            expiring = {field: expires_at} if expires_at else {}

            def write(pipe):
                pipe.hset(key, field, data["value"])
                hash_field_ttl.queue_keep(pipe, key, expiring)

            return write

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(f"saved field {bytes_to_text(field)[:100]}", refresh="row", row_id=field)


class DeleteField(Operation):
    name = "hash-delete"
    label = "Delete"
    form_class = FieldForm
    scope = "row"
    destructive = True
    submit_label = "Delete this field"

    def initial(self, client, key, params):
        field = decode_row_token(params.get("row", ""))
        return {"expected": hash_field_ttl.seen_field(client, key, field)}

    def apply(self, client, key, data):
        field = data["row"]
        ttls = hash_field_ttl.field_ttls_available(client)

        def attempt(pipe):
            hash_field_ttl.check_field(pipe, key, field, data["expected"], ttls)
            refuse_emptying(pipe.hlen(key), "last field", "deleting")
            return lambda pipe: pipe.hdel(key, field)

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(f"deleted field {bytes_to_text(field)[:100]}", refresh="row", row_id=field)


class AddFieldForm(KeyForm):
    byte_fields = ("field", "value")
    field = BytesValueField(label="Field", widget=forms.TextInput)
    field_encoding = encoding_field()
    value = BytesValueField(label="Value")
    value_encoding = encoding_field()


class AddField(Operation):
    name = "hash-add"
    label = "Add field"
    form_class = AddFieldForm
    submit_label = "Add"

    def apply(self, client, key, data):
        field = data["field"]

        def attempt(pipe):
            if pipe.hexists(key, field):
                raise Conflict(f"the field {bytes_to_text(field)[:100]} already exists; "
                               "edit it in its row instead")
            return lambda pipe: pipe.hset(key, field, data["value"])

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(f"added field {bytes_to_text(field)[:100]}")


class AddManyForm(KeyForm):
    pairs = forms.CharField(
        label="Fields, one per line as field=value",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
    )
    overwrite = forms.BooleanField(required=False, label="Replace fields that exist")
    # The fields being replaced, as shown when replacing them was confirmed (see targets.py).
    replaced_expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean_pairs(self) -> dict[bytes, bytes]:
        pairs = dict(each_line(self.cleaned_data["pairs"], _field_and_value))
        if not pairs:
            raise forms.ValidationError("give at least one field=value line")
        return pairs


def _field_and_value(line: str) -> tuple[bytes, bytes]:
    field, found, value = line.partition("=")
    if not found or not field:
        raise forms.ValidationError("no field=value")
    return field.encode(), check_size(value.encode())


class AddMany(ReplacesEntries, Operation):
    name = "hash-add-many"
    label = "Add several"
    form_class = AddManyForm
    submit_label = "Add all"
    replace_flag = "overwrite"
    entry_word = "fields"

    def entries(self, data):
        return list(data["pairs"])

    def read_entries(self, client, key, names):
        """The fields' values, in two round trips; one too large to read is stood in for by
        its length. (Under an edit's WATCH these reads may use another connection: a change
        after the WATCH still fails the EXEC.)"""
        limit = app_settings.MAX_VALUE_BYTES
        with client.pipeline(transaction=False) as batch:
            for name in names:
                batch.hstrlen(key, name)
            sizes = batch.execute()
        small = [name for name, size in zip(names, sizes, strict=True) if size <= limit]
        values = dict(zip(small, client.hmget(key, small), strict=True)) if small else {}
        return [values.get(name, ("length", size))
                for name, size in zip(names, sizes, strict=True)]

    def apply(self, client, key, data):
        pairs = data["pairs"]
        ttls = data["overwrite"] and hash_field_ttl.field_ttls_available(client)

        def attempt(pipe):
            expiring = hash_field_ttl.expiry_times(pipe, key, list(pairs)) if ttls else {}
            if data["overwrite"]:
                self.check_replaced(pipe, key, data, self.read_entries(client, key, list(pairs)))
            else:
                existing = [f for f, there in zip(pairs, pipe.hmget(key, list(pairs)), strict=True)
                            if there is not None]
                if existing:
                    names = ", ".join(bytes_to_text(f)[:50] for f in existing[:5])
                    raise Conflict(f"these fields already exist: {names}; nothing was written")

            def write(pipe):
                pipe.hset(key, mapping=pairs)
                hash_field_ttl.queue_keep(pipe, key, expiring)  # replaced fields keep theirs

            return write

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(f"added {len(pairs)} fields")


class IncrementForm(KeyForm):
    row = TokenField(label="Field")
    amount = AmountField(initial="1", label="Add (may be negative)")


# HINCRBYFLOAT reads no longer number: a longer value is refused without being read.
NUMBER_LENGTH = 5 * 1024


class Increment(Operation):
    name = "hash-incr"
    label = "Increment"
    form_class = IncrementForm
    submit_label = "Increment"
    scope = "row"

    def apply(self, client, key, data):
        field, amount = data["row"], data["amount"]

        def attempt(pipe):
            # HINCRBY would create a field that is gone: the user incremented one they saw.
            if not pipe.hexists(key, field):
                raise Conflict("the field was removed meanwhile; nothing was written",
                               removed=True)
            short = pipe.hstrlen(key, field) <= NUMBER_LENGTH
            result_of(pipe.hget(key, field) if short else None, amount)
            if amount.integer:
                return lambda pipe: pipe.hincrby(key, field, amount.value)
            return lambda pipe: pipe.hincrbyfloat(key, field, amount.arg())

        [result] = guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(f"{bytes_to_text(field)[:100]} is now {bytes_to_text(str(result).encode())}",
                       refresh="row", row_id=field)


@registry.register
class HashUnit(TypeUnit):
    type_name = "hash"
    label = "Hash"
    length_command = "HLEN"
    length_label = "fields"
    filterable = True
    operations = allow_list(
        SetField, DeleteField, AddField, AddMany, Increment, SetFieldTtl, PersistField
    )
    tools = allow_list(ViewHashField)
    create_fields = (
        CreateField("field", "Field", kind="line", required="a field is needed for this type"),
        CreateField("value", "Value"),
    )

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """The length and the first HSCAN page (fields with their values)."""
        _, page = reader.hscan(key, 0, count=2 * self.fingerprint_sample)
        return [reader.hlen(key), page]

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.hset(key, data["field"], data["value"])

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        cursor = parse_scan_cursor(request.cursor)
        pipe.hscan(key, cursor, match=request.match, count=request.count)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        cursor, fields = reply
        rows = list(map(HashRow, elements(fields), elements(fields.values())))
        return ValuePage(rows=rows, next_cursor=str(cursor) if cursor else None)

    def complete_page(self, client, key: bytes, page: ValuePage) -> ValuePage:
        """The TTLs of the page's fields, in one HPTTL, where the server has field TTLs."""
        if not hash_field_ttl.field_ttls_available(client):
            page.extra["field_ttls"] = False
            return replace(page, notes=(*page.notes, hash_field_ttl.NOT_AVAILABLE + "."))
        page.extra["field_ttls"] = True
        ttls = hash_field_ttl.read_ttls(client, key, [row.field.raw for row in page.rows])
        for row, (ttl_ms, expires_at) in zip(page.rows, ttls, strict=True):
            row.ttl_ms, row.expires_at = ttl_ms, expires_at
        return page

    def read_row(self, client, key: bytes, row_id: bytes) -> HashRow | None:
        value = client.hget(key, row_id)
        if value is None:
            return None
        row = HashRow(Element.of(row_id), Element.of(value))
        if hash_field_ttl.field_ttls_available(client):
            [(row.ttl_ms, row.expires_at)] = hash_field_ttl.read_ttls(client, key, [row_id])
        return row

