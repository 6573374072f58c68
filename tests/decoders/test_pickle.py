"""Pickles (and Django's cache values) are read by walking their opcodes: shown, never run."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

from django.core.cache.backends.redis import RedisSerializer

from keyspace.decoders import registry
from tests.decoders.helpers import facts, small_limits, values, walk

PICKLE = registry.get("pickle")


class Touch:
    """Unpickling this runs a shell command that creates `path`."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


class Write:
    """Unpickling this opens `path` for writing (creating it)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _really_runs(payload: bytes) -> None:
    """Control: the payload does what it says when a real unpickler loads it (in a separate
    process, on our own test data), so "nothing happened" below means something."""
    code = "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"
    subprocess.run([sys.executable, "-c", code], input=payload, check=True)


def test_a_malicious_pickle_is_shown_not_run(tmp_path):
    control, target = tmp_path / "control", tmp_path / "target"
    _really_runs(pickle.dumps(Touch(control)))
    assert control.exists()

    result = PICKLE.decode(pickle.dumps(Touch(target)))

    assert not target.exists()
    assert result.ok
    assert "posix.system" in facts(result)["Loading it would import"]
    assert "STACK_GLOBAL" in result.text and "system" in result.text
    assert f"touch {target}" in result.text
    assert result.tree.kind == "call posix.system"
    assert values(result)["value/arguments/0"] == f"touch {target}"


def test_a_pickle_that_would_write_a_file_writes_nothing(tmp_path):
    control, target = tmp_path / "control", tmp_path / "target"
    _really_runs(pickle.dumps(Write(control), protocol=0))
    assert control.exists()

    result = PICKLE.decode(pickle.dumps(Write(target), protocol=0))

    assert not target.exists()
    assert "io.open" in facts(result)["Loading it would import"]
    assert "GLOBAL             io open" in result.text


def test_named_modules_are_never_imported():
    assert "this" not in sys.modules  # importing it prints the Zen of Python
    result = PICKLE.decode(b"cthis\nlove\n(tR.")
    assert "this" not in sys.modules
    assert facts(result)["Loading it would import"] == "this.love"


def test_django_cache_value_structure():
    stored = RedisSerializer().dumps({"user": 7, "roles": ["admin", "<b>ops</b>"], "ok": None})
    result = registry.decode_auto(stored)
    assert result.decoder == "pickle"
    assert values(result) == {
        "value/user": "7",
        "value/roles/0": "admin",
        "value/roles/1": "<b>ops</b>",
        "value/ok": "null",
    }
    assert "Loading it would import" not in facts(result)


def test_instances_show_their_class_and_state():
    class_path = f"{__name__}.Point"
    result = PICKLE.decode(pickle.dumps(Point(1, 2)))
    assert result.tree.kind == f"instance of {class_path}"
    assert values(result)["value/state/x"] == "1"
    assert class_path in facts(result)["Loading it would import"]


def test_protocol_zero_is_text_and_still_recognised():
    data = pickle.dumps({"a": 1}, protocol=0)
    assert PICKLE.detect(data) == 60
    assert values(PICKLE.decode(data)) == {"value/a": "1"}


def test_shared_and_cyclic_structures_stay_bounded():
    cycle: list = []
    cycle.append(cycle)
    deep = PICKLE.decode(pickle.dumps(cycle), limits=small_limits(depth=6))
    assert "parts nested deeper than 6 levels are not shown" in deep.notes
    laughs: list = ["lol"]
    for _ in range(40):
        laughs = [laughs, laughs]  # 2**40 leaves when expanded, a few hundred bytes pickled
    wide = PICKLE.decode(pickle.dumps(laughs), limits=small_limits(nodes=300))
    assert len(walk(wide.tree)) <= 301


def test_broken_pickles_are_not_pickles():
    data = pickle.dumps({"a": [1, 2, 3]})
    assert PICKLE.decode(data[:-5]).message.startswith("not Python pickle: ")
    assert (
        PICKLE.decode(b"\x80\x04.").message
        == "not Python pickle: the pickle pops more than it pushed"
    )


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y
