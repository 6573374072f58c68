"""What Redis says about a command, and what that means for who may run it in the console.

Everything comes from the server: `COMMAND INFO` (flags such as `readonly`, `write`, `admin`,
`blocking`; ACL categories such as `@dangerous`) and, where the server has it, `COMMAND DOCS`
(the documented complexity). A command the server does not know (renamed away, as managed
services do, or disabled) is refused as such. Replies are cached per server for a while: they
change only when Redis is upgraded or a module is loaded.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from keyspace.conf import app_settings

CACHE_SECONDS = 600.0

# Commands that change the state of the connection they run on. The console runs each command
# on a connection of its own, so these could only mislead (a MULTI that nothing follows, a
# SELECT that the next command does not see); pub/sub and MONITOR have their own tab.
# Commands that wait (WAIT for replicas, WAITAOF for the disk: with a timeout of 0, for ever
# on a server with none) though Redis does not flag them `blocking`.
WAITING_COMMANDS = frozenset({"wait", "waitaof"})
SESSION_COMMANDS = frozenset({
    "select", "auth", "hello", "reset", "quit", "multi", "exec", "discard", "watch", "unwatch",
    "monitor", "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
    "sunsubscribe", "readonly", "readwrite", "asking", "client|reply", "client|tracking",
    "client|caching", "client|setname", "client|setinfo", "client|no-touch", "client|no-evict",
})

# One call of these costs O(1) (their cursor bounds the work), whatever the key's size.
CURSOR_COMMANDS = frozenset({"scan", "sscan", "hscan", "zscan"})

READ, WRITE, DANGEROUS, REFUSED = "read", "write", "dangerous", "refused"


@dataclass(frozen=True)
class CommandInfo:
    name: str  # lower case, "container|sub" for a subcommand
    flags: frozenset[str]
    categories: frozenset[str]
    complexity: str = ""

    @property
    def scales_with_key_size(self) -> bool:
        """Whether the documented cost grows with the size of the keys it touches: the first
        O(...) term mentions N outside a log(N). Without documented complexity (servers before
        7.0 have no COMMAND DOCS) Redis's `fast` flag (O(1) or O(log N)) says it does not
        grow, nor do the SCAN family's calls (documented "O(1) for every call" from 7.0 on);
        anything else counts as growing."""
        match = re.search(r"O\(([^ ]*)\)", self.complexity)
        if not match:
            return "fast" not in self.flags and self.name not in CURSOR_COMMANDS
        term = match.group(1).replace("log(N)", "")
        return bool(re.search(r"\bN\b", term))


@dataclass(frozen=True)
class Verdict:
    kind: str  # READ, WRITE, DANGEROUS or REFUSED
    reason: str = ""


def classify(info: CommandInfo | None, shown_name: str) -> Verdict:
    """What running this command needs. Rules, in order: unknown to the server; changes the
    connection; blocks it; can take down or block the server (Redis's own `@dangerous`
    category with a write or a keyspace-wide effect, `admin` commands, and scripts, read-only
    ones too, which would otherwise carry commands past these rules); read-only by its
    `readonly` flag; everything else writes."""
    if info is None:
        return Verdict(REFUSED, f"this Redis does not know {shown_name.upper()} (it may be "
                                "renamed or disabled on this server)")
    if info.name in SESSION_COMMANDS or "@transaction" in info.categories:
        return Verdict(REFUSED, f"{shown_name.upper()} changes the connection it runs on, and "
                                "each console command runs on a connection of its own")
    if "blocking" in info.flags or info.name in WAITING_COMMANDS:
        return Verdict(REFUSED, f"{shown_name.upper()} can block; read streams on their key "
                                "page and channels on the Pub/sub tab")
    if _dangerous(info):
        return Verdict(DANGEROUS, f"{shown_name.upper()} can take down, block or wipe a server")
    if "readonly" in info.flags:
        return Verdict(READ)
    return Verdict(WRITE)


def _dangerous(info: CommandInfo) -> bool:
    if "admin" in info.flags or "@admin" in info.categories:
        return True
    if "@scripting" in info.categories:
        # Read-only scripts too (EVAL_RO, EVALSHA_RO, FCALL_RO): Redis stops them writing, but
        # inside one any read runs unchecked (KEYS, a whole collection of any size), and a
        # loop holds the server until SCRIPT KILL (every other client is answered BUSY).
        return True
    return "@dangerous" in info.categories and (
        "write" in info.flags or "@keyspace" in info.categories
    )


def allowed_dangerous() -> frozenset[str]:
    """The dangerous commands an administrator allowed in settings (names, lower case)."""
    text = app_settings.CONSOLE_ALLOW.replace(",", " ").lower()
    return frozenset(text.split())


_cache: dict[tuple[str, str], tuple[float, CommandInfo | None]] = {}
_cache_lock = threading.Lock()


def command_info(conn, server: str, args: list[bytes]) -> CommandInfo | None:
    """The command `args` runs (its subcommand, for containers such as CONFIG), asked of the
    server over `conn` (a raw connection) and cached per server address."""
    name = args[0].decode("utf-8", "replace").lower()
    info = _cached(conn, server, name)
    if info is not None and len(args) > 1 and info.flags == frozenset({"__container__"}):
        sub = args[1].decode("utf-8", "replace").lower()
        return _cached(conn, server, f"{name}|{sub}")
    return info


def _cached(conn, server: str, name: str) -> CommandInfo | None:
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get((server, name))
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    info = _ask(conn, name)
    with _cache_lock:
        _cache[(server, name)] = (now, info)
    return info


def _ask(conn, name: str) -> CommandInfo | None:
    conn.send_command("COMMAND", "INFO", name)
    reply = conn.read_response(disable_decoding=True)
    entry = reply[0] if reply else None
    if not entry:
        return None
    flags = frozenset(_text(flag) for flag in entry[2])
    categories = frozenset(_text(c) for c in entry[6]) if len(entry) > 6 else frozenset()
    if len(entry) > 9 and entry[9] and "|" not in name:
        # A container (CONFIG, CLIENT, ...): what it may do is its subcommands'.
        flags = frozenset({"__container__"})
    return CommandInfo(name, flags, categories, _complexity(conn, name))


def _complexity(conn, name: str) -> str:
    """The documented complexity, or "" where the server has no COMMAND DOCS (before 7.0)."""
    conn.send_command("COMMAND", "DOCS", name)
    try:
        reply = conn.read_response(disable_decoding=True)
    except Exception:  # noqa: BLE001 - an older server: unknown complexity is handled as growing
        return ""
    if not reply or len(reply) < 2:
        return ""
    doc = reply[1]
    fields = dict(zip(doc[::2], doc[1::2], strict=False)) if isinstance(doc, list) else {}
    return _text(fields.get(b"complexity", b""))


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
