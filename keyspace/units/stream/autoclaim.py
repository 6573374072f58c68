"""Claiming every pending entry idle long enough (XAUTOCLAIM) for one consumer: the
confirmation lists the entries it would claim now (XPENDING IDLE, bounded by its COUNT), and
the claim runs only if exactly those entries are still the idle ones, held as shown (checked in
the same script as the claim; see `claims`)."""

from __future__ import annotations

import hashlib

from django import forms

from keyspace.services.editing.guard import Operation, Outcome, Refused
from keyspace.units.stream.claims import (
    MAX_SELECTED,
    PendingForm,
    describe,
    entries_word,
    parse_seen,
    run_script,
    seen_of,
)
from keyspace.units.stream.inputs import NameField, short
from keyspace.units.stream.pending import PendingEntry, read_page


class AutoClaimForm(PendingForm):
    consumer = NameField(label="Claim for the consumer", what="consumer to claim for",
                         help_text="")
    min_idle = forms.IntegerField(min_value=0, max_value=10**12, initial=60_000,
                                  label="Idle at least (ms)")
    count = forms.IntegerField(min_value=1, max_value=MAX_SELECTED, initial=100,
                               label="At most this many entries")
    # The entries the confirmation showed (as seen_of writes them); empty until then.
    expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200_000)


class AutoClaim(Operation):
    name = "stream-autoclaim"
    label = "Claim idle entries"
    form_class = AutoClaimForm
    submit_label = "Claim"
    destructive = True
    scope = "pending"

    def plan(self, client, key, data) -> list[PendingEntry]:
        return read_page(client, key, data["group"], after=None, count=data["count"],
                         idle=data["min_idle"]).rows

    def confirmation_subject(self, data):
        return hashlib.sha256(
            f"{data['consumer'].hex()}|{data['min_idle']}|{data['count']}|"
            f"{data.get('expected', '')}".encode()).hexdigest()

    def confirming(self, client, key, data):
        entries = self.plan(client, key, data)
        if not entries:
            return {"expected": ""}, (f"no pending entry of this group has been idle for "
                                      f"{data['min_idle']:,} ms: there is nothing to claim")
        seen = [(e.entry_id, e.deliveries, e.consumer) for e in entries]
        now = {e.entry_id: e for e in entries}
        return {"expected": seen_of(entries)}, describe(
            f"claim (XAUTOCLAIM, idle at least {data['min_idle']:,} ms)", seen, now,
            data["consumer"])

    def apply(self, client, key, data):
        try:
            seen = parse_seen(data["expected"])
        except forms.ValidationError as exc:
            raise Refused(exc.messages[0]) from None
        if not seen:
            raise Refused("nothing to claim: no pending entry was idle that long")
        claimed, _, deleted = run_script(
            client, key, data["group"], "autoclaim", seen, consumer=data["consumer"],
            min_idle=data["min_idle"], start="0-0", count=data["count"], check="idle")
        note = f"; {deleted:,} deleted from the stream were dropped from the list" \
            if deleted else ""
        return Outcome(f"claimed {claimed:,} idle pending {entries_word(claimed)} for "
                       f"{short(data['consumer'])!r}{note}")
