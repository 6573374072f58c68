"""Sorted-set edits. Each costs a handful of O(1)/O(log N) commands whatever the size of the
set, runs under `guarded()`, which checks the type first (a deleted key is reported, never
recreated), and a change to an existing member is conditional on the score the user saw."""

from __future__ import annotations

from django import forms

from keyspace.conf import app_settings
from keyspace.redis.keynames import parse_escaped
from keyspace.services.editing.guard import (
    ABSENT,
    Conflict,
    Operation,
    Outcome,
    guarded,
    refuse_emptying,
)
from keyspace.services.editing.increments import AmountField, float_result
from keyspace.services.editing.inputs import (
    BytesValueField,
    KeyForm,
    TokenField,
    each_line,
    encoding_field,
    row_bytes,
)
from keyspace.services.editing.targets import ReplacesEntries
from keyspace.units.base import decode_row_token
from keyspace.units.zset.scores import member_label, parse_score, score_text

MAX_LINES = 10_000


class ScoreConflict(Conflict):
    """The member's score is not the one the user saw. Like every Conflict it shows what is
    there now; the form then carries that score, so a second submit is a deliberate change
    of the score just shown."""

    def __init__(self, message: str, current: float | None):
        shown = None if current is None else score_text(current).encode()
        expected = ABSENT if current is None else score_text(current)
        super().__init__(message, shown, expected=expected)


def check_seen_score(pipe, key: bytes, member: bytes, seen: float | None) -> float:
    """The member's score now, refused unless it is exactly the score the user saw."""
    current = pipe.zscore(key, member)
    if current is None:
        raise ScoreConflict("the member was removed meanwhile; nothing was written", None)
    if seen is None or current != seen:
        raise ScoreConflict(
            f"the member's score was changed meanwhile (it is now {score_text(current)}); "
            "nothing was written",
            current,
        )
    return current


class MemberForm(KeyForm):
    """A form on one row: the member (a token) and the score the user saw when opening it."""

    row = TokenField(label="Member")
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64)
    shown = forms.CharField(label="Member", required=False, disabled=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        member = row_bytes(self)
        if member is not None:
            self.fields["shown"].initial = member_label(member, 200)

    def clean_expected(self) -> float | None:
        text = self.cleaned_data["expected"]
        if text == ABSENT:
            return None
        try:
            return parse_score(text)
        except forms.ValidationError:
            raise forms.ValidationError("not a score this page showed") from None


def _seen(client, key: bytes, params) -> tuple[bytes, float | None]:
    member = decode_row_token(params.get("row", ""))
    return member, client.zscore(key, member)


class SetScoreForm(MemberForm):
    score = forms.CharField(max_length=100, label="New score (-inf and +inf allowed)")

    def clean_score(self) -> float:
        return parse_score(self.cleaned_data["score"])


class SetScore(Operation):
    name = "zset-score"
    label = "Change score"
    form_class = SetScoreForm
    scope = "row"

    def initial(self, client, key, params):
        _, current = _seen(client, key, params)
        seen = ABSENT if current is None else score_text(current)
        return {"expected": seen, "score": "" if current is None else score_text(current)}

    def apply(self, client, key, data):
        member, score = data["row"], data["score"]

        def attempt(pipe):
            check_seen_score(pipe, key, member, data["expected"])
            return lambda pipe: pipe.zadd(key, {member: score}, xx=True)

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(
            f"{member_label(member)} now scores {score_text(score)}", refresh="row", row_id=member
        )


class IncrementForm(MemberForm):
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    amount = AmountField(initial="1", label="Add (may be negative)", integers=False)

    def clean_expected(self):
        return None  # increments compose: they do not depend on the score seen


class IncrementScore(Operation):
    name = "zset-incr"
    label = "Increment"
    form_class = IncrementForm
    submit_label = "Increment"
    scope = "row"

    def apply(self, client, key, data):
        member, amount = data["row"], data["amount"]

        def attempt(pipe):
            current = pipe.zscore(key, member)
            if current is None:  # ZINCRBY would add it back
                raise ScoreConflict("the member was removed meanwhile; nothing was written", None)
            float_result(current, amount)
            return lambda pipe: pipe.zincrby(key, amount.arg(), member)

        [result] = guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(
            f"{member_label(member)} now scores {score_text(result)}", refresh="row", row_id=member
        )


class RemoveMember(Operation):
    name = "zset-remove"
    label = "Remove"
    form_class = MemberForm
    scope = "row"
    destructive = True
    submit_label = "Remove this member"

    def initial(self, client, key, params):
        _, current = _seen(client, key, params)
        return {"expected": ABSENT if current is None else score_text(current)}

    def apply(self, client, key, data):
        member = data["row"]

        def attempt(pipe):
            check_seen_score(pipe, key, member, data["expected"])
            refuse_emptying(pipe.zcard(key), "last member", "removing")
            return lambda pipe: pipe.zrem(key, member)

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(f"removed {member_label(member)}", refresh="row", row_id=member)


class AddMemberForm(KeyForm):
    byte_fields = ("member",)
    nonempty = {"member": "give a member (an empty member is not allowed here)"}
    member = BytesValueField(label="Member", widget=forms.TextInput(attrs={"spellcheck": "false"}))
    member_encoding = encoding_field()
    score = forms.CharField(max_length=100, label="Score (-inf and +inf allowed)")
    update_existing = forms.BooleanField(
        required=False, label="Update the score if it is already a member"
    )
    replaced_expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean_score(self) -> float:
        return parse_score(self.cleaned_data["score"])


def _existing_conflict(existing: list[tuple[bytes, float]]) -> Conflict:
    names = ", ".join(f"{member_label(m, 50)} ({score_text(s)})" for m, s in existing[:5])
    more = f" and {len(existing) - 5:,} more" if len(existing) > 5 else ""
    return Conflict(
        f"already members: {names}{more}; tick “update” to change their scores. "
        "Nothing was written",
        current=score_text(existing[0][1]).encode() if len(existing) == 1 else None,
    )


def _queue_adds(key: bytes, scores: dict[bytes, float], existing: set[bytes]):
    """New members with ZADD NX and existing ones with ZADD XX: each command does only what
    the check under WATCH decided."""
    new = {m: s for m, s in scores.items() if m not in existing}
    old = {m: s for m, s in scores.items() if m in existing}

    def queue(pipe):
        if new:
            pipe.zadd(key, new, nx=True)
        if old:
            pipe.zadd(key, old, xx=True)

    return queue


class _UpdatesScores(ReplacesEntries):
    """Updating the scores of members that exist is confirmed for those scores."""

    replace_flag = "update_existing"
    entry_word = "members"

    def read_entries(self, client, key, names):
        return client.zmscore(key, names)


class AddMember(_UpdatesScores, Operation):
    name = "zset-add"
    label = "Add member"
    form_class = AddMemberForm
    submit_label = "Add"

    def entries(self, data):
        return [data["member"]]

    def apply(self, client, key, data):
        member, score = data["member"], data["score"]
        existed = []

        def attempt(pipe):
            current = pipe.zscore(key, member)
            self.check_replaced(pipe, key, data, [current])
            if current is not None and not data["update_existing"]:
                raise _existing_conflict([(member, current)])
            existed[:] = [] if current is None else [current]
            return _queue_adds(key, {member: score}, {member} if existed else set())

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        if existed:
            return Outcome(
                f"updated {member_label(member)}: {score_text(existed[0])} → {score_text(score)}"
            )
        return Outcome(f"added {member_label(member)} with score {score_text(score)}")


class AddManyForm(KeyForm):
    lines = forms.CharField(
        label="Members, one per line as: member score",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    escapes = forms.BooleanField(required=False, label=r"Members use \xNN escapes for bytes")
    update_existing = forms.BooleanField(
        required=False, label="Update the scores of existing members"
    )
    replaced_expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean_lines(self) -> str:
        text = self.cleaned_data["lines"]
        if len(text) > app_settings.MAX_VALUE_BYTES:
            raise forms.ValidationError("that is more text than one edit takes")
        return text

    def clean(self):
        data = super().clean()
        if "lines" not in data:
            return data
        try:
            data["scores"] = parse_lines(data["lines"], data.get("escapes", False))
        except forms.ValidationError as exc:
            self.add_error("lines", exc)
        return data


def parse_lines(text: str, escapes: bool) -> dict[bytes, float]:
    count = sum(1 for line in text.splitlines() if line.strip())
    if not count:
        raise forms.ValidationError("give at least one line: member score")
    if count > MAX_LINES:
        raise forms.ValidationError(f"at most {MAX_LINES:,} members at a time")
    scores: dict[bytes, float] = {}

    def add(line: str) -> None:
        member, score = _member_and_score(line, escapes)
        if member in scores:
            raise forms.ValidationError(f"{member_label(member, 50)} is given twice")
        scores[member] = score

    each_line(text, add)
    return scores


def _member_and_score(line: str, escapes: bool) -> tuple[bytes, float]:
    """One line of "member score": the score is the last word, the member all before it."""
    parts = line.rstrip().rsplit(None, 1)
    if len(parts) != 2 or not parts[0].strip():
        raise forms.ValidationError("give a member, a space, then a score")
    member_text, score = parts[0].rstrip(), parse_score(parts[1])
    return parse_escaped(member_text) if escapes else member_text.encode("utf-8"), score


class AddMany(_UpdatesScores, Operation):
    name = "zset-add-many"
    label = "Add several"
    form_class = AddManyForm
    submit_label = "Add all"

    def entries(self, data):
        return list(data["scores"])

    def apply(self, client, key, data):
        scores: dict[bytes, float] = data["scores"]
        members = list(scores)
        found: list = []

        def attempt(pipe):
            current = pipe.zmscore(key, members)
            self.check_replaced(pipe, key, data, current)
            existing = [(m, s) for m, s in zip(members, current, strict=True) if s is not None]
            if existing and not data["update_existing"]:
                raise _existing_conflict(existing)
            found[:] = existing  # what the write that goes through was decided on
            return _queue_adds(key, scores, {m for m, _ in existing})

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        updated = len(found)
        return Outcome(f"added {len(scores) - updated:,} members, updated {updated:,}")
