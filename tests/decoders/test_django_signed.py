"""Django's signed data: the payload shown, signed and compressed said, no SECRET_KEY needed."""

from __future__ import annotations

import json

from django.contrib.sessions.backends.db import SessionStore
from django.core import signing

from keyspace.decoders import registry
from tests.decoders.helpers import facts

SIGNED = registry.get("django-signed")


def test_signing_dumps_uncompressed():
    data = signing.dumps({"user_id": 5, "name": "<b>x</b>"}).encode()
    result = registry.decode_auto(data)
    assert result.decoder == "django-signed"
    assert facts(result)["Compressed"] == "no"
    assert facts(result)["Signature"] == "present, not checked (checking needs the SECRET_KEY)"
    assert facts(result)["Signed at"].endswith(" UTC")
    assert json.loads(result.inner.text) == {"user_id": 5, "name": "<b>x</b>"}


def test_session_data_is_compressed_and_shown(settings):
    data = SessionStore().encode({"_auth_user_id": "1", "cart": ["a"] * 50}).encode()
    assert data.startswith(b".")  # Django compressed it
    settings.SECRET_KEY = "another key entirely"  # displaying needs no key
    result = SIGNED.decode(data)
    assert facts(result)["Compressed"] == "yes (zlib)"
    assert json.loads(result.inner.text)["cart"] == ["a"] * 50


def test_without_a_timestamp():
    data = signing.Signer().sign_object({"a": 1}).encode()
    result = SIGNED.decode(data)
    assert result.ok and "Signed at" not in facts(result)


def test_ordinary_colon_text_is_not_signed_data():
    assert SIGNED.detect(b"user:123:abcdefghijklmnopqrstuvwxyz0123456789") == 0
    assert SIGNED.detect(signing.Signer().sign("plain").encode()) == 0
    assert SIGNED.decode(b"no colons").message == (
        "not Django signed data: not in the payload:timestamp:signature shape"
    )
