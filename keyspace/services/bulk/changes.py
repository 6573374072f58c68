"""What a bulk job does to each batch of matched keys, and the undo copies it keeps.

A change limited to one type writes only the keys still of that type, checked under WATCH
(`Change._watched_batch`): SCAN named them moments before, and another writer may have put a
key of another type under the name since. A batch that keeps undo copies checks its keys'
sizes under the same WATCH, so the copies it takes are of the keys it measured: a key made
huge after the check aborts the transaction, and the next look sees its size.

Each batch (at most BATCH keys) is one transaction: the change itself and, while the job
still may keep copies for undo, each key's DUMP and PTTL before and after it (the same copies
an edit keeps, `keyspace.services.undo`). In a Redis Cluster a transaction holds one slot's
keys, so while copies are kept a batch is one transaction per slot, on the primary serving it;
without copies each primary's keys go in one pipeline (each command changes one key, so the
transaction added nothing). Copies stop, and the job says why, as soon as a key
is too large to copy or the job has changed more keys, or copied more bytes, than undo keeps.
"""

from __future__ import annotations

import redis

from keyspace.conf import app_settings
from keyspace.redis import per_primary
from keyspace.redis.capabilities import key_refused, refusal_kind
from keyspace.redis.cluster import is_cluster_client
from keyspace.services.editing import guard
from keyspace.services.undo.capture import MAX_ELEMENTS, Capture
from keyspace.units import registry

BATCH = 500


# How often a watched batch looks again when its keys change between its check and its write.
WATCH_ATTEMPTS = 3


class Change:
    label = ""

    def __init__(self, *, keep_undo: bool, type_name: str | None = None):
        self.type_name = type_name  # the selection's type: only keys still of it are changed
        self.kept: list = []
        self.kept_bytes = 0
        self.changed = 0  # so far, over every batch (a pass that fails midway says it)
        self.undo_note = "" if keep_undo else (
            f"no undo: more than {app_settings.BULK_UNDO_MAX_KEYS:,} keys")

    @property
    def keeping(self) -> bool:
        return not self.undo_note

    def apply(self, client: redis.Redis, keys: list[bytes]) -> int:
        """Change `keys`; how many Redis says it changed."""
        if is_cluster_client(client):
            return self._apply_in_cluster(client, keys)
        return sum(self._batch(client, keys[i : i + BATCH]) for i in range(0, len(keys), BATCH))

    def _apply_in_cluster(self, client, keys: list[bytes]) -> int:
        done = 0
        for node, node_keys in per_primary.by_node(client, keys):
            for i in range(0, len(node_keys), BATCH):
                batch = node_keys[i : i + BATCH]
                if not self.keeping and not self.type_name:
                    done += self._batch(node, batch, transaction=False)
                    continue
                for slot_node, slot_keys in per_primary.by_slot(client, batch):
                    done += self._batch(slot_node, slot_keys)
        return done

    def queue(self, pipe, keys: list[bytes]) -> None:
        raise NotImplementedError

    def counted(self, replies: list) -> int:
        return sum(int(reply) for reply in replies)

    def _batch(self, client, keys: list[bytes], *, transaction: bool = True) -> int:
        if self.type_name or self.keeping:
            return self._watched_batch(client, keys)
        return self._write(client, keys, client.pipeline(transaction=transaction))

    def _watched_batch(self, client, keys: list[bytes]) -> int:
        """The batch under WATCH: what is checked before the write holds at EXEC, or the
        batch looks again. A typed change keeps only the keys still of the selection's type
        (the scan named them moments ago, and another writer may have replaced one since by a
        key of another type, which the selection no longer holds); their types are read on
        another connection after the WATCH (one round trip). A batch keeping undo copies
        checks their sizes there too (`_write`). Keys that keep changing: a typed batch
        gives up, saying so; an untyped one goes on without undo copies."""
        for _ in range(WATCH_ATTEMPTS):
            with client.pipeline(transaction=True) as pipe:
                pipe.watch(*keys)
                kept = self._of_type(client, keys) if self.type_name else keys
                if not kept:
                    return 0
                try:
                    pipe.multi()
                    return self._write(client, kept, pipe)
                except redis.WatchError:
                    continue
        if self.type_name:
            raise redis.WatchError(f"the keys of a batch kept changing while it was checked "
                                   f"({WATCH_ATTEMPTS} tries); nothing of that batch was "
                                   "changed")
        self._stop("no undo: keys kept changing while their sizes were checked")
        return self._write(client, keys, client.pipeline(transaction=True))

    def _of_type(self, client, keys: list[bytes]) -> list[bytes]:
        kinds = client.pipeline(transaction=False)
        for key in keys:
            kinds.type(key)
        return [key for key, kind in zip(keys, kinds.execute(), strict=True)
                if kind.decode("ascii", "replace") == self.type_name]

    def _write(self, client, keys: list[bytes], pipe) -> int:
        """The change of `keys` through `pipe` (a transaction, under WATCH when it is checked
        first, or a pipeline on a cluster without copies), with undo's copies while they are
        kept."""
        if self.keeping:
            self._check_sizes(client, keys)
        if guard.before_write is not None and pipe.watching:  # tests write in this window
            guard.before_write(client, keys)
        keeping = self.keeping
        if keeping:
            Capture.queue_before(pipe, keys)
        self.queue(pipe, keys)
        if keeping:
            Capture.queue_after(pipe, keys)
        try:
            results = pipe.execute()
        except redis.ResponseError as exc:
            if not keeping or refusal_kind(exc) is None or key_refused(exc):
                raise
            return self._without_copies(client, keys, pipe.transaction, exc)
        if not keeping:
            return self._count(self.counted(results))
        capture = Capture()
        replies = capture.take(results, keys)
        self._keep(capture.keys)
        return self._count(self.counted(replies))

    def _without_copies(self, client, keys: list[bytes], transaction: bool,
                        refusal: redis.ResponseError) -> int:
        """The batch again without undo copies, after Redis refused a command of the
        transaction (which then did nothing). When it was a copying one (TIME, DUMP: a user
        that may write but not run them) the change goes on without undo, as an edit does.
        When the change's own command is refused too, that refusal is the one raised (the
        copying one only came first), undo kept as it was."""
        before = self.undo_note, self.kept, self.kept_bytes
        self._stop(f"no undo: Redis refused to copy the keys ({refusal})")
        try:
            return self._batch(client, keys, transaction=transaction)
        except redis.ResponseError:
            self.undo_note, self.kept, self.kept_bytes = before
            raise

    def _count(self, changed: int) -> int:
        self.changed += changed
        return changed

    def _keep(self, copies: list) -> None:
        self.kept.extend(copies)
        self.kept_bytes += sum(len(copy.before or b"") + len(copy.name) for copy in copies)
        if len(self.kept) > app_settings.BULK_UNDO_MAX_KEYS:
            self._stop(f"no undo: it changed more than {app_settings.BULK_UNDO_MAX_KEYS:,} keys")
        elif self.kept_bytes > app_settings.UNDO_MAX_TOTAL_BYTES:
            self._stop("no undo: the copies would pass DASHBOARD_UNDO_MAX_TOTAL_BYTES")

    def _stop(self, note: str) -> None:
        self.undo_note, self.kept = note, []

    def _check_sizes(self, client, keys: list[bytes]) -> None:
        """Stop keeping copies before copying a key too large to copy, measured as edits
        measure it (keyspace.services.undo.too_large_to_keep), a batch at a time: a string's
        length, another type's length (at most MAX_ELEMENTS) and then its MEMORY USAGE with
        every element counted, against DASHBOARD_UNDO_MAX_KEY_BYTES. Called under the batch's
        WATCH: a key changed after it (even between the TYPE read here and its length
        command, which Redis then refuses with WRONGTYPE) aborts the batch, which looks
        again."""
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.type(key)
        kinds = [kind.decode("ascii", "replace") for kind in pipe.execute()]
        present = [(key, kind) for key, kind in zip(keys, kinds, strict=True) if kind != "none"]
        if any(registry.unit_for(kind).memory_usage_walks_value for _, kind in present):
            self._stop("no undo: a key could not be measured without reading all of it")
            return
        for key, kind in present:
            registry.unit_for(kind).queue_length(pipe, key)  # STRLEN for a string
        lengths = _sizes(pipe.execute(raise_on_error=False))
        measured, total = [], 0
        for (key, kind), length in zip(present, lengths, strict=True):
            if length is None:
                continue  # changed since its TYPE: the WATCH aborts this look
            if length > (app_settings.UNDO_MAX_KEY_BYTES if kind == "string" else MAX_ELEMENTS):
                self._stop("no undo: a key was too large to copy")
                return
            if kind == "string":
                total += length
            else:
                pipe.memory_usage(key, samples=0)
                measured.append(key)
        sizes = []
        if measured:
            try:
                sizes = _sizes(pipe.execute(raise_on_error=False))
            except redis.ResponseError:
                self._stop("no undo: this Redis does not let the dashboard measure keys "
                           "(MEMORY USAGE)")
                return
        if any(size is not None and size > app_settings.UNDO_MAX_KEY_BYTES for size in sizes):
            self._stop("no undo: a key was too large to copy")
        elif self.kept_bytes + total + sum(size or 0 for size in sizes) > (
                app_settings.UNDO_MAX_TOTAL_BYTES):
            # Said before the batch's copies are read, not after: they come in one reply.
            self._stop("no undo: the copies would pass DASHBOARD_UNDO_MAX_TOTAL_BYTES")


def _sizes(replies: list) -> list[int | None]:
    """Each reply as a number; None for a key whose type changed meanwhile (WRONGTYPE) or
    that went (MEMORY USAGE's nil). Any other refusal is raised."""
    found = []
    for reply in replies:
        if isinstance(reply, redis.ResponseError):
            if "WRONGTYPE" not in str(reply):
                raise reply
            reply = None
        found.append(None if reply is None else int(reply))
    return found


class Delete(Change):
    label = "deleted"

    def __init__(self, *, keep_undo: bool, type_name: str | None = None):
        super().__init__(keep_undo=keep_undo, type_name=type_name)
        self.command = "UNLINK"

    def apply(self, client, keys):
        try:
            return super().apply(client, keys)
        except redis.ResponseError as exc:
            if self.command != "UNLINK" or "unknown command" not in str(exc).lower():
                raise
            # A server without UNLINK (renamed away, or older than 4.0): DEL, which frees
            # memory in the request; batches stay small.
            self.command = "DEL"
            return super().apply(client, keys)

    def queue(self, pipe, keys):
        for key in keys:
            pipe.execute_command(self.command, key)


class Expire(Change):
    label = "given the TTL"

    def __init__(self, seconds: int, *, keep_undo: bool, type_name: str | None = None):
        super().__init__(keep_undo=keep_undo, type_name=type_name)
        self.seconds = seconds

    def queue(self, pipe, keys):
        for key in keys:
            pipe.expire(key, self.seconds)


class Persist(Change):
    label = "made persistent"

    def queue(self, pipe, keys):
        for key in keys:
            pipe.persist(key)
