"""The console in a cluster: each command goes to the primary holding its keys, a keyless one
to the node REDIS_URL names; keys in several slots are refused with the hash-tag remedy."""

import pytest

from keyspace.services.console.running import run_line

pytestmark = pytest.mark.cluster


def texts(outcome) -> list[str]:
    return [line.prefix + line.text for line in outcome.lines]


def test_commands_go_to_the_primary_of_their_keys(cluster_dashboard, r, editor, viewer):
    names = [f"console:{n}" for n in range(20)]  # spread over the three primaries
    for name in names:
        assert run_line(editor, 0, f"SET {name} v-{name}").status == 200
    assert [r.get(name) for name in names] == [f"v-{name}".encode() for name in names]
    for name in names:
        assert texts(run_line(viewer, 0, f"GET {name}")) == [f'"v-{name}"']
    assert texts(run_line(viewer, 0, "DBSIZE")) and run_line(viewer, 0, "DBSIZE").status == 200


def test_keys_in_several_slots_are_explained(cluster_dashboard, r, viewer):
    outcome = run_line(viewer, 0, "MGET a b")
    assert outcome.status == 422 and "hash tag" in outcome.refusal
    assert texts(run_line(viewer, 0, "MGET {x}a {x}b")) == ["1) (nil)", "2) (nil)"]


@pytest.mark.parametrize("command", ["OBJECT ENCODING", "OBJECT IDLETIME", "MEMORY USAGE",
                                     "TYPE"])
def test_a_key_after_a_subcommand_goes_to_its_primary(cluster_dashboard, r, viewer, command):
    names = [f"sub:{n}" for n in range(12)]  # spread over the three primaries
    for name in names:
        r.set(name, "v")
    for name in names:
        outcome = run_line(viewer, 0, f"{command} {name}")
        assert outcome.status == 200 and not outcome.refusal, (name, outcome.refusal)
        assert "MOVED" not in " ".join(texts(outcome)), name


def test_a_stream_key_after_xinfo_stream_goes_to_its_primary(cluster_dashboard, r, viewer):
    for name in ("a", "b", "c", "k:1"):
        r.xadd(name, {"f": "v"})
        outcome = run_line(viewer, 0, f"XINFO STREAM {name}")
        assert outcome.status == 200 and any("length" in t for t in texts(outcome)), name
