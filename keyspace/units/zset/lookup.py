"""Look up one member: its score and its rank from either end, in one round trip."""

from __future__ import annotations

from django import forms

from keyspace.redis.capabilities import reading_pipeline
from keyspace.services.editing.guard import Tool
from keyspace.units.zset.scores import member_candidates

MEMBER_FORMATS = (("text", r"Text (or \xNN escapes)"), ("hex", "Hex"))


class LookUpForm(forms.Form):
    member = forms.CharField(
        strip=False,
        max_length=100_000,
        label="Member",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    member_format = forms.ChoiceField(
        choices=MEMBER_FORMATS, initial="text", required=False, label="Format"
    )

    def clean(self):
        data = super().clean()
        typed = data.get("member")
        if typed is None:
            return data
        if data.get("member_format") == "hex":
            try:
                data["candidates"] = [bytes.fromhex("".join(typed.split()))]
            except ValueError:
                self.add_error("member", "not valid hex (pairs of 0-9, a-f)")
        else:
            data["candidates"] = member_candidates(typed)
        if data.get("candidates") == [b""]:
            self.add_error("member", "give a member")
        return data


class LookUp(Tool):
    name = "zset-lookup"
    label = "Look up a member"
    form_class = LookUpForm
    result_template = "keyspace/units/zset_lookup.html#result"
    submit_label = "Look up"

    def run(self, client, key, data):
        candidates = data["candidates"]
        with reading_pipeline(client) as pipe:
            pipe.zcard(key)
            for member in candidates:
                pipe.zscore(key, member)
                pipe.zrevrank(key, member)
                pipe.zrank(key, member)
            replies = pipe.execute()
        size, answers = replies[0], replies[1:]
        for index, member in enumerate(candidates):
            score, from_top, from_bottom = answers[3 * index : 3 * index + 3]
            if score is not None:
                return {
                    "found": True,
                    "member": member,
                    "score": score,
                    "size": size,
                    "rank_top": from_top + 1,
                    "rank_bottom": from_bottom + 1,
                }
        return {"found": False, "member": candidates[0], "size": size}
