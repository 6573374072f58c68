"""Bitmaps: a string read bit by bit (SETBIT, GETBIT). Shown as a grid of the bits of one
part of the value, with the count of set bits and the first set and clear bit, all bounded;
a tool reads one bit or counts a range."""

from __future__ import annotations

from typing import Any

import redis
from django import forms

from keyspace.redis.capabilities import reading_pipeline
from keyspace.services.editing.guard import Tool, refused
from keyspace.units.string.views.base import StringView, string_views

GRID_BYTES = 256  # one page of the grid: 2,048 bits
ROW_BYTES = 8  # 64 bits a line
# BITCOUNT and BITPOS take time in proportion to the bytes they scan: never more than this.
SCAN_BYTES = 1024 * 1024
MAX_BIT = 2**32 - 1  # Redis's largest bit offset (a 512 MB string)


def grid(value: bytes, offset: int) -> list[tuple[int, str]]:
    """(first bit, "01001000 01101001 …") for each line of the bits, most significant first
    in every byte, as SETBIT numbers them."""
    rows = []
    for start in range(0, len(value), ROW_BYTES):
        chunk = value[start : start + ROW_BYTES]
        rows.append(((offset + start) * 8, " ".join(f"{byte:08b}" for byte in chunk)))
    return rows


class BitsForm(forms.Form):
    bit = forms.IntegerField(min_value=0, max_value=MAX_BIT, label="Bit (from 0)")
    start = forms.IntegerField(min_value=0, required=False, label="Count from byte")
    end = forms.IntegerField(min_value=0, required=False, label="to byte (inclusive)")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            self.add_error("end", "give both ends of the range, or neither")
        elif start is not None and end is not None:
            if end < start:
                self.add_error("end", "the range ends before it starts")
            elif end - start + 1 > SCAN_BYTES:
                self.add_error("end", f"at most {SCAN_BYTES:,} bytes at a time")
        return data


class LookUpBits(Tool):
    name = "string-bits"
    label = "Look up bits"
    form_class = BitsForm
    result_template = "keyspace/units/string/bitmap.html#lookup"

    def run(self, client, key, data):
        bit, start, end = data["bit"], data.get("start"), data.get("end")
        try:
            with reading_pipeline(client) as pipe:
                pipe.getbit(key, bit)
                if start is not None:
                    pipe.bitcount(key, start, end)
                    pipe.bitpos(key, 1, start, end)
                replies = pipe.execute()
        except redis.ResponseError as exc:
            raise refused(exc) from exc
        result = {"bit": bit, "value": replies[0]}
        if start is not None:
            result |= {"start": start, "end": end, "ones": replies[1], "first_one": replies[2]}
        return result


@string_views.register
class BitmapView(StringView):
    name = "bitmap"
    label = "Bits"
    template = "keyspace/units/string/bitmap.html"
    page_bytes = GRID_BYTES
    tools = (LookUpBits,)
    hides = frozenset({"string-incr"})  # bits are not a number
    reads = True

    def facts_from(self, value: bytes, offset: int, total: int) -> dict[str, Any]:
        return {
            "grid": grid(value, offset),
            "first_bit": offset * 8,
            "last_bit": (offset + len(value)) * 8 - 1,
            "set_here": sum(byte.bit_count() for byte in value),
        }

    def read(self, client, key: bytes, facts: dict[str, Any]) -> dict[str, Any]:
        """BITCOUNT and the first set and clear bit, over at most SCAN_BYTES from the start
        (by byte range, which every Redis version takes)."""
        end = SCAN_BYTES - 1
        try:
            with client.pipeline(transaction=False) as pipe:
                pipe.strlen(key)
                pipe.bitcount(key, 0, end)
                pipe.bitpos(key, 1, 0, end)
                pipe.bitpos(key, 0, 0, end)
                size, ones, first_one, first_zero = pipe.execute()
        except redis.ResponseError as exc:
            return {"count_error": str(exc)}
        return {"ones": ones, "scanned": min(size, SCAN_BYTES), "whole": size <= SCAN_BYTES,
                "first_one": first_one, "first_zero": first_zero}
