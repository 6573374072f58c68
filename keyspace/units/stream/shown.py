"""Destructive stream edits whose effect depends on what is typed (a trim's rule, the IDs to
delete, the group named): the first submit shows what the edit would do, and only a submit
of exactly that (same input, stream unchanged) does it.

The form's hidden `expected` carries `<digest of the input>|<state shown>`. An edit whose
input differs from what was shown is shown again (AskFirst); one whose stream changed since
is a conflict that shows the new state. The confirmation token stays the form's own (issued
when the form is drawn), so a first submit is not told its confirmation was "for something
else": the plan it confirms is this field, checked against Redis in the edit's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from keyspace.services.editing.guard import Conflict, Refused


class AskFirst(Refused):
    """Nothing was written: the form comes back once, saying what the edit will do."""

    status = 428
    title = "Please confirm"


def planned(inputs: str, state: str) -> str:
    return f"{hashlib.sha256(inputs.encode()).hexdigest()[:16]}|{state}"


def check_shown(expected: str, inputs: str, state: str, *, shows: Callable[[], str],
                changed: Callable[[], str]) -> None:
    """Go ahead only if `expected` is this input and this state; otherwise AskFirst with what
    `shows()` says, or (same input, other state) a Conflict saying `changed()`."""
    plan = planned(inputs, state)
    if expected == plan:
        return
    if expected.partition("|")[0] != plan.partition("|")[0]:
        raise AskFirst(shows(), updates={"expected": plan})
    raise Conflict(changed(), expected=plan)
