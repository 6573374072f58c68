"""What the edit pipeline and the tools read around an edit: the edit a request names, the
parts of the page a done edit redraws, and the results of a read-only tool."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import Http404

from keyspace.conf import app_settings
from keyspace.exceptions import KeyNotFound
from keyspace.redis.connection import get_client
from keyspace.services.browse import KeyDetail, key_detail
from keyspace.services.editing.guard import ROW, VALUE, Conflict, Operation, Redraw, Refused, Tool
from keyspace.services.editing.key_operations import KEY_OPERATIONS
from keyspace.units import PageRequest, TypeUnit, registry


@dataclass(frozen=True)
class Edit:
    """What an edit runs: an operation from the allow-lists of the key's unit, and the key as
    found (`detail` None: the key is gone, and the operation may create it)."""

    unit: TypeUnit
    operation: Operation
    detail: KeyDetail | None


def find_edit(client, key: bytes, action: str, seen_type: str = "") -> Edit:
    """The edit `action` names on `key`, whose form was drawn for a key of `seen_type` ("": not
    known). KeyNotFound when the key is gone (unless that operation may create it), Conflict
    when it is now of another type, Http404 when its unit has no such operation."""
    try:
        detail = key_detail(client, key)
    except KeyNotFound:
        operation = _creating_operation(seen_type, action)
        if operation is None:
            raise
        return Edit(registry.unit_for(seen_type), operation, None)
    if seen_type and seen_type != detail.type_name:
        raise Conflict(
            f"the key is now a {detail.unit.label.lower()}, not the {seen_type} this form "
            "was drawn for; nothing was written. Open the key again."
        )
    operation = detail.unit.operations.get(action) or KEY_OPERATIONS.get(action)
    if operation is None:
        raise Http404(f"{detail.unit.label} keys have no operation {action!r}")
    return Edit(detail.unit, operation, detail)


def _creating_operation(type_name: str, action: str) -> Operation | None:
    if type_name not in registry.type_names():
        return None
    operation = registry.unit_for(type_name).operations.get(action)
    return operation if operation is not None and operation.may_create else None


@dataclass(frozen=True)
class Redrawn:
    """What the redraw of a done edit shows: the key as it is now (with its first page when the
    value is redrawn) and the changed row (None when the edit removed it)."""

    detail: KeyDetail
    row: Any = None


def read_redraw(*, db: int, key: bytes, unit: TypeUnit, redraw: Redraw) -> Redrawn:
    """One read of the key serves its metadata and (for a value redraw) its first page.
    KeyNotFound when the key is gone already (e.g. after a TTL of a millisecond)."""
    client = get_client(db)
    page_request = (
        PageRequest(count=app_settings.PAGE_SIZE, order=unit.default_order)
        if redraw.changed == VALUE else None
    )
    detail = key_detail(client, key, page_request)
    row = unit.read_row(client, key, redraw.row_id) if redraw.changed == ROW else None
    return Redrawn(detail, row)


@dataclass(frozen=True)
class ToolRun:
    """A read-only tool's form and, once submitted and valid, its results (context for its
    result template) or why it could not run."""

    unit: TypeUnit
    tool: Tool
    detail: KeyDetail
    form: forms.Form
    results: dict = field(default_factory=dict)
    problem: Refused | None = None


def run_tool(*, db: int, key: bytes, action: str, params: Mapping[str, Any]) -> ToolRun:
    """The tool `action` on `key`: its form, and its results once submitted (`run` in
    `params`)."""
    client = get_client(db)
    detail = key_detail(client, key)
    tool = detail.unit.tools.get(action)
    if tool is None:
        raise Http404(f"{detail.unit.label} keys have no tool {action!r}")
    form = tool.form_class(params if "run" in params else None)
    shown = ToolRun(detail.unit, tool, detail, form)
    if not (form.is_bound and form.is_valid()):
        return shown
    try:
        return ToolRun(detail.unit, tool, detail, form, tool.run(client, key, form.cleaned_data))
    except Refused as problem:
        return ToolRun(detail.unit, tool, detail, form, problem=problem)
