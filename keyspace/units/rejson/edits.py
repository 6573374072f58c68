"""Edits of a RedisJSON document by JSONPath: set a value, delete a path, append to an
array, increment a number. Each names exactly one value and goes through only if that value
is still what the user saw: the form carries a digest of it (of JSON.GET of the path when it
is small, else of its kind, length and memory), checked again under WATCH before the write
runs in MULTI/EXEC."""

from __future__ import annotations

import hashlib
import json
import re

from django import forms

from keyspace.conf import app_settings
from keyspace.services.editing.guard import (
    ABSENT,
    Conflict,
    Operation,
    Outcome,
    Refused,
    allow_list,
    digest,
    guarded,
)
from keyspace.services.editing.inputs import KeyForm, check_size
from keyspace.units.fingerprints import feed
from keyspace.units.rejson.paths import (
    ROOT,
    STEP,
    UNWRITABLE,
    JsonPathField,
    check_path,
    child_path,
    writable,
)
from keyspace.units.rejson.tree import CONTAINERS, MAX_OBJECT_KEYS, JsonNode, describe, first

JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)
MAX_SHOWN = 2000  # characters of a value a conflict shows


class JsonValueField(forms.CharField):
    """A JSON value as typed (`"text"`, `12`, `{"a": [1]}`), checked to be JSON, sent as
    typed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))
        super().__init__(strip=True, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        try:
            parsed = json.loads(text, parse_constant=no_constant, parse_float=finite_number,
                                parse_int=exact_whole_number)
            # A lone surrogate escape ("\ud800") is JSON but no text: RedisJSON refuses it.
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise forms.ValidationError("not JSON RedisJSON takes: a \\u escape is half of a "
                                        "character (a lone surrogate)") from None
        except (ValueError, RecursionError) as exc:
            raise forms.ValidationError(f"not JSON: {json_problem(exc)}") from None
        return check_size(text.encode("utf-8", "surrogatepass"))


def json_problem(exc: ValueError | RecursionError) -> str:
    """What json.loads found wrong: Python's parser recurses, so a value nested thousands deep
    is a RecursionError (RedisJSON itself takes 128 levels at most)."""
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def exact_whole_number(text: str) -> int:
    """A JSON whole number RedisJSON keeps exactly: a signed or unsigned 64-bit one. Beyond,
    it would store a double (12345678901234567890123 as 1.2345678901234568e22) without a
    word; such a number is refused, to be written as a decimal if that is what is meant."""
    number = int(text)
    if not -2**63 <= number < 2**64:
        raise ValueError(f"{text[:40]} is past the whole numbers RedisJSON keeps exactly "
                         "(-2^63 to 2^64 - 1); write it as a decimal (with e) to store a "
                         "double")
    return number


def finite_number(text: str) -> float:
    """A JSON number with a fraction or exponent, as RedisJSON takes it: one too large for a
    double (1e400) is refused, where RedisJSON's own refusal came back as a banner."""
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:40]} is too large a number (a double holds about 1.8e308)")
    return number


class PathForm(KeyForm):
    path = JsonPathField()
    # The path the user saw the value of (`expected`, its digest): a different path typed in
    # the form has not been seen, and is shown before it can be changed.
    seen_path = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4096)
    expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class ValueForm(PathForm):
    value = JsonValueField(label="JSON value")


class NumberForm(PathForm):
    amount = forms.RegexField(regex=JSON_NUMBER, max_length=64, initial="1",
                              label="Add (a JSON number, may be negative)",
                              error_messages={"invalid": "a JSON number, such as 2 or -0.5"})


SAMPLE = 100  # members of each container that a digest is made of
NODE_BUDGET = 1000  # nodes of a subtree that a digest describes at most
# Nodes of each array item at or beside an index on the path (`_place`): a record's members
# (up to SAMPLE of them) tell two records apart; a tenth of a value's budget, so that an edit
# deep in a document of records reads a few hundred nodes more, not thousands.
PLACE_BUDGET = SAMPLE


def seen_state(reader, key: bytes, path: str) -> tuple[str, bytes | None, str | None]:
    """The digest of the value at `path` as it is now, its JSON text when small enough to
    read, and its kind: ABSENT when the path matches nothing. Refused when it matches
    several values (an edit names exactly one).

    Every read is bounded: RedisJSON has no constant-time size of a subtree (JSON.DEBUG
    MEMORY and MEMORY USAGE walk it), so a scalar is read whole (a string only up to
    DASHBOARD_MAX_VALUE_BYTES, by its memory), and an object or array is digested from its
    subtree, NODE_BUDGET nodes at most (`_container_state`): exact for a subtree that fits,
    a sample beyond, like other collections'."""
    kinds = reader.execute_command("JSON.TYPE", key, path)
    if not isinstance(kinds, list):
        raise Refused("not a $ JSONPath")
    if len(kinds) > 1:
        raise Refused(f"this path matches {len(kinds):,} values; an edit names exactly one")
    if not kinds:
        return ABSENT, None, None
    kind = kinds[0].decode() if isinstance(kinds[0], bytes) else kinds[0]
    state, text = _value_state(reader, key, path, kind)
    place = _place(reader, key, path)
    if place:
        hashed = hashlib.sha256(state.encode())
        feed(hashed, place)
        state = hashed.hexdigest()[:32]
    return state, text, kind


def _value_state(reader, key: bytes, path: str, kind: str) -> tuple[str, bytes | None]:
    if kind in CONTAINERS:
        return _container_state(reader, key, path, kind)
    if kind == "string":
        size = first(reader.execute_command("JSON.DEBUG", "MEMORY", key, path)) or 0
        if size > app_settings.MAX_VALUE_BYTES:
            return digest(f"large:string:{size}".encode()), None
    text = reader.execute_command("JSON.GET", key, path)
    return digest(text), text


def _place(reader, key: bytes, path: str) -> list:
    """Where the value is, for each array index in `path`: the array's length, and the item
    at that index and those beside it (kind, size, and a scalar's value or a container's
    digest, `_container_state`). An array item has no identity of its own: without this, an
    item removed before it moves another, equal one under the user's index (an account of
    the same shape and balance), and the edit would change that one. Bounded: one ARRLEN per
    index step, three items described per step, each container's digest PLACE_BUDGET nodes
    at most. Empty for a path without indexes (whose digest is unchanged)."""
    steps, position = [], len(ROOT)
    while position < len(path):
        step = STEP.match(path, position)
        if step is None:  # not a path an edit takes (refused before it is read)
            break
        if step.group().startswith("[") and step.group()[1:2] in "-0123456789":
            steps.append((path[:position], int(step.group()[1:-1])))
        position = step.end()
    if not steps:
        return []
    with reader.pipeline(transaction=False) as pipe:
        for parent, _index in steps:
            pipe.execute_command("JSON.ARRLEN", key, parent)
        lengths = [first(reply) for reply in pipe.execute(raise_on_error=False)]
    around = []
    for (parent, index), length in zip(steps, lengths, strict=True):
        if not isinstance(length, int):
            continue
        at = index if index >= 0 else length + index
        around += [JsonNode(child_path(parent, i), "") for i in (at - 1, at, at + 1)
                   if 0 <= i < length]
    # The item at the last index is the value itself when the path ends there: digested whole.
    around = [node for node in around if node.path != path]
    return [lengths, [(n.path, n.kind, n.size,
                       _container_state(reader, key, n.path, n.kind, PLACE_BUDGET)[0]
                       if n.container else n.value.raw if n.value else None)
                      for n in describe(reader, key, around)]]


def _container_state(reader, key: bytes, path: str, kind: str, budget: int = NODE_BUDGET):
    """An object's or array's digest, from its length and its subtree walked level by level
    (kind, size, and value of each scalar), NODE_BUDGET nodes at most: exact when the whole
    subtree fits (every container of at most SAMPLE members, strings short enough to show),
    so a change however deep is seen; a sample beyond, like other collections'. Its JSON text
    too, when exact and at most SAMPLE nodes (the form starts from it)."""
    length = first(reader.execute_command(CONTAINERS[kind], key, path))
    if not isinstance(length, int):  # RedisJSON could not measure it (see child_path)
        return digest(f"unmeasured:{kind}".encode()), None
    hashed = hashlib.sha256(f"{kind}:{length}".encode())
    level = [JsonNode(path, kind, size=length)]
    exact, described = True, 0
    while level and budget > 0:
        children, whole = _children(reader, key, level, budget, top=level[0].path == path)
        exact &= whole
        nodes = describe(reader, key, children)
        # A member removed meanwhile, a string too long to show, a container RedisJSON could
        # not measure: the digest is a sample.
        exact &= len(nodes) == len(children) and not any(
            n.unread or (n.container and n.size is None) for n in nodes)
        feed(hashed, [(n.path, n.kind, n.size, n.value.raw if n.value else None) for n in nodes])
        budget -= len(children)
        described += len(nodes)
        level = [n for n in nodes if n.container and n.size]
    exact &= not level
    text = reader.execute_command("JSON.GET", key, path) \
        if exact and described <= SAMPLE else None
    return hashed.hexdigest()[:32], text


def _children(reader, key: bytes, containers: list[JsonNode], budget: int, *, top: bool):
    """The paths of the members of `containers` (their sizes known) for the digest, and
    whether they are all of them. Containers are taken in order while their members fit in
    `budget`, each counting SAMPLE at most; an array's members by index (its first and last
    SAMPLE // 2 when longer), an object's by name, from JSON.OBJKEYS (one pipeline for the
    level), which returns every name at once: asked only of an object of at most SAMPLE
    members, or of the edited value itself (`top`) up to MAX_OBJECT_KEYS, its first SAMPLE
    kept. So a level never reads more names than the budget allows."""
    taken, room = [], budget
    for node in containers:
        wanted = min(node.size, SAMPLE)
        if wanted > room:
            break
        taken.append(node)
        room -= wanted
    whole = len(taken) == len(containers)
    limit = MAX_OBJECT_KEYS if top else SAMPLE
    objects = [node for node in taken if node.kind == "object" and node.size <= limit]
    names = {}
    if objects:
        with reader.pipeline(transaction=False) as pipe:
            for node in objects:
                pipe.execute_command("JSON.OBJKEYS", key, node.path)
            names = {node.path: first(reply) or []
                     for node, reply in zip(objects, pipe.execute(), strict=True)}
    children = []
    for node in taken:
        if node.kind == "array":
            steps = range(node.size) if node.size <= SAMPLE else [
                *range(SAMPLE // 2), *range(node.size - SAMPLE // 2, node.size)]
        else:
            steps = names.get(node.path, [])[:SAMPLE]
        whole &= len(steps) == node.size
        children += [JsonNode(child_path(node.path, step), "") for step in steps]
    return children, whole


def _shown(text: bytes | None) -> bytes | None:
    """The value in a JSON.GET `$` reply (a one-item array), for showing in a conflict."""
    return None if text is None else text[1:-1]


def check_seen(client, key: bytes, data: dict) -> str | None:
    """Refuse unless the value at the path is what the user saw; its kind. Called under the
    edit's WATCH; the reads go through `client` (pipelined, maybe on another connection): a
    change after the WATCH still fails the EXEC."""
    path = data["path"]
    state, text, kind = seen_state(client, key, path)
    if path != data.get("seen_path") or state != data.get("expected"):
        if state == ABSENT and path == data.get("seen_path"):
            raise Conflict("nothing is at this path any more; nothing was written", removed=True)
        what = "changed meanwhile" if path == data.get("seen_path") else "not shown yet"
        # Nothing there, or too large to show: its kind stands in.
        shown = _shown(text) if text is not None else f"({kind or 'nothing'})".encode()
        raise Conflict(f"the value at this path was {what}: it is shown below; submit again "
                       "to change it", current=shown, expected=state,
                       updates={"seen_path": path})
    return kind


class PathOperation(Operation):
    """An edit of the value at one path; `initial` reads what is there now."""

    form_class = PathForm

    def initial(self, client, key, params):
        path = check_path(params.get("path") or ROOT)
        if not writable(path):
            raise Refused(UNWRITABLE)
        state, text, _kind = seen_state(client, key, path)
        return {"path": path, "seen_path": path, "expected": state} | self.prefill(text)

    def prefill(self, text: bytes | None) -> dict:
        return {}


class SetValue(PathOperation):
    name = "json-set"
    label = "Set value"
    form_class = ValueForm

    def prefill(self, text):
        shown = _shown(text)
        return {"value": shown.decode("utf-8", "replace")} if shown else {}

    def apply(self, client, key, data):
        path = data["path"]

        def attempt(pipe):
            check_seen(client, key, data)
            return lambda pipe: pipe.execute_command("JSON.SET", key, path, data["value"])

        [done] = guarded(client, [key], attempt, expected_type=data["expected_type"])
        if done is None:
            raise Refused("RedisJSON could not place a value there (only a new key of an "
                          "existing object can be added); nothing was written")
        return Outcome(f"set {path[:200]}")


class DeletePath(PathOperation):
    name = "json-del"
    label = "Delete path"
    destructive = True
    submit_label = "Delete this value"

    def apply(self, client, key, data):
        path = data["path"]
        if path == ROOT:
            raise Refused("this is the whole document: delete the key instead")

        def attempt(pipe):
            check_seen(client, key, data)
            return lambda pipe: pipe.execute_command("JSON.DEL", key, path)

        [deleted] = guarded(client, [key], attempt, expected_type=data["expected_type"])
        if not deleted:
            raise Refused("RedisJSON found nothing to delete at this path; nothing was deleted")
        return Outcome(f"deleted {path[:200]}")


class Append(PathOperation):
    name = "json-append"
    label = "Append to array"
    form_class = ValueForm
    submit_label = "Append"

    def apply(self, client, key, data):
        path = data["path"]

        def attempt(pipe):
            if check_seen(client, key, data) != "array":
                raise Refused("the value at this path is not an array")
            return lambda pipe: pipe.execute_command("JSON.ARRAPPEND", key, path, data["value"])

        [lengths] = guarded(client, [key], attempt, expected_type=data["expected_type"])
        if not isinstance(first(lengths), int):
            raise Refused("RedisJSON found no array to append to at this path; nothing was "
                          "written")
        return Outcome(f"appended; the array has {first(lengths):,} items")


class Increment(PathOperation):
    name = "json-incr"
    label = "Increment number"
    form_class = NumberForm
    submit_label = "Increment"

    def apply(self, client, key, data):
        path = data["path"]

        def attempt(pipe):
            if check_seen(client, key, data) not in ("integer", "number"):
                raise Refused("the value at this path is not a number")
            return lambda pipe: pipe.execute_command("JSON.NUMINCRBY", key, path,
                                                     data["amount"])

        [result] = guarded(client, [key], attempt, expected_type=data["expected_type"])
        now = result.decode("utf-8", "replace") if isinstance(result, bytes) else result
        return Outcome(f"{path[:200]} is now {str(now).strip('[]')}")


OPERATIONS = allow_list(SetValue, DeletePath, Append, Increment)
