"""CONFIG parameters a test changes on the session's Redis, put back as they were after."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def config_restored(client, *names: str):
    """Keep the values of the CONFIG parameters `names` of the server `client` talks to, and
    set them back when the block ends."""
    before = {name: client.config_get(name)[name] for name in names}
    try:
        yield
    finally:
        for name, value in before.items():
            client.config_set(name, value)
