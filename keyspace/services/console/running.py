"""Run one console command line for a user: split it, ask Redis what the command is, check it
against the user's role, the size guard and (for dangerous commands an administrator allowed)
a confirmation, then run it on a connection of its own and lay out the reply. Every line that
names a command is in the audit log: the command and its first key, never the values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import redis

from keyspace.access import audit, confirmations
from keyspace.access.permissions import EDIT, VIEW, user_may
from keyspace.conf import app_settings
from keyspace.display import bytes_to_text
from keyspace.exceptions import BadRequest
from keyspace.models import AuditEntry
from keyspace.redis import profiles
from keyspace.redis.capabilities import limited_keys
from keyspace.redis.cluster import is_cluster_client, pool_for_command
from keyspace.redis.connection import get_client
from keyspace.services.console import commands, sizes
from keyspace.services.console.parsing import split_command
from keyspace.services.console.reading import ReplyTooLong, read_reply
from keyspace.services.console.replies import Line, lay_out

CONFIRM_ACTION = "console"


@dataclass
class Outcome:
    """What the transcript shows for one line."""

    line: str
    status: int = 200
    lines: list[Line] = field(default_factory=list)
    cut: bool = False
    refusal: str = ""
    # Set when the command may run once confirmed: the token the confirming form carries.
    confirmation: str = ""


# Commands that name keys without being given them (KEYS is refused to everyone).
KEY_LISTING = frozenset({"scan", "randomkey"})


def run_line(user, db: int, line: str, *, confirmation: str = "",
             typed_connection: str = "") -> Outcome:
    outcome = Outcome(line=line)
    try:
        args = split_command(line)
        conn = _connection(db, args)
    except BadRequest as exc:
        return _refused(outcome, 422, exc.message)
    try:
        conn.connect()
        return _checked_run(user, db, conn, args, outcome, (confirmation, typed_connection))
    finally:
        conn.disconnect()


def _connection(db: int, args: list[bytes]):
    client = get_client(db)
    # In a cluster: the pool of the primary holding the command's keys.
    pool = pool_for_command(client, args) if is_cluster_client(client) else client.connection_pool
    return pool.connection_class(**pool.connection_kwargs)


def _checked_run(user, db, conn, args, outcome, confirmation) -> Outcome:
    shown = args[0].decode("utf-8", "replace")[:60]
    try:
        # Cached per connection: what a command is may differ between ACL users of one server.
        info = commands.command_info(conn, profiles.current().connect_url, args)
    except redis.ResponseError as exc:
        _audit(user, {"db": db, "operation": "console", "key": None}, AuditEntry.REFUSED,
               "COMMAND INFO refused")
        return _refused(outcome, 403, "the console needs COMMAND INFO to know what a command "
                                      f"does, and this Redis refused it ({exc}); nothing runs")
    verdict = commands.classify(info, shown)
    name = info.name if info else shown.lower()
    keys = sizes.command_keys(conn, args) if verdict.kind != commands.REFUSED else []
    trail = {"db": db, "operation": f"console {name}"[:60], "key": keys[0] if keys else None,
             "detail": f"{len(keys)} keys" if len(keys) > 1 else ""}
    problem = _problem(user, db, conn, info, verdict, args, keys, outcome.line, confirmation)
    if problem is not None:
        status, text, token = problem
        outcome.confirmation = token
        _audit(user, trail, AuditEntry.REFUSED, text)
        return _refused(outcome, status, text)
    conn.send_command(*args)
    try:
        reply = read_reply(conn, app_settings.CONSOLE_MAX_REPLY_BYTES)
    except ReplyTooLong as exc:
        _audit(user, trail, AuditEntry.OK, "reply cut")
        return _refused(outcome, 200, f"{exc}: the console stopped reading it")
    except (redis.RedisError, OSError) as exc:
        _audit(user, trail, AuditEntry.FAILED, exc.__class__.__name__)
        raise
    _audit(user, trail, AuditEntry.FAILED if isinstance(reply, Exception) else AuditEntry.OK,
           "error reply" if isinstance(reply, Exception) else trail["detail"])
    outcome.lines, outcome.cut = lay_out(reply)
    return outcome


def _problem(user, db, conn, info, verdict, args, keys, line, confirmation):
    """Why this command may not run now, as (status, message, confirmation token), or None."""
    if verdict.kind == commands.REFUSED:
        return 403, verdict.reason, ""
    needed = VIEW if verdict.kind == commands.READ else EDIT
    if not user_may(user, needed):
        what = "only commands Redis flags read-only" if user_may(user, VIEW) else "no commands"
        return 403, f"you may run {what} here", ""
    if verdict.kind == commands.DANGEROUS and info.name not in commands.allowed_dangerous():
        return 403, (f"{verdict.reason}: refused unless an administrator lists it in "
                     "DASHBOARD_CONSOLE_ALLOW"), ""
    if info is not None and info.name in KEY_LISTING and limited_keys():
        # Redis lets such a user list every name; the dashboard shows it only its own.
        return 403, (f"{info.name.upper()} names keys your Redis user's ACL key patterns "
                     "leave out; the key list shows the ones you may read"), ""
    if len(keys) > app_settings.CONSOLE_MAX_KEYS_CHECKED:
        return 403, (f"this command names {len(keys):,} keys; the console checks the size of "
                     f"at most {app_settings.CONSOLE_MAX_KEYS_CHECKED:,}"), ""
    count = sizes.count_too_big(info, args)
    if count is not None:
        return 403, (f"{info.name.upper()} with a count of {count:,} asks Redis for more than "
                     f"the console's {app_settings.CONSOLE_MAX_ELEMENTS:,} elements; use the "
                     "key's page, which reads it in pages"), ""
    if (pattern := sizes.sort_reads_other_keys(info, args)) is not None:
        return 403, (f"{info.name.upper()} … GET {bytes_to_text(pattern)[:60]} reads another "
                     "key for each element, of a size the console cannot check first; it "
                     "runs SORT with GET # only (the elements themselves)"), ""
    big = sizes.too_big(conn, info, keys, sizes.sort_work(info, args))
    if big is not None:
        each = (f", with {big.work - 1:,} look-ups for each (BY, GET)," if big.work > 1
                else "")
        return 403, (f"{info.name.upper()} on a key of {big.size:,} {big.unit}{each} is more "
                     "than one request may ask of Redis; use the key's page, which reads it in "
                     "pages"), ""
    if verdict.kind == commands.DANGEROUS:
        return _unconfirmed(user, db, line, confirmation)
    return None


def _unconfirmed(user, db, line, confirmed: tuple[str, str]):
    """(status, message, token) unless `confirmed` (the token, the connection's name typed:
    needed on production, checked first so a mistyped name spends no token) lets it run."""
    confirmation, typed = confirmed
    what = hashlib.sha256(line.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    if confirmation and not confirmations.typed_connection_matches(typed):
        return 428, confirmations.CONNECTION_NOT_TYPED, confirmation
    if confirmation:
        try:
            confirmations.check(user, db, b"", CONFIRM_ACTION, confirmation, what)
            return None
        except confirmations.ConfirmationRequired as exc:
            message = exc.message
    else:
        message = "this command can take down, block or wipe the server: confirm to run it"
    return 428, message, confirmations.issue(user, db, b"", CONFIRM_ACTION, what)


def _refused(outcome: Outcome, status: int, text: str) -> Outcome:
    outcome.status = status
    outcome.refusal = text
    return outcome


def _audit(user, trail: dict, outcome: str, detail: str) -> None:
    audit.record(user, db=trail["db"], operation=trail["operation"], key=trail["key"],
                 outcome=outcome, detail=detail)
