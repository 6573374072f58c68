"""The audit log as people read it: the entries a user may see, filtered and paged, with the
offer to undo those whose copy is still kept (keyspace.access.audit writes them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.utils import timezone

from keyspace.access.permissions import EDIT, user_may, visible_connections
from keyspace.models import AuditEntry, UndoRecord
from keyspace.redis import profiles
from keyspace.services.connections import may_manage

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditPage:
    page: Page  # its entries carry `undo_token` where the user may undo them
    connections: list[str]  # what the connection filter offers
    operations: list[str]  # what the operation filter offers


def audit_page(user, query: dict) -> AuditPage:
    """The page `query` asks for (AuditFilterForm's fields). Only the connections this user
    may view: a user kept out of one never sees its keys. Who manages connections sees every
    entry, those of connections since removed or renamed too (their trail must stay; to
    anyone else they are retired, even once a connection is saved under the name again)."""
    visible = visible_connections(user)
    every = may_manage(user)
    if every:
        visible = sorted({*visible, *AuditEntry.objects.exclude(connection_name="")
                          .values_list("connection_name", flat=True).distinct()})
    page = Paginator(filtered_entries(query, None if every else visible),
                     PAGE_SIZE).get_page(query["page"] or 1)
    _offer_undo(user, page)
    return AuditPage(page, visible, _known_operations())


def filtered_entries(query: dict, visible: list[str] | None = None):
    """The entries matching `query`, of the connections in `visible` (None: all)."""
    entries = AuditEntry.objects.all()
    if visible is not None:
        # "" is the default connection's (entries made before connections had names).
        names = [*visible, ""] if profiles.default_name() in visible else visible
        entries = entries.filter(connection_name__in=names, connection_retired=False)
    if query.get("connection"):
        entries = entries.filter(connection_name=query["connection"])
    if query["user"]:
        entries = entries.filter(username=query["user"])
    if query["operation"]:
        entries = entries.filter(operation=query["operation"])
    if query["outcome"]:
        entries = entries.filter(outcome=query["outcome"])
    if query["key"]:
        entries = entries.filter(Q(key_text__contains=query["key"]) |
                                 Q(target_text__contains=query["key"]))
    return entries


def _offer_undo(user, page: Page) -> None:
    """Give each entry on this page whose copy is still kept its undo token, where the user
    may edit the copy's connection (an undo is refused elsewhere). The copy's, not the
    entry's: a renamed connection takes its copies along, while the log keeps the name the
    edit was made under."""
    page.object_list = entries = list(page.object_list)
    live = UndoRecord.objects.filter(audit__in=entries, expires__gte=timezone.now())
    copies = {audit_id: (token, name) for audit_id, token, name
              in live.values_list("audit_id", "token", "connection_name")}
    editable = _editable_connections(user, {name for _, name in copies.values()})
    for entry in entries:
        token, name = copies.get(entry.pk, (None, ""))
        if token and (name or profiles.default_name()) in editable:
            entry.undo_token = token


def _editable_connections(user, names: set[str]) -> set[str]:
    found = set()
    for name in {n or profiles.default_name() for n in names}:
        profile = profiles.lookup(name)
        if profile is None:
            continue
        with profiles.using(profile):
            if user_may(user, EDIT):
                found.add(name)
    return found


def _known_operations() -> list[str]:
    return list(AuditEntry.objects.order_by().values_list("operation", flat=True).distinct()[:200])
