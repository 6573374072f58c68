"""Creating a key of any type with the New-key form: its name, type and TTL, and the inputs
the type's unit declares for the key's first element (TypeUnit.create_fields)."""

from __future__ import annotations

import redis
from django import forms
from django.core.exceptions import ImproperlyConfigured

from keyspace.display import bytes_to_text
from keyspace.redis.capabilities import has_command
from keyspace.services.editing.guard import Conflict, guarded
from keyspace.services.editing.inputs import (
    NAME_FORMATS,
    TTL_UNITS,
    BytesValueField,
    EditForm,
    encoding_field,
    parse_name,
    ttl_milliseconds,
)
from keyspace.units import TypeUnit, registry
from keyspace.units.declarations import CreateField


def creatable_units(client=None) -> list[TypeUnit]:
    """The types the New-key form can create; with `client`, only those its server has the
    commands for (a module type where the module is loaded)."""
    units = [registry.unit_for(name) for name in registry.type_names()]
    return [unit for unit in units if unit.create_fields and (
        client is None or unit.create_needs_command is None
        or _server_has(client, unit.create_needs_command))]


def _server_has(client, command: str) -> bool:
    """False when the server cannot be asked now (down, say): the form is still drawn and
    checked, and the write itself meets the error, where it is audited and shown."""
    try:
        return has_command(client, command)
    except redis.RedisError:
        return False


def creatable_types() -> list[tuple[str, str]]:
    return [(unit.type_name, unit.label) for unit in creatable_units()]


def create_inputs(units: list[TypeUnit] | None = None,
                  ) -> list[tuple[CreateField, list[tuple[TypeUnit, CreateField]]]]:
    """Every input the `units` (default: every creatable one) declare, once, with the units
    (and their declarations) that ask for it. The order keeps each unit's own (a hash's field
    comes before its value)."""
    order: list[str] = []
    users: dict[str, list[tuple[TypeUnit, CreateField]]] = {}
    for unit in creatable_units() if units is None else units:
        names = [declared.name for declared in unit.create_fields]
        for index, declared in enumerate(unit.create_fields):
            if declared.name not in users:
                later = [name for name in names[index + 1 :] if name in order]
                order.insert(order.index(later[0]) if later else len(order), declared.name)
            elif (first := users[declared.name][0][1]).kind != declared.kind:
                raise ImproperlyConfigured(
                    f"{unit.type_name} declares the New-key input {declared.name!r} as "
                    f"{declared.kind!r}; another type declares it as {first.kind!r}"
                )
            users.setdefault(declared.name, []).append((unit, declared))
    return [(users[name][0][1], users[name]) for name in order]


def _label(first: CreateField, users: list[tuple[TypeUnit, CreateField]], everyone: int) -> str:
    """"Value (or element, member)", "Score (sorted set)": the input, as each type calls it,
    and the types that use it when not all do."""
    label = first.label
    others = list(dict.fromkeys(d.label.lower() for _, d in users if d.label != first.label))
    if others:
        label += f" (or {', '.join(others)})"
    if len(users) < everyone:
        label += f" ({', '.join(unit.label.lower() for unit, _ in users)})"
    return label


def _form_field(declared: CreateField, label: str) -> forms.Field:
    if declared.kind == "text":
        return forms.CharField(required=False, max_length=100, label=label)
    widget = forms.TextInput if declared.kind == "line" else None
    return BytesValueField(label=label, **({"widget": widget} if widget else {}))


class CreateKeyForm(EditForm):
    name = forms.CharField(strip=False, max_length=200_000, label="Key name")
    name_format = forms.ChoiceField(choices=NAME_FORMATS, initial="text", required=False)
    type = forms.ChoiceField(choices=creatable_types, label="Type")
    ttl_unit = forms.ChoiceField(
        choices=TTL_UNITS[:2], initial="s", required=False, label="TTL unit"
    )
    ttl = forms.CharField(required=False, max_length=30, label="TTL (empty: no TTL)")

    def __init__(self, *args, client=None, **kwargs):
        """`client`: the server the key is for, so that only the types it can hold are
        offered (a type it lacks is then an invalid choice, said by the field)."""
        super().__init__(*args, **kwargs)
        self.units = creatable_units(client)
        self.fields["type"].choices = [(unit.type_name, unit.label) for unit in self.units]
        inputs = create_inputs(self.units)
        everyone = len(self.units)
        byte_fields, added = [], []
        for declared, users in inputs:
            self.fields[declared.name] = _form_field(declared, _label(declared, users, everyone))
            added.append(declared.name)
            if declared.kind != "text":
                byte_fields.append(declared.name)
                self.fields[f"{declared.name}_encoding"] = encoding_field()
                added.append(f"{declared.name}_encoding")
        self.byte_fields = tuple(byte_fields)
        self.order_fields(["name", "name_format", "type", *added, "ttl_unit", "ttl"])

    def first_elements(self) -> list[tuple[str, list[str]]]:
        """Each type with the inputs its first element comes from, for the form's help."""
        return [(unit.label, [declared.label for declared in unit.create_fields])
                for unit in self.units]

    def clean(self):
        data = super().clean()
        try:
            data["name"] = parse_name(data.get("name", ""), data.get("name_format") or "text")
        except forms.ValidationError as exc:
            self.add_error("name", exc)
        if data.get("ttl", "").strip():
            try:
                data["ttl_ms"] = ttl_milliseconds(data.get("ttl_unit"), data["ttl"], None)
            except forms.ValidationError as exc:
                self.add_error("ttl", exc)
        if data.get("type"):
            self._clean_inputs(registry.unit_for(data["type"]), data)
        return data

    def _clean_inputs(self, unit: TypeUnit, data: dict) -> None:
        """The chosen type's inputs: parsed, or refused when it needs them and they are empty."""
        for declared in unit.create_fields:
            if declared.parse is not None:
                try:
                    data[declared.name] = declared.parse(data.get(declared.name) or "")
                except forms.ValidationError as exc:
                    self.add_error(declared.name, exc)
            elif declared.required and not data.get(declared.name) and (
                declared.name not in self.errors  # e.g. bad hex: that error says it already
            ):
                self.add_error(declared.name, declared.required)
        if not any(declared.name in self.errors for declared in unit.create_fields):
            try:
                unit.check_create(data)
            except forms.ValidationError as exc:
                self.add_error(None, exc)


def create_key(client, data: dict) -> bytes:
    """Create a key of the chosen type, only if no key has that name (never overwrites)."""
    key, unit = data["name"], registry.unit_for(data["type"])

    def attempt(pipe):
        if pipe.exists(key):
            raise Conflict(
                f"a key named {bytes_to_text(key)[:200]} already exists; nothing was written"
            )

        def write(pipe):
            unit.queue_create(pipe, key, data)
            if data.get("ttl_ms"):
                pipe.pexpire(key, data["ttl_ms"])

        return write

    guarded(client, [key], attempt)
    return key
