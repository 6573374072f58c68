"""Live pub/sub: the channel list, subscribing (as a bookmarkable URL), the message stream
over Server-Sent Events, and publishing."""

from __future__ import annotations

import collections
import time
from html import escape  # what Django's escape does, without its lazy-string wrapper

from django import forms
from django.shortcuts import render
from django.template.loader import render_to_string

from keyspace.access.audit import audited, submit
from keyspace.access.permissions import EDIT, VIEW, dashboard_view, stream_viewer
from keyspace.conf import app_settings
from keyspace.display import human_bytes
from keyspace.exceptions import BadRequest
from keyspace.redis.cluster import is_cluster_client
from keyspace.redis.connection import get_client
from keyspace.redis.keynames import parse_escaped, to_escaped
from keyspace.services.editing.inputs import BytesValueField, EditForm, encoding_field
from keyspace.services.pubsub import slots
from keyspace.services.pubsub.live import (
    Batch,
    ShownMessage,
    Status,
    Subscription,
    channel_list,
    keyspace_notifications,
    present_all,
    publish,
    stream_messages,
)
from keyspace.services.pubsub.sse import FINAL_RETRY_MS, sse_comment, sse_event, sse_retry
from keyspace.views.live.streaming import event_stream
from keyspace.views.rendering import render_page

MAX_SUBSCRIPTIONS = 50
MAX_NAME_BYTES = 1024
HEARTBEAT_SECONDS = 15.0
STATS_SECONDS = 1.0  # while quiet, how often a changed rate is sent
TEMPLATE = "keyspace/pubsub.html"
RENDERED_KEPT = 4  # batches' rows and events kept for the other viewers of the same tick
_rendered: collections.OrderedDict[tuple, str] = collections.OrderedDict()  # rows' HTML
_batch_events: collections.OrderedDict[tuple, bytes] = collections.OrderedDict()  # SSE events


def parse_subscription(params) -> Subscription:
    channels = _names(params.getlist("channel"))
    patterns = _names(params.getlist("pattern"))
    shards = _names(params.getlist("shard"))
    if len(channels) + len(patterns) + len(shards) > MAX_SUBSCRIPTIONS:
        raise BadRequest(f"at most {MAX_SUBSCRIPTIONS} channels and patterns at once")
    return Subscription(channels=channels, patterns=patterns, shards=shards)


def _names(texts: list[str]) -> tuple[bytes, ...]:
    names = []
    for text in texts:
        name = parse_escaped(text)
        if len(name) > MAX_NAME_BYTES:
            raise BadRequest(f"a channel name or pattern is over {MAX_NAME_BYTES} bytes")
        if name.strip():
            names.append(name)
    return tuple(dict.fromkeys(names))


def _subscription_links(subscription: Subscription) -> list[dict]:
    """Each subscription with the query string that drops just that one."""
    items = [("channel", name) for name in subscription.channels]
    items += [("pattern", name) for name in subscription.patterns]
    items += [("shard", name) for name in subscription.shards]
    links = []
    for kind, name in items:
        others = [(k, to_escaped(n)) for k, n in items if (k, n) != (kind, name)]
        links.append({"kind": kind, "name": name, "without": others})
    return links


@dashboard_view(VIEW)
def pubsub_page(request, db: int):
    subscription = parse_subscription(request.GET)
    client = get_client(db)
    notify_flags, notify_unknown = keyspace_notifications(client)
    context = {
        "db": db,
        "tab": "pubsub",
        "subscription": subscription,
        "links": _subscription_links(subscription),
        "query": request.GET.urlencode(),
        "notify_flags": notify_flags,
        "notify_unknown": notify_unknown,
        "publish_form": PublishForm(in_cluster=is_cluster_client(client)),
        "in_cluster": is_cluster_client(client),
        "channel_filter": request.GET.get("filter", ""),
        "max_shown": app_settings.PUBSUB_MAX_SHOWN,
    }
    return render_page(request, TEMPLATE, context, fragment="live")


@dashboard_view(VIEW)
def pubsub_channels(request, db: int):
    text = request.GET.get("filter", "")[:MAX_NAME_BYTES]
    listing = channel_list(get_client(db), parse_escaped(text) if text else None)
    context = {"db": db, "listing": listing, "channel_filter": text}
    return render_page(request, TEMPLATE, context, fragment="channels")


class PublishForm(EditForm):
    byte_fields = ("message",)
    channel = forms.CharField(max_length=4 * MAX_NAME_BYTES, strip=False,
                              help_text="\\xNN escapes for bytes")
    message = BytesValueField(label="Message")
    message_encoding = encoding_field()

    sharded = forms.BooleanField(
        required=False, label="Sharded (SPUBLISH)",
        help_text="delivered by the primary serving the channel's slot to its SSUBSCRIBE "
                  "subscribers")

    def __init__(self, *args, in_cluster: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not in_cluster:
            del self.fields["sharded"]

    def clean_channel(self) -> bytes:
        channel = parse_escaped(self.cleaned_data["channel"])
        if not channel or len(channel) > MAX_NAME_BYTES:
            raise forms.ValidationError(f"a channel name is 1 to {MAX_NAME_BYTES} bytes")
        return channel


@dashboard_view(EDIT, audit_as="publish")
def pubsub_publish(request, db: int):
    in_cluster = is_cluster_client(get_client(db))
    form = PublishForm(request.POST if request.method == "POST" else None,
                       in_cluster=in_cluster)
    context = {"db": db, "publish_form": form}
    status = 200
    if form.is_bound:
        form.is_valid()
        channel = form.cleaned_data.get("channel")  # bytes when the name itself was valid
        with audited(request.user, db=db, operation="publish", key=channel) as trail:

            def run(data: dict) -> int:
                delivered = publish(get_client(db), data["channel"], data["message"],
                                    sharded_channel=bool(data.get("sharded")))
                trail["detail"] = f"{delivered} subscribers received it"
                return delivered

            submitted = submit(trail, form, run)
        status = submitted.status
        if submitted.value is not None:
            context |= {"delivered": submitted.value, "published_to": channel}
    if request.method == "POST":
        return render(request, f"{TEMPLATE}#publish", context, status=status)
    return render_page(request, TEMPLATE, context | {"tab": "pubsub"}, fragment="publish")


@dashboard_view(VIEW)
async def pubsub_stream(request, db: int):
    subscription = parse_subscription(request.GET)
    if not subscription:
        raise BadRequest("subscribe to at least one channel or pattern")
    return event_stream(_events(subscription, db, await stream_viewer(request)))


def _events(subscription: Subscription, db: int, viewer):
    return slots.held(viewer, _stream(subscription, db), lambda text: _status(text, "error"))


async def _stream(subscription: Subscription, db: int):
    totals = {"received": 0, "skipped": 0}
    shown_rate, stats_at = 0, time.monotonic()
    quiet_since = time.monotonic()
    messages = stream_messages(subscription, db, interval=app_settings.PUBSUB_INTERVAL,
                               max_batch=app_settings.PUBSUB_MAX_BATCH)
    async for item in messages:
        if isinstance(item, Status):
            if item.final:
                yield sse_retry(FINAL_RETRY_MS)
            yield _status(item.text, item.level)
            continue
        now = time.monotonic()
        if item.messages or item.skipped:
            yield _batch(item)
            totals["received"] += len(item.messages) + item.skipped
            totals["skipped"] += item.skipped
            quiet_since = now
        elif now - quiet_since > HEARTBEAT_SECONDS:
            yield sse_comment("heartbeat")
            quiet_since = now
        elif round(item.per_second) == shown_rate or now - stats_at < STATS_SECONDS:
            # Quiet, and the rate shown is still right (or was updated just now): nothing to
            # send, but the stream's lease is looked at on every tick (slots.held).
            yield b""
            continue
        # The rate comes with every batch and, while quiet, on a timer, so it falls to 0
        # within seconds of the last message.
        yield _stats(totals, item.per_second)
        shown_rate, stats_at = round(item.per_second), now


def _batch(batch: Batch) -> bytes:
    """The batch's SSE event, made once for every viewer handed the same batch: viewers of one
    subscription take on the same tick (feed.py), so ten viewers cost one rendering, one SSE
    framing and one encoding, and each only writes the same bytes to its own socket. (A viewer
    that joined late skips a different count: it shares the rows, not the event.)"""
    limit = app_settings.PUBSUB_PREVIEW_BYTES
    if not batch.messages:
        return sse_event(skipped_html(batch.skipped) if batch.skipped else "", "batch")
    key = (batch.source, batch.first_seq, len(batch.messages), limit)
    if (event := _batch_events.get((*key, batch.skipped))) is None:
        if (html := _rendered.get(key)) is None:
            html = _keep(_rendered, key, messages_html(present_all(reversed(batch.messages),
                                                                   limit)))
        if batch.skipped:
            html += skipped_html(batch.skipped)
        event = _keep(_batch_events, (*key, batch.skipped), sse_event(html, "batch"))
    return event


def _keep(cache: collections.OrderedDict, key: tuple, value):
    cache[key] = value
    while len(cache) > RENDERED_KEPT:
        cache.popitem(last=False)
    return value


def skipped_html(skipped: int) -> str:
    """The `batch` partial's skipped line (see messages_html)."""
    return (f'<li class="msg skipped">{skipped:,} message{"" if skipped == 1 else "s"} '
            "skipped in this flood (only the newest are shown)</li>")


def messages_html(shown: list[ShownMessage]) -> str:
    """The `batch` partial's message rows (pubsub.html, the reference: a test holds the two
    to the same output), formatted directly: under a flood a batch of 200 rows costs about
    a tenth of the template loop's time, and the event loop that reads Redis waits less."""
    rows = []
    for m in shown:
        pattern = cut = ""
        if m.pattern is not None:
            pattern = (' <span class="msg-pattern" title="matched pattern">via '
                       f"<code>{escape(m.pattern)}</code></span>")
        if m.cut:
            cut = f' <span class="cut">cut, {escape(human_bytes(m.size))} in all</span>'
        rows.append(f'<li class="msg msg-{escape(m.kind)}"><span class="msg-time">'
                    f'{escape(m.time)}</span> <code class="msg-channel">{escape(m.channel)}'
                    f'</code>{pattern}{cut}<pre class="msg-body">{escape(m.body)}</pre></li>')
    return "".join(rows)


def _stats(totals: dict, per_second: float) -> bytes:
    context = totals | {"per_second": per_second}
    return sse_event(render_to_string(f"{TEMPLATE}#stats", context), "stats")


def _status(text: str, level: str) -> bytes:
    context = {"status_text": text, "status_level": level, "at": time.time()}
    return sse_event(render_to_string(f"{TEMPLATE}#status", context), "status")
