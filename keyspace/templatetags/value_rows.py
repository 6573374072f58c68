"""`{% for_rows row in page.rows %}…{% endfor_rows %}`: a value table's rows, drawn as `{% for %}`
would draw them, at a fraction of the cost.

A 1,000-row page spends most of its time in Django's template engine: each variable or tag
of a row costs about 2 µs (a context look-up, a lookup chain that tries `obj[name]` first, a
`conditional_escape`, the for loop's own context push), so a row of six or eight of them
costs several times the row of a read-only view. The row's markup stays in the template (the
unit's `row` partial, which an edit or a live redraw renders alone); this tag reads that
markup once, when the template is compiled, into a plan:

- text is kept as it is;
- whatever does not mention the loop variable (`{% if row_actions %}`, `{{ db }}`) is
  rendered once per table, against the table's context, not once per row;
- `{{ row.a.b }}` without filters reads the attributes directly and escapes the text
  exactly as Django does (`conditional_escape`; numbers as `render_value_in_context` gives
  them); `{% if row.a.b %}` tests them directly;
- anything else (an include, a filter, `{% with %}`, an `{% if %}` with operators) is
  rendered by Django itself for that row, with the row in the context: slower, never
  different.

A look-up the direct path cannot answer exactly as Django would (a dict or a sequence, a
callable, a missing attribute) is handed to Django's own resolution for that row. `forloop`
is not available in the rows: a row is drawn the same alone and in its table.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from django import template
from django.template.base import Node, TextNode, Variable, VariableNode, render_value_in_context
from django.template.defaulttags import IfNode, TemplateLiteral
from template_partials.templatetags.partials import DefinePartialNode

from keyspace.units.base import TemplateLookups

register = template.Library()

Draw = Callable[[Any], str]


@register.tag
def for_rows(parser, token):
    bits = token.split_contents()
    if len(bits) != 4 or bits[2] != "in":
        raise template.TemplateSyntaxError("usage: {% for_rows row in rows %}…{% endfor_rows %}")
    nodelist = parser.parse(("endfor_rows",))
    parser.delete_first_token()
    return RowsNode(bits[1], parser.compile_filter(bits[3]), nodelist)


class RowsNode(Node):
    child_nodelists = ("nodelist",)

    def __init__(self, name: str, sequence, nodelist):
        if name == "forloop":
            raise template.TemplateSyntaxError("for_rows: the loop variable cannot be forloop")
        self.name = name
        self.sequence = sequence
        self.nodelist = nodelist
        self.plan = _compile(nodelist, name)

    def render(self, context) -> str:
        rows = self.sequence.resolve(context, ignore_failures=True) or ()
        with context.push() as top:
            steps = _bind(self.plan, context, self.name)
            out: list[str] = []
            append = out.append
            for row in rows:
                top[self.name] = row  # for the steps Django renders itself
                for step in steps:
                    append(step if type(step) is str else step(row))
        return "".join(out)


# The plan: a tuple of parts, each a str, or one of these.
class _Once:
    """Mentions no row: rendered once per table."""

    def __init__(self, node: Node):
        self.node = node


class _RowVariable:
    """`{{ row.a.b }}`, no filters."""

    def __init__(self, node: VariableNode, lookups: tuple[str, ...]):
        self.node = node
        self.lookups = lookups


class _If:
    """`{% if %}`: (test, plan) per branch, test None for else. Tests that mention no row are
    decided once per table."""

    def __init__(self, branches: list[tuple[Any, tuple]]):
        self.branches = branches


class _ByDjango:
    """Anything else: Django renders it for each row."""

    def __init__(self, node: Node):
        self.node = node


def _compile(nodelist, name: str) -> tuple:
    parts: list = []
    for node in nodelist:
        if isinstance(node, TextNode):
            parts.append(node.s)
        elif isinstance(node, DefinePartialNode):
            if node.inline:
                parts.extend(_compile(node.nodelist, name))
        elif isinstance(node, VariableNode):
            parts.append(_variable(node, name))
        elif isinstance(node, IfNode):
            parts.append(_if(node, name))
        else:
            parts.append(_ByDjango(node))
    return tuple(parts)


def _variable(node: VariableNode, name: str):
    expression = node.filter_expression
    _refuse_forloop(expression)
    if not _mentions(expression, name):
        return _Once(node)
    lookups = _row_lookups(expression, name)
    return _RowVariable(node, lookups) if lookups is not None else _ByDjango(node)


def _if(node: IfNode, name: str) -> _If:
    for test, _ in node.conditions_nodelists:
        _condition_mentions(test, name)  # refuses forloop
    return _If([(test, _compile(nodelist, name)) for test, nodelist in node.conditions_nodelists])


def _row_lookups(expression, name: str) -> tuple[str, ...] | None:
    """The attribute names after the loop variable in `{{ row.a.b }}` (no filters), else None."""
    var = expression.var
    if expression.filters or not isinstance(var, Variable) or not var.lookups:
        return None
    if var.lookups[0] != name or var.translate:
        return None
    return tuple(var.lookups[1:])


def _mentions(expression, name: str) -> bool:
    """Whether a FilterExpression reads the loop variable (or forloop), filters' arguments too."""
    variables = [expression.var] + [arg for _, args in expression.filters for _, arg in args]
    return any(
        isinstance(var, Variable) and var.lookups and var.lookups[0] in (name, "forloop")
        for var in variables
    )


def _refuse_forloop(expression) -> None:
    var = expression.var
    if isinstance(var, Variable) and var.lookups and var.lookups[0] == "forloop":
        raise template.TemplateSyntaxError("for_rows draws each row as it is drawn alone: "
                                           "there is no forloop")


def _condition_mentions(test, name: str) -> bool:
    if test is None:
        return False
    if isinstance(test, TemplateLiteral):
        _refuse_forloop(test.value)
        return _mentions(test.value, name)
    return any(
        _condition_mentions(getattr(test, side, None), name) for side in ("first", "second")
    )


def _bind(plan: tuple, context, name: str) -> list:
    """The plan for this table: what mentions no row rendered now, neighbouring text joined;
    each remaining step draws its part of one row."""
    steps: list = []
    for part in plan:
        step = _bind_part(part, context, name)
        for piece in step if isinstance(step, list) else [step]:
            if type(piece) is str and steps and type(steps[-1]) is str:
                steps[-1] += piece
            elif piece != "":
                steps.append(piece)
    return steps


def _bind_part(part, context, name: str):
    if type(part) is str:
        return part
    if isinstance(part, _Once):  # a plain str (not SafeString): steps are told apart by type
        return str.__str__(part.node.render_annotated(context))
    if isinstance(part, _RowVariable):
        return _draw_variable(part, context)
    if isinstance(part, _If):
        return _draw_if(part, context, name)
    return lambda row, node=part.node: str(node.render_annotated(context))


def _draw_variable(part: _RowVariable, context) -> Draw:
    lookups, node = part.lookups, part.node
    autoescape, numbers_plain = context.autoescape, context.use_l10n is False

    def draw(row) -> str:
        value = _read(row, lookups)
        kind = type(value)
        if kind is str:  # what conditional_escape gives, without its lazy-string check
            return escape(value) if autoescape else value
        if kind is int and numbers_plain:
            return str(value)
        if value is _UNREAD:
            return str(node.render_annotated(context))
        return render_value_in_context(value, context)

    return draw


def _evaluate(test, context) -> Any:
    try:
        return test.eval(context)
    except template.VariableDoesNotExist:
        return None


def _draw_if(part: _If, context, name: str) -> Draw | list:
    """The branches that can still be taken, tests that mention no row decided now."""
    branches = []
    for test, plan in part.branches:
        if test is not None and not _condition_mentions(test, name):
            if not _evaluate(test, context):
                continue
            test = None
        branches.append((_test(test, context, name), _bind(plan, context, name)))
        if test is None:
            break
    if not branches:
        return []
    if branches[0][0] is None:
        return branches[0][1]

    def draw(row) -> str:
        for test, steps in branches:
            if test is None or test(row):
                return "".join([s if type(s) is str else s(row) for s in steps])
        return ""

    return draw


def _test(test, context, name: str) -> Callable[[Any], Any] | None:
    if test is None:
        return None
    lookups = _row_lookups(test.value, name) if isinstance(test, TemplateLiteral) else None

    def by_django(row) -> Any:
        return _evaluate(test, context)

    if lookups is None:
        return by_django

    def direct(row) -> Any:
        value = _read(row, lookups)
        return by_django(row) if value is _UNREAD else value

    return direct


_UNREAD = object()  # no row attribute is this very object


def _read(value, lookups: tuple[str, ...]):
    """`value.a.b` as Django's lookup would find it, or _UNREAD where it might differ: Django
    tries `obj[name]` first (the same answer on TemplateLookups, an error on objects without
    `__getitem__`) and calls what is callable."""
    for name in lookups:
        if not isinstance(value, TemplateLookups) and hasattr(type(value), "__getitem__"):
            return _UNREAD
        try:
            value = getattr(value, name)
        except Exception:  # Django's resolution decides: silent, string_if_invalid or raised
            return _UNREAD
    return _UNREAD if callable(value) else value
