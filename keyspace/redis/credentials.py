"""Passwords that expire: taken from a command or a provider hook, refreshed when Redis refuses
them.

DASHBOARD_REDIS_PASSWORD_COMMAND is run without a shell; the first line of its output is the
password (the user is the URL's). DASHBOARD_REDIS_CREDENTIAL_PROVIDER is the dotted path to a
redis-py `CredentialProvider` subclass (made once, with no arguments, and asked on every new
connection: it keeps or refreshes its own token) or to a callable returning the password or
(username, password).

What the command or callable gives is kept in this process until Redis refuses it: a new
connection whose AUTH fails (WRONGPASS, a token past its lifetime) forgets it, fetches it once
more and retries, on that same connection (`commands._Sync.on_connect_check_health`). Nothing
here ever puts a password into an exception, a log line or a page.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable

import redis
from redis.credentials import CredentialProvider

logger = logging.getLogger(__name__)

COMMAND_TIMEOUT_SECONDS = 30.0


class CredentialsUnavailable(redis.ConnectionError):
    """The command or provider gave no password; the message says why, never a secret. A
    connection error, so pages say Redis cannot be reached, and why."""


def parse_command(text: str) -> list[str]:
    """The command's words; ValueError (naming the setting) when it cannot be run."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"DASHBOARD_REDIS_PASSWORD_COMMAND cannot be split into words: "
                         f"{exc}") from None
    if not argv:
        raise ValueError("DASHBOARD_REDIS_PASSWORD_COMMAND is empty")
    if shutil.which(argv[0]) is None:
        raise ValueError(f"DASHBOARD_REDIS_PASSWORD_COMMAND: {argv[0]!r} is not an executable "
                         "file (nor found on PATH)")
    return argv


def load_provider(path: str) -> CredentialProvider | Callable:
    """The object DASHBOARD_REDIS_CREDENTIAL_PROVIDER names: a CredentialProvider instance (a
    class is instantiated with no arguments) or a callable; ValueError says what is wrong."""
    module_name, _, attribute = path.rpartition(".")
    if not module_name:
        raise ValueError(f"DASHBOARD_REDIS_CREDENTIAL_PROVIDER={path!r} is not a dotted path "
                         "(module.name)")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"DASHBOARD_REDIS_CREDENTIAL_PROVIDER={path!r} cannot be imported: "
                         f"{exc}") from None
    if isinstance(found, type) and issubclass(found, CredentialProvider):
        try:
            return found()
        except Exception as exc:  # noqa: BLE001 - any failure stops start-up, said
            raise ValueError(f"DASHBOARD_REDIS_CREDENTIAL_PROVIDER={path!r} could not be made "
                             f"with no arguments: {exc.__class__.__name__}") from None
    if isinstance(found, CredentialProvider) or callable(found):
        return found
    raise ValueError(f"DASHBOARD_REDIS_CREDENTIAL_PROVIDER={path!r} is neither a "
                     "CredentialProvider nor a callable")


def _as_credentials(value, username: str | None) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        if len(value) == 2 and all(isinstance(v, str) for v in value):
            return (value[0], value[1]) if value[0] else (value[1],)
        if len(value) == 1 and isinstance(value[0], str):
            value = value[0]
        else:
            raise CredentialsUnavailable("the credential provider returned neither a password "
                                         "nor (username, password)")
    if not isinstance(value, str) or not value:
        raise CredentialsUnavailable("the credential provider returned no password")
    return (username, value) if username else (value,)


# What a password command may print: a token is a few kilobytes at most (an AWS IAM auth
# token is about 1 KB). A command that goes on printing is stopped, not read whole.
MAX_OUTPUT_BYTES = 64 * 1024


# Once the command has exited, how long what it started may still hold its output open.
EXIT_GRACE_SECONDS = 0.5
PRINTED, WROTE_ERRORS = "printed", "wrote to its error output"


def _run_command(argv: list[str]) -> str:
    name = argv[0]
    try:
        # A session of its own: whatever it starts is stopped with it (`_stop`).
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise CredentialsUnavailable(f"the password command ({name}) could not be run: "
                                     f"{exc.strerror or exc.__class__.__name__}") from None
    try:
        kept, too_much = _bounded_output(process)
    finally:
        _stop(process)
    if too_much:
        raise CredentialsUnavailable(f"the password command ({name}) {too_much} more than "
                                     f"{MAX_OUTPUT_BYTES // 1024} KiB and was stopped")
    if process.returncode is None:
        raise CredentialsUnavailable(f"the password command ({name}) did not finish within "
                                     f"{COMMAND_TIMEOUT_SECONDS:g} s")
    if process.returncode != 0:
        # Its stderr may help, but may also echo secrets: the log gets its last line only,
        # the page only the status.
        tail = kept[WROTE_ERRORS].decode("utf-8", "replace").strip().splitlines()[-1:]
        logger.warning("the password command (%s) exited with status %s%s", name,
                       process.returncode, f": {tail[0][:200]}" if tail else "")
        raise CredentialsUnavailable(f"the password command ({name}) exited with status "
                                     f"{process.returncode}")
    lines = kept[PRINTED].decode("utf-8", "replace").splitlines()
    # The line's end only: a password may begin or end with a space.
    password = lines[0] if lines else ""
    if not password:
        raise CredentialsUnavailable(f"the password command ({name}) printed no password")
    return password


def _bounded_output(process: subprocess.Popen) -> tuple[dict[str, bytes], str]:
    """What the command printed and wrote to its error output, read as it comes for
    COMMAND_TIMEOUT_SECONDS at most, MAX_OUTPUT_BYTES of each at most (then "printed" or
    "wrote to its error output" is said as too much), and no longer than EXIT_GRACE_SECONDS
    after it exits (something it started may hold its output open). `process.returncode`
    is None after when it was still running."""
    labels = {process.stdout: PRINTED, process.stderr: WROTE_ERRORS}
    kept = {label: bytearray() for label in labels.values()}
    deadline = time.monotonic() + COMMAND_TIMEOUT_SECONDS
    exited_at = None
    with selectors.DefaultSelector() as selector:
        for stream in labels:
            selector.register(stream, selectors.EVENT_READ)
        while selector.get_map():
            now = time.monotonic()
            if exited_at is None and process.poll() is not None:
                exited_at = now
            if now >= deadline or (exited_at is not None
                                   and now - exited_at > EXIT_GRACE_SECONDS):
                break
            for ready, _ in selector.select(timeout=min(0.05, deadline - now)):
                chunk = os.read(ready.fd, 65536)
                if not chunk:
                    selector.unregister(ready.fileobj)
                    continue
                label = labels[ready.fileobj]
                kept[label] += chunk
                if len(kept[label]) > MAX_OUTPUT_BYTES:
                    return {k: bytes(v) for k, v in kept.items()}, label
        ended = not selector.get_map()
    if ended:  # both outputs closed: its exit follows at once, or within the time left
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    process.poll()
    return {k: bytes(v) for k, v in kept.items()}, ""


def _stop(process: subprocess.Popen) -> None:
    """Stop the command's session (it, and anything it started that still runs), close its
    pipes and reap it; its exit status stays as it was read (None: it was still running)."""
    status = process.returncode
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    for stream in (process.stdout, process.stderr):
        stream.close()
    process.wait()
    process.returncode = status


class RefreshingCredentials(CredentialProvider):
    """The credentials of every connection of one pool: fetched on first use, kept until
    Redis refuses them (`refused`), then fetched again. Thread-safe; a refusal seen by several
    connections at once fetches once."""

    def __init__(self, fetch: Callable[[], tuple[str, ...]], *, keep: bool = True):
        self._fetch = fetch
        self._keep = keep  # False: a CredentialProvider that keeps its own token
        self._lock = threading.Lock()
        self._value: tuple[str, ...] | None = None
        self.generation = 0  # bumped on every fetch

    def get_credentials(self) -> tuple[str, ...]:
        with self._lock:
            if self._value is None or not self._keep:
                self._value = self._fetch()
                self.generation += 1
            return self._value

    async def get_credentials_async(self) -> tuple[str, ...]:
        return await asyncio.to_thread(self.get_credentials)

    def fetched(self) -> int:
        """Fetch if nothing is kept; the number of the fetch a connection will now use."""
        with self._lock:
            if self._value is None:
                self._value = self._fetch()
                self.generation += 1
            return self.generation

    async def fetched_async(self) -> int:
        return await asyncio.to_thread(self.fetched)

    def refused(self, generation: int) -> None:
        """Redis refused what fetch number `generation` gave: fetch anew next time (unless a
        newer fetch has already happened)."""
        with self._lock:
            if self.generation == generation:
                self._value = None


_shared: dict[tuple, RefreshingCredentials] = {}
_shared_lock = threading.Lock()


def provider_for(username: str | None) -> RefreshingCredentials | None:
    """The credentials from the settings, or None when the URL's password is used; one per
    setting and user, shared by every pool (each db, sync and async), so a refusal refreshes
    once. `username` is the URL's (redis://user@host), used with a command's password."""
    from keyspace.redis.profiles import current

    profile = current()
    key = (profile.password_command, profile.credential_provider, username)
    if not (key[0] or key[1]):
        return None
    with _shared_lock:
        if key not in _shared:
            _shared[key] = _make(key[0], key[1], username)
        return _shared[key]


def forget() -> None:
    """Drop every kept credential (tests; a changed setting)."""
    with _shared_lock:
        _shared.clear()


def _make(command: str, hook: str, username: str | None) -> RefreshingCredentials | None:
    if command:
        argv = parse_command(command)
        return RefreshingCredentials(lambda: _as_credentials(_run_command(argv), username))
    if hook:
        found = load_provider(hook)
        if isinstance(found, CredentialProvider):
            def ask() -> tuple[str, ...]:
                try:
                    return tuple(found.get_credentials())
                except Exception as exc:  # noqa: BLE001 - said plainly, never raised raw
                    raise CredentialsUnavailable(f"the credential provider failed: "
                                                 f"{exc.__class__.__name__}") from None
            return RefreshingCredentials(ask, keep=False)

        def call() -> tuple[str, ...]:
            try:
                value = found()
            except Exception as exc:  # noqa: BLE001
                raise CredentialsUnavailable(f"the credential provider failed: "
                                             f"{exc.__class__.__name__}") from None
            return _as_credentials(value, username)
        return RefreshingCredentials(call)
    return None
