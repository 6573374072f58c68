"""Bloom filters (TYPE `MBbloom--`) and Cuckoo filters (`MBbloomCF`) of RedisBloom: their
INFO, checking items, adding items. Each read is one bounded command."""

from __future__ import annotations

from keyspace.services.editing.guard import allow_list
from keyspace.units.base import CreateField, PageRequest, TypeUnit, ValuePage, registry
from keyspace.units.bloom.filters import AddItems, Check, info_rows, info_value, number


def _capacity(text: str) -> int:
    return number(text or "100", low=1, high=2**32, what="capacity", integer=True)


def _error_rate(text: str) -> float:
    return number(text or "0.01", low=1e-9, high=0.5, what="error rate")


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

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.execute_command("CF.RESERVE", key, data["filter_capacity"])
