"""The key page's toolbar, from what the key's unit declares and the key's own operations."""

from __future__ import annotations

from django import template

from keyspace.services.editing.key_operations import key_toolbar as key_entries
from keyspace.templatetags.keyspace_page import may_edit

register = template.Library()


@register.simple_tag(takes_context=True)
def key_toolbar(context) -> dict:
    """{"own": the type's entries, "key": the key's own}, leaving out edits for people who
    may not edit. Reads `db`, `key`, `detail` and `user` from the page's context."""
    db, key, detail = context["db"], context["key"], context["detail"]
    can_edit = may_edit(context.get("user"))
    own = [entry for entry in detail.unit.toolbar(db, key, detail) if can_edit or not entry.edits]
    return {"own": own, "key": key_entries(db, key, detail) if can_edit else []}
