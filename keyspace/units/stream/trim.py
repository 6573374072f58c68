"""Trimming a stream (XTRIM MAXLEN/MINID, exact or approximate), alone or as part of adding an
entry, shown before it runs with the number of entries it removes, counted without reading
the stream:

- MAXLEN N removes XLEN - N (exactly, or at most that when approximate: Redis then removes
  whole nodes only);
- MINID removes the entries before that ID: counted in Redis by a Lua script, COUNT_STEP
  entries a call (about 0.25 ms of Redis time each, measured on 200,000 entries), only the
  count and the last ID crossing the wire, up to COUNT_BOUND entries (the count then says
  "at least").

The form then carries the rule and the stream as it was counted (length, first and last ID;
see `shown`); the trim runs under WATCH only if the stream is still exactly that (any XADD,
XDEL or trim marks the key modified). A trim that would remove more than
DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS entries is refused when exact, and capped with XTRIM's
LIMIT when approximate.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from keyspace.conf import app_settings
from keyspace.services.editing.guard import Operation, Outcome, Refused, guarded
from keyspace.services.editing.inputs import FieldRefused, KeyForm
from keyspace.units.stream.inputs import TRIM_PRECISION, TRIM_STRATEGIES, clean_threshold
from keyspace.units.stream.shown import check_shown, planned

COUNT_STEP = 100
COUNT_BOUND = 1_000
# ARGV: where to start ("-", or "(" and the last ID counted), the ID to stop before, COUNT.
COUNT_BEFORE = """
local found = redis.call('XRANGE', KEYS[1], ARGV[1], '(' .. ARGV[2], 'COUNT', ARGV[3])
if #found == 0 then return {0, ''} end
return {#found, found[#found][1]}
"""


@dataclass(frozen=True)
class TrimPlan:
    removes: int
    at_least: bool  # MINID over COUNT_BOUND: `removes` is a lower bound
    state: str  # the stream as counted: length, first and last ID

    def says(self, strategy: str, approx: bool) -> str:
        count = f"{self.removes:,}"
        if self.at_least:
            count = f"at least {count}"
        elif approx and self.removes:
            count = f"up to {count}"
        noun = "entry" if self.removes == 1 and not self.at_least else "entries"
        return f"{count} {noun}"


def read_state(reader, key: bytes) -> tuple[int, str]:
    length = reader.xlen(key)
    first = reader.xrange(key, count=1)
    last = reader.xrevrange(key, count=1)
    ids = [(entries[0][0].decode() if entries else "-") for entries in (first, last)]
    return length, f"{length}:{ids[0]}:{ids[1]}"


def read_plan(reader, key: bytes, strategy: str, threshold, *, adding: int = 0) -> TrimPlan:
    """What trimming `key` by `strategy` (after adding `adding` entries) removes now."""
    length, state = read_state(reader, key)
    if strategy == "MAXLEN":
        return TrimPlan(max(0, length + adding - threshold), False, state)
    if threshold == "0-0" or not length:
        return TrimPlan(0, False, state)
    counted, start = 0, "-"
    while counted < COUNT_BOUND:
        found, last = reader.eval(COUNT_BEFORE, 1, key, start, threshold, COUNT_STEP)
        counted += found
        if found < COUNT_STEP:
            return TrimPlan(counted, False, state)
        start = "(" + last.decode()
    # Exactly the bound, and maybe more: one more entry before the ID says which.
    more = reader.eval(COUNT_BEFORE, 1, key, start, threshold, 1)[0]
    return TrimPlan(counted, bool(more), state)


def check_plan(plan: TrimPlan, length: int, data: dict, *, field: str, adding: int = 0) -> None:
    """Refuse what the size guard forbids; show the trim unless it was shown for this rule
    and this stream (AskFirst), and refuse it if the stream changed since (Conflict)."""
    limit = app_settings.MAX_LINEAR_WRITE_ELEMENTS
    exact = data["precision"] == "exact"
    too_many = plan.removes > limit or (plan.at_least and length > limit)
    if exact and too_many:
        raise FieldRefused(field, (
            f"this removes {plan.says(data['strategy'], False)}, more than the {limit:,} the "
            "dashboard lets one command remove (DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS): Redis "
            "would serve nobody else meanwhile. Trim approximately (it is then done in "
            "capped steps) or in smaller steps; nothing was written"))
    check_shown(data["expected"], trim_inputs(data), plan.state,
                shows=lambda: trim_note(plan, data),
                changed=lambda: (
                    f"the stream changed since the trim was shown (it now has {length:,} "
                    f"entries, and the trim would remove "
                    f"{plan.says(data['strategy'], not exact)}); nothing was written. Submit "
                    "again to trim what is there now."))


def trim_inputs(data: dict) -> str:
    return f"{data['strategy']}:{data['threshold']}:{data['precision']}"


def trim_note(plan: TrimPlan, data: dict) -> str:
    how = "approximately, " if data["precision"] != "exact" else ""
    rule = (f"keep the newest {data['threshold']:,}" if data["strategy"] == "MAXLEN"
            else f"remove entries before {data['threshold']}")
    return (f"trimming ({how}{rule}) removes {plan.says(data['strategy'], bool(how))} of the "
            f"{int(plan.state.split(':')[0]):,} now in the stream. Press the button again to "
            "go ahead.")


def trim_args(data: dict) -> dict:
    """XADD/XTRIM keyword arguments for the form's trimming rule (redis-py names)."""
    approx = data["precision"] != "exact"
    args = {"approximate": approx}
    if approx:
        args["limit"] = app_settings.MAX_LINEAR_WRITE_ELEMENTS
    key = "maxlen" if data["strategy"] == "MAXLEN" else "minid"
    return args | {key: data["threshold"]}


class TrimFields(forms.Form):
    """The trimming rule, shared by Trim and Add entry; `strategy` "" means none."""

    strategy = forms.ChoiceField(choices=TRIM_STRATEGIES, required=False, label="Trim")
    threshold = forms.CharField(required=False, max_length=45, label="N, or the oldest ID to keep",
                                help_text="MAXLEN: how many entries to keep; MINID: entries "
                                          "before this ID are removed.")
    precision = forms.ChoiceField(choices=TRIM_PRECISION, initial="exact", required=False,
                                  label="Precision")
    # The rule and the stream as the trim was shown (see shown.planned); empty until then.
    expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=120)

    def clean(self):
        data = super().clean()
        strategy = data.get("strategy") or ""
        data["precision"] = data.get("precision") or "exact"
        if strategy:
            try:
                data["threshold"] = clean_threshold(strategy, data.get("threshold"))
            except forms.ValidationError as exc:
                self.add_error("threshold", exc)
        return data


class TrimForm(KeyForm, TrimFields):
    strategy = forms.ChoiceField(choices=TRIM_STRATEGIES[1:], initial="MAXLEN", label="Trim")


def confirming_trim(client, key: bytes, data: dict, *, adding: int = 0) -> tuple[dict, str]:
    plan = read_plan(client, key, data["strategy"], data["threshold"], adding=adding)
    return {"expected": planned(trim_inputs(data), plan.state)}, trim_note(plan, data)


class Trim(Operation):
    name = "stream-trim"
    label = "Trim"
    form_class = TrimForm
    destructive = True
    submit_label = "Trim"

    def confirming(self, client, key, data):
        return confirming_trim(client, key, data)

    def apply(self, client, key, data):
        def attempt(pipe):
            plan = read_plan(pipe, key, data["strategy"], data["threshold"])
            check_plan(plan, int(plan.state.split(":")[0]), data, field="threshold")
            if not plan.removes and not plan.at_least:
                raise Refused("that trim removes nothing; nothing was written")
            return lambda pipe: pipe.xtrim(key, **trim_args(data))

        [removed] = guarded(client, [key], attempt, expected_type="stream")
        return Outcome(f"trimmed {removed:,} entr{'y' if removed == 1 else 'ies'}")
