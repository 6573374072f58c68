"""Increments as Redis reads them: one parser for every amount (INCRBY, INCRBYFLOAT, HINCRBY,
HINCRBYFLOAT, ZINCRBY) and one check of the result, made before anything is written.

What is accepted is what Redis's own parsers accept, nothing more:

- a whole number as `string2ll` reads it: ASCII digits, an optional `-`, no `+`, no leading
  zeros, no spaces, within the 64-bit range;
- otherwise a float as `strtod` reads it inside `string2d`/`string2ld`: decimal
  (`1.5`, `.5`, `1.`, `1e-3`) or C hex (`0x1p3`) notation with an optional sign, no spaces,
  no `_`, no other scripts' digits; NaN never.

On top of that the dashboard keeps every number a 64-bit one, which every client can read back:
a float amount must lie in the 64-bit float range (`1e400` is refused where INCRBYFLOAT would
take it as a long double; `1e-400`, which a 64-bit float can only hold as 0, is refused where
Redis would add nothing), infinity is refused (the result would be infinite), and a result
past the 64-bit integer or float range is refused with a message by the amount field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Context, Decimal

from django import forms

from keyspace.services.editing.inputs import FieldRefused

INT64 = (-(2**63), 2**63 - 1)
REDIS_INTEGER = re.compile(r"0|-?[1-9][0-9]*", re.ASCII)  # string2ll
DIGITS = re.compile(r"[+-]?[0-9]+", re.ASCII)
DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
HEX = re.compile(
    r"(?P<sign>[+-]?)0[xX](?P<whole>[0-9a-fA-F]*)\.?(?P<fraction>[0-9a-fA-F]*)"
    r"(?:[pP](?P<power>[+-]?[0-9]+))?",
    re.ASCII,
)
INFINITY = re.compile(r"[+-]?inf(?:inity)?", re.ASCII | re.IGNORECASE)
NAN = re.compile(r"[+-]?nan(?:\([0-9A-Za-z_]*\))?", re.ASCII | re.IGNORECASE)
MAX_TEXT = 5 * 1024 - 1  # Redis reads no longer number (MAX_LONG_DOUBLE_CHARS)
LONG_DOUBLE = (Decimal("3.6e-4951"), Decimal("1.19e4932"))
EXACT = Context(prec=60)  # plenty for a sum of two 64-bit numbers written in decimal

OVERFLOW = "increment would overflow"
NOT_INTEGER = "the value is not an integer, so it cannot be incremented by a whole number"
NOT_NUMBER = "the value is not a number, so it cannot be incremented"
NOT_FINITE = "NaN and infinity are not allowed here"


@dataclass(frozen=True)
class Amount:
    """An amount as typed (sent to Redis as typed, so Redis reads what the person wrote) and
    its exact value: an int for INCRBY-style commands, a Decimal for float ones."""

    text: str
    value: int | Decimal

    @property
    def integer(self) -> bool:
        return isinstance(self.value, int)

    def arg(self, *, negate: bool = False) -> int | str:
        """What to send to Redis (DECRBY and friends take the int as it is)."""
        if self.integer or not negate:
            return self.value if self.integer else self.text
        if self.text[:1] in "+-":
            return ("-" if self.text[0] == "+" else "") + self.text[1:]
        return "-" + self.text

    @property
    def shown(self) -> str:
        return str(self.value) if self.integer else self.text


def integer_of(text: str) -> int | None:
    """`text` as Redis's string2ll reads it, or None."""
    if len(text) > 20 or not REDIS_INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if INT64[0] <= number <= INT64[1] else None


def exact_float(text: str) -> Decimal | None:
    """The exact value of `text` in the float syntax Redis reads (strtod/strtold), with no
    range check: None when it is not one, or NaN. Infinity is Decimal infinity."""
    if not text or len(text) > MAX_TEXT or not text.isascii() or NAN.fullmatch(text):
        return None
    if INFINITY.fullmatch(text):
        return Decimal("-Infinity" if text[0] == "-" else "Infinity")
    if DECIMAL.fullmatch(text):
        return Decimal(text)
    return _hex_value(text)


def float_of(text: str) -> Decimal | None:
    """`text` as Redis's string2d reads a 64-bit float: None when it is not a float, NaN, out
    of range or so small it becomes 0 (both ERANGE in strtod). Infinity is allowed."""
    exact = exact_float(text)
    if exact is None or not exact.is_finite():
        return exact
    rounded = float(exact)  # correctly rounded, as strtod rounds
    if math.isinf(rounded) or (rounded == 0 and exact != 0):
        return None
    return exact


def _hex_value(text: str) -> Decimal | None:
    match = HEX.fullmatch(text)
    if match is None or not (match["whole"] or match["fraction"]):
        return None
    digits = (match["whole"] + match["fraction"]).lstrip("0") or "0"
    power = int(match["power"] or 0) - 4 * len(match["fraction"])
    if digits == "0":
        return Decimal(0)
    magnitude = 4 * len(digits) + power
    if not -20000 < magnitude < 20000:  # far past any float range: keep the arithmetic small
        value = Decimal("1e9999" if magnitude > 0 else "1e-9999")
    else:
        value = EXACT.multiply(Decimal(int(digits, 16)), EXACT.power(Decimal(2), power))
    return -value if match["sign"] == "-" else value


class AmountField(forms.CharField):
    """An increment amount; not stripped, since Redis does not take spaces either."""

    def __init__(self, *args, integers: bool = True, **kwargs):
        self.integers = integers
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("strip", False)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        return parse_increment(text, integers=self.integers)


def parse_increment(text: str, *, integers: bool = True) -> Amount:
    """An amount typed in a form. With `integers`, a whole number becomes an int (for
    INCRBY/HINCRBY); everything else is a float amount."""
    if text != text.strip():
        raise forms.ValidationError("remove the spaces around the number (Redis takes none)")
    if not text:
        raise forms.ValidationError("give an amount")
    if integers and DIGITS.fullmatch(text) and REDIS_INTEGER.fullmatch(text):
        number = integer_of(text)
        if number is None:
            raise forms.ValidationError("out of range for a 64-bit integer")
        return Amount(text, number)
    if text.isascii() and (NAN.fullmatch(text) or INFINITY.fullmatch(text)):
        raise forms.ValidationError(NOT_FINITE)
    value = float_of(text)
    if value is None:
        exact = exact_float(text)
        if exact is None:
            raise forms.ValidationError(f"{text[:40]!r} is not a number")
        if abs(exact) > 1:
            raise forms.ValidationError(f"{text[:40]!r} is out of range for a 64-bit float")
        raise forms.ValidationError(
            f"{text[:40]!r} is too small for a 64-bit float: it would be added as 0"
        )
    return Amount(text, value)


def _refuse(message: str) -> FieldRefused:
    return FieldRefused("amount", f"{message}; nothing was changed")


def integer_result(current: bytes | None, amount: Amount, *, subtract: bool = False) -> int:
    """current + amount as INCRBY/HINCRBY computes it (current as string2ll reads it), refused
    when Redis would refuse it."""
    assert amount.integer
    if subtract and amount.value == INT64[0]:
        raise _refuse("decrement would overflow")
    text = None if current is None else current.decode("latin-1")
    number = None if text is None else integer_of(text)
    if number is None:
        decimal = text is not None and float_of(text) is not None
        hint = " (give a decimal amount such as 1.0 to add to a decimal)" if decimal else ""
        raise _refuse(NOT_INTEGER + hint)
    result = number - amount.value if subtract else number + amount.value
    if not INT64[0] <= result <= INT64[1]:
        raise _refuse(f"{OVERFLOW} (past the 64-bit integer range)")
    return result


def float_result(current: bytes | float | None, amount: Amount, *, subtract=False) -> Decimal:
    """current + amount for INCRBYFLOAT, HINCRBYFLOAT, ZINCRBY (a score comes as a float),
    refused when it is not a finite 64-bit float."""
    if isinstance(current, float):
        number: Decimal | None = Decimal(current)
    else:
        # Redis reads the stored value as a long double: beyond a 64-bit float's range is
        # still a number (the sum is then refused below), so no range check here.
        number = None if current is None else exact_float(current.decode("latin-1"))
    if number is None or not _long_double(number):
        raise _refuse(NOT_NUMBER)
    value = Decimal(amount.value)
    if not number.is_finite():
        raise _refuse(f"{OVERFLOW} (the value is {number}, so the result would not be a "
                      "finite number)")
    result = EXACT.subtract(number, value) if subtract else EXACT.add(number, value)
    if math.isinf(float(result)):
        sign = "-" if subtract else "+"
        raise _refuse(
            f"{OVERFLOW} ({_short(number)} {sign} {amount.text} is past the 64-bit float range)"
        )
    return result


def _long_double(number: Decimal) -> bool:
    """Roughly the long double range Redis's string2ld reads a stored value in."""
    return not number.is_finite() or number == 0 or LONG_DOUBLE[0] < abs(number) < LONG_DOUBLE[1]


def _short(number: Decimal) -> str:
    return repr(float(number))


def result_of(current, amount: Amount, *, subtract: bool = False) -> int | Decimal:
    if amount.integer:
        return integer_result(current, amount, subtract=subtract)
    return float_result(current, amount, subtract=subtract)
