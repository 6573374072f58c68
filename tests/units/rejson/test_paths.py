"""JSON paths: every path the tree builds names one value and round-trips through its URL
token; paths that could name many are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyspace.exceptions import BadRequest
from keyspace.units.rejson.paths import (
    check_path,
    child_path,
    names_one_value,
    path_from_token,
    path_token,
)

NAMES = st.text(max_size=12).map(lambda text: text.encode("utf-8", "surrogatepass"))
STEPS = st.lists(st.one_of(NAMES, st.integers(min_value=0, max_value=10**6)), max_size=5)


@given(STEPS)
def test_built_paths_name_one_value_and_round_trip(steps):
    path = "$"
    for step in steps:
        path = child_path(path, step)
    assert names_one_value(path)
    assert path_from_token(path_token(path)) == path


@pytest.mark.parametrize("path", ["$..a", "$.*", "$[*]", "$[0:2]", '$["a","b"]', "$.a,$.b",
                                  "$[?(@.a>1)]", "a", "", "$.a b", '$["open]', "$" + ".a" * 3000])
def test_paths_that_could_name_many_values_are_refused(path):
    assert not names_one_value(path)
    with pytest.raises(BadRequest):
        check_path(path)
    with pytest.raises(BadRequest):
        path_from_token(path_token(path))


def test_a_damaged_token_is_refused():
    with pytest.raises(BadRequest):
        path_from_token("not base64!")
