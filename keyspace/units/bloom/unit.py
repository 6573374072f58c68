"""Bloom filters (TYPE `MBbloom--`) and Cuckoo filters (`MBbloomCF`) of RedisBloom: their
INFO, checking items, adding items. Each read is one bounded command."""

from __future__ import annotations

import math

from django import forms

from keyspace.conf import app_settings
from keyspace.display import human_bytes
from keyspace.services.editing.guard import allow_list
from keyspace.units.base import CreateField, PageRequest, TypeUnit, ValuePage, registry
from keyspace.units.bloom.filters import AddItems, Check, info_rows, info_value, number


def _capacity(text: str) -> int:
    return number(text or "100", low=1, high=2**32, what="capacity", integer=True)


def _error_rate(text: str) -> float:
    return number(text or "0.01", low=1e-9, high=0.5, what="error rate")


def bloom_bytes(capacity: int, error_rate: float) -> int:
    """The memory BF.RESERVE takes at once, as RedisBloom sizes a filter's first layer: the
    bits per item of an error rate half the one asked (a scaling filter keeps room for the
    layers after it)."""
    return math.ceil(capacity * -math.log(error_rate / 2) / math.log(2) ** 2 / 8)


def cuckoo_bytes(capacity: int) -> int:
    """The memory CF.RESERVE takes at once: buckets of two one-byte fingerprints, their
    number rounded up to a power of two."""
    return 2 ** math.ceil(math.log2(max(1, math.ceil(capacity / 2)))) * 2


def check_reserved(label: str, reserved: int) -> None:
    """Refuse a filter that would take more than DASHBOARD_MAX_FILTER_BYTES of the server's
    memory at once (RedisBloom allocates it whole, whatever is added later)."""
    limit = app_settings.MAX_FILTER_BYTES
    if reserved > limit:
        raise forms.ValidationError({"filter_capacity": (
            f"a {label} this large reserves about {human_bytes(reserved)} at once; the "
            f"dashboard creates filters of up to {human_bytes(limit)} "
            "(DASHBOARD_MAX_FILTER_BYTES): ask for fewer items, or a higher error rate")})


class FilterUnit(TypeUnit):
    """One RedisBloom filter type; `prefix` is its command family (BF, CF)."""

    prefix: str
    length_label = "items"

    @property
    def template(self) -> str:
        return "keyspace/units/bloom.html"

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        pipe.execute_command(f"{self.prefix}.INFO", key)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        return ValuePage(rows=info_rows(reply), next_cursor=None,
                         extra={"filter": self.label})

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """Its INFO: any item added or removed changes the counts."""
        return [reader.execute_command(f"{self.prefix}.INFO", key)]


class BloomCheck(Check):
    name = "bloom-check"
    prefix = "BF"


class BloomAdd(AddItems):
    name = "bloom-add"
    prefix = "BF"

    def queue_add(self, pipe, key, items):
        pipe.execute_command("BF.MADD", key, *items)


@registry.register
class BloomUnit(FilterUnit):
    type_name = "MBbloom--"
    label = "Bloom filter"
    prefix = "BF"
    length_command = "BF.CARD"
    tools = allow_list(BloomCheck)
    operations = allow_list(BloomAdd)
    create_needs_command = "BF.RESERVE"
    create_fields = (
        CreateField("filter_capacity", "Capacity (items)", kind="text", parse=_capacity),
        CreateField("bloom_error_rate", "Error rate (0.01 is 1%)", kind="text",
                    parse=_error_rate),
    )

    @property
    def url_prefix(self) -> str:
        return "bloom/"

    def check_create(self, data: dict) -> None:
        check_reserved(self.label, bloom_bytes(data["filter_capacity"], data["bloom_error_rate"]))

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.execute_command("BF.RESERVE", key, data["bloom_error_rate"],
                             data["filter_capacity"])


class CuckooCheck(Check):
    name = "cuckoo-check"
    prefix = "CF"


class CuckooAdd(AddItems):
    name = "cuckoo-add"
    prefix = "CF"

    def queue_add(self, pipe, key, items):
        pipe.execute_command("CF.INSERT", key, "NOCREATE", "ITEMS", *items)


@registry.register
class CuckooUnit(FilterUnit):
    type_name = "MBbloomCF"
    label = "Cuckoo filter"
    prefix = "CF"
    tools = allow_list(CuckooCheck)
    operations = allow_list(CuckooAdd)
    create_needs_command = "CF.RESERVE"
    create_fields = (
        CreateField("filter_capacity", "Capacity (items)", kind="text", parse=_capacity),
    )

    @property
    def url_prefix(self) -> str:
        return "cuckoo/"

    def queue_length(self, pipe, key: bytes) -> None:
        pipe.execute_command("CF.INFO", key)

    def parse_length(self, reply) -> int | None:
        """Items held now (Cuckoo filters have no CARD; their INFO's "inserted" count goes
        down when an item is deleted)."""
        inserted = info_value(reply, "Number of items inserted")
        return inserted if isinstance(inserted, int) else None

    def check_create(self, data: dict) -> None:
        check_reserved(self.label, cuckoo_bytes(data["filter_capacity"]))

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.execute_command("CF.RESERVE", key, data["filter_capacity"])
