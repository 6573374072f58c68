"""The failover status the "failing over" page polls (keyspace/views/errors.py): it answers
204 (nothing to swap, poll again) while the failover lasts; once a primary takes writes, the
page it was polled from is loaded again, or, for a write cut off by the failover, the banner
says the failover is over and nothing was done."""

from __future__ import annotations

import redis
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.redis.cluster import is_cluster_client
from keyspace.redis.connection import current_sentinel, get_client, target_address
from keyspace.redis.sentinel import check_primary
from keyspace.views.errors import describe_error
from keyspace.views.rendering import wants_fragment


@dashboard_view(VIEW)
def failover_status(request, db: int):
    page = request.GET.get("next", "")
    if not (page.startswith("/") and url_has_allowed_host_and_scheme(
            page, allowed_hosts={request.get_host()})):
        page = ""
    try:
        client = get_client(db)
        if is_cluster_client(client):  # no one primary: the cluster answering is enough
            client.ping()
        else:
            check_primary(client)
    except redis.RedisError as exc:  # the failover still on: the poller asks again
        if wants_fragment(request) and (describe_error(exc) or (0,))[0] == 503:
            return HttpResponse(status=204)
        raise  # a page of its own (keyspace.views.decorators)
    if page:
        return HttpResponseClientRedirect(page) if wants_fragment(request) else redirect(page)
    found = current_sentinel()
    context = {"service": found.service if found else target_address(),
               "primary": found.primary if found else ""}
    return render(request, "keyspace/errors/_failover_over.html", context)
