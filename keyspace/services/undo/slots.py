"""Undoing a change over keys of several slots of a Redis Cluster (a bulk job's): a
transaction holds one slot's keys, so the keys are put back a slot at a time.

First every key is checked, slot by slot on the primary holding it, without writing: if any
is no longer as the change left it, nothing is put back (Conflict, as for one slot). Then
each slot's keys are checked again and put back under their own WATCH/MULTI. Should a key
change between the two (another client writing in that moment), the slots done stay done,
and the copies of the others are kept in the record: the Conflict says how many keys were
put back, and undoing again (after a look at the key named) puts back the rest.
"""

from __future__ import annotations

from keyspace.display import bytes_to_text
from keyspace.redis import per_primary
from keyspace.redis.cluster import is_cluster_client
from keyspace.services.undo.capture import KeptKey, not_capturing


def slot_groups(client, kept: list[KeptKey]) -> list[list[KeptKey]]:
    """`kept` by slot in a cluster (first seen first); one group otherwise."""
    if not is_cluster_client(client):
        return [kept]
    groups: dict[int, list[KeptKey]] = {}
    for item in kept:
        groups.setdefault(per_primary.slot_of(item.name), []).append(item)
    return list(groups.values())


def restore_per_slot(client, record, groups: list[list[KeptKey]], checked) -> list[bytes]:
    from keyspace.services.editing.guard import Conflict, guarded

    for group in groups:  # nothing written yet: a changed key stops the undo whole
        checked(group, record)(per_primary.owner(client, group[0].name))
    done: list[bytes] = []
    for index, group in enumerate(groups):
        try:
            with not_capturing():
                guarded(client, [item.name for item in group], checked(group, record))
        except Conflict as exc:
            if not done:
                raise
            rest = [item for later in groups[index:] for item in later]
            record.keys = [item.stored() for item in rest]
            record.save(update_fields=["keys"])
            said = str(exc).removesuffix("; nothing was undone")
            raise Conflict(
                f"{len(done):,} of {len(done) + len(rest):,} keys were put back, then "
                f"{said}. The copies of the other {len(rest):,} are kept: undo again to put "
                f"them back (first seen: {bytes_to_text(rest[0].name)[:200]})") from exc
        done += [item.name for item in group]
    record.delete()
    return done
