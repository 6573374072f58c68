"""{% for_rows %} draws what {% for %} draws, whatever the rows and the body: the direct
paths (attributes, escaping, numbers, tests decided once per table) and Django's own for the
rest (dicts, callables, filters, operators, includes, missing attributes)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template import TemplateSyntaxError, engines
from django.utils.safestring import mark_safe

from keyspace.units.base import Element
from keyspace.units.hash import HashRow

HOSTILE = "<script>alert('x')</script> & \"q\""


class Both(dict):
    """An attribute and an item of the same name: Django reads the item."""

    text = "the attribute"


class Labelled:
    """An attribute that is a method: Django calls it."""

    def __init__(self, text):
        self.text = text

    def label(self):
        return f"<{self.text}>"


def _both(body: str, context: dict, prefix: str = "", suffix: str = "") -> tuple[str, str]:
    engine = engines["django"]
    looped = engine.from_string(f"{prefix}{{% for r in rows %}}{body}{{% endfor %}}{suffix}")
    compiled = engine.from_string(
        "{% load value_rows %}"
        f"{prefix}{{% for_rows r in rows %}}{body}{{% endfor_rows %}}{suffix}"
    )
    return looped.render(context), compiled.render(context)


def _elements(*values: bytes) -> list[HashRow]:
    return [HashRow(Element.of(v), Element.of(v[::-1])) for v in values]


CASES = {
    "attributes, escaped in text and attributes": (
        '<td title="{{ r.field.text }}">{{ r.field.text }}</td>{{ r.value.size }}',
        {"rows": _elements(HOSTILE.encode(), b"plain", b"\xff\x00", b"")},
    ),
    "a test per row and a test per table": (
        "{% if outer %}[{% if r.field.plain %}{{ r.field.text }}{% else %}{{ r.field.size }}"
        "{% endif %}]{% elif r.field.binary %}B{% else %}-{% endif %}",
        {"rows": _elements(b"a", b"\xff", b"", b" "), "outer": True},
    ),
    "the same with the table's test false": (
        "{% if outer %}[{{ r.field.text }}]{% elif r.field.binary %}B{% else %}-{% endif %}",
        {"rows": _elements(b"a", b"\xff", b""), "outer": False},
    ),
    "tests with operators": (
        "{% if r.field.plain and not outer %}p{% elif r.field.size > 1 or outer %}s{% endif %}",
        {"rows": _elements(b"a", b"long", b""), "outer": False},
    ),
    "dict rows (Django looks up keys first)": (
        "{{ r.items }}|{{ r.name }}|{% if r.items %}yes{% endif %}",
        {"rows": [{"items": "<i>", "name": "n"}, {"name": "m"}]},
    ),
    "items before attributes": ("{{ r.text }}", {"rows": [Both(text="the item"), Both()]}),
    "callables are called": (
        "{{ r.label }}|{{ r.text }}", {"rows": [Labelled(HOSTILE), Labelled("b")]},
    ),
    "missing attributes": (
        "[{{ r.nothing }}][{{ r.text.nothing }}]{% if r.nothing %}x{% endif %}",
        {"rows": [SimpleNamespace(text="t")]},
    ),
    "safe strings are not escaped twice": (
        "{{ r.text }}", {"rows": [SimpleNamespace(text=mark_safe("<b>ok</b>"))]},
    ),
    "filters and their arguments": (
        "{{ r.text|upper }}{{ outer|default:r.text }}{{ r.n|add:2 }}",
        {"rows": [SimpleNamespace(text="<a>", n=3)], "outer": ""},
    ),
    "numbers, floats, None, booleans": (
        "{{ r.n }} {{ r.f }} {{ r.none }} {{ r.yes }}",
        {"rows": [SimpleNamespace(n=1234567, f=1.5, none=None, yes=True)]},
    ),
    "an include and a nested loop": (
        '{% include "keyspace/_element.html" with element=r.field %}'
        "{% for c in r.field.text %}{{ c }}{{ forloop.counter }}{% endfor %}",
        {"rows": _elements(b"ab", b"x" * 5000, b"\xfe")},
    ),
    "the table's variables": ("{{ outer }}{{ r.text }}", {"rows": [SimpleNamespace(text="t")] * 3,
                              "outer": HOSTILE}),
    "no rows": ("{{ r.text }}", {"rows": []}),
}


@pytest.mark.parametrize("body, context", CASES.values(), ids=CASES.keys())
def test_draws_what_for_draws(body, context):
    looped, compiled = _both(body, context)
    assert compiled == looped


def test_rows_may_come_from_a_generator():
    template = engines["django"].from_string(
        "{% load value_rows %}{% for_rows r in rows %}<{{ r }}>{% endfor_rows %}"
    )
    assert template.render({"rows": (n for n in range(3))}) == "<0><1><2>"


@pytest.mark.parametrize("prefix, suffix", [
    ("{% load l10n %}{% localize off %}", "{% endlocalize %}"),
    ("{% load l10n %}{% localize on %}", "{% endlocalize %}"),
    ("{% autoescape off %}", "{% endautoescape %}"),
])
def test_follows_the_tables_localisation_and_escaping(prefix, suffix, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    rows = [SimpleNamespace(n=1234567, f=1234.5, text=HOSTILE)]
    looped, compiled = _both("{{ r.n }} {{ r.f }} {{ r.text }}", {"rows": rows}, prefix, suffix)
    assert compiled == looped
    assert ("1,234,567" in compiled) == ("localize off" not in prefix)
    assert ("<script>" in compiled) == ("autoescape off" in prefix)


def test_the_row_is_not_left_in_the_context():
    engine = engines["django"]
    template = engine.from_string(
        "{% load value_rows %}{% for_rows r in rows %}{{ r }}{% endfor_rows %}[{{ r }}]"
    )
    assert template.render({"rows": [1, 2], "r": "outer"}) == "12[outer]"


@pytest.mark.parametrize("tag, body", [
    ("{% for_rows r rows %}", ""),
    ("{% for_rows r in %}", ""),
    ("{% for_rows forloop in rows %}", ""),
    ("{% for_rows r in rows %}", "{{ forloop.counter }}"),
    ("{% for_rows r in rows %}", "{% if r.a %}{% elif forloop.first %}{% endif %}"),
])
def test_bad_usage_is_a_syntax_error(tag, body):
    """Including a body that asks for forloop: a row is drawn the same alone (no forloop)."""
    with pytest.raises(TemplateSyntaxError):
        engines["django"].from_string(f"{{% load value_rows %}}{tag}{body}{{% endfor_rows %}}")
