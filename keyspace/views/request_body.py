"""How large a form post may be, and what happens to one that is larger.

A browser sends a textarea with every line break as CR LF, percent-encoded (`%0D%0A`): a
stored LF costs six bytes on the wire, so a value of DASHBOARD_MAX_VALUE_BYTES can take six
times that in a body. `body_cap()` allows exactly that (plus room for the other fields), so
any value an edit form offers can be sent back unchanged; Django's own
DATA_UPLOAD_MAX_MEMORY_SIZE is set from the same formula in the settings.

Past the cap Django would answer a bare "Bad Request (400)". Instead, a larger url-encoded
body is read in pieces: small fields (the CSRF token, the key's type, ...) are kept, each
field over the cap is dropped and its size recorded in `request.POST.oversized`, so the form
says, next to that field, what was too large. Memory stays bounded whatever the body's size.
"""

from __future__ import annotations

from urllib.parse import quote_plus, unquote_plus

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from keyspace.display import human_bytes

# Room for everything in a form but its value (CSRF token, hidden fields, names).
POST_OVERHEAD = 64 * 1024
# The bytes one stored byte may take in a browser's url-encoded post (LF -> %0D%0A).
WIRE_BYTES_PER_BYTE = 6
CHUNK = 64 * 1024
URLENCODED = "application/x-www-form-urlencoded"


def body_cap() -> int:
    """The largest form post taken whole: room for the largest value as a browser sends it,
    or Django's DATA_UPLOAD_MAX_MEMORY_SIZE if a deployment set that lower."""
    cap = WIRE_BYTES_PER_BYTE * settings.DASHBOARD_MAX_VALUE_BYTES + POST_OVERHEAD
    django_cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return cap if django_cap is None else min(cap, django_cap)


def browser_form_size(text: str) -> int:
    """The bytes `text`, shown in a textarea, takes in the browser's url-encoded post."""
    return len(quote_plus(text.replace("\r\n", "\n").replace("\n", "\r\n")))


class OversizedFormMiddleware:
    """Before CSRF reads the form: a url-encoded POST over `body_cap()` is parsed field by
    field, keeping fields up to the cap and recording the size of the ones dropped."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _declared_length(request)
        if (
            request.method == "POST"
            and request.content_type == URLENCODED
            and length > body_cap()
        ):
            request._post, oversized = read_bounded(request, body_cap())
            request._post.oversized = oversized
            request._files = MultiValueDict()
        return self.get_response(request)


def read_bounded(stream, cap: int) -> tuple[QueryDict, dict[str, int]]:
    """The fields of a url-encoded body, each field larger than `cap` (as sent) replaced by
    an empty value and listed with its size."""
    fields = QueryDict(mutable=True)
    oversized: dict[str, int] = {}
    kept = 0
    most = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    for count, (raw, size) in enumerate(_pieces(stream, cap), start=1):
        if most is not None and count > most:
            raise TooManyFieldsSent("too many fields in this form")
        name, equals, value = raw.decode("utf-8", "replace").partition("=")
        size -= len(name.encode()) + len(equals)  # the value's size, as sent
        name = unquote_plus(name)
        if kept + size > cap:  # what is kept, all fields together, stays under the cap
            oversized[name] = size
            value = ""
        kept += len(value)
        fields.appendlist(name, unquote_plus(value))
    fields._mutable = False
    return fields, oversized


def _pieces(stream, cap: int):
    """(first cap + 1 bytes, total size) of each `&`-separated piece of the body."""
    pending, size = bytearray(), 0
    while chunk := stream.read(CHUNK):
        for index, part in enumerate(chunk.split(b"&")):
            if index:
                if size:
                    yield bytes(pending), size
                pending, size = bytearray(), 0
            size += len(part)
            if len(pending) <= cap:
                pending += part[: cap + 1 - len(pending)]
    if size:
        yield bytes(pending), size


def oversized_message(size: int) -> str:
    return (
        f"the browser sent {human_bytes(size)} ({size:,} bytes) for this field, more than the "
        f"{human_bytes(body_cap())} a form may send; values over "
        f"{human_bytes(settings.DASHBOARD_MAX_VALUE_BYTES)} cannot be written from the "
        "browser. Nothing was changed"
    )


def _declared_length(request) -> int:
    """The body's declared length; 0 when the header is missing or not a number (Django then
    reads the body as it would anyway)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0
