"""Page tokens: the usual token of a followed scan is read in one step, exactly as the general
way reads it, and refused exactly where the general way refuses it."""

import pytest

from keyspace.exceptions import BadRequest
from keyspace.redis.scan_tokens import MAX_CURSOR, Position, _parse_general, parse_position

SERVER = "abcdef12"


@pytest.mark.parametrize("raw", [
    f"1.1@{SERVER}", f"123456789.2000@{SERVER}", f"007.0010@{SERVER}",
    f"{MAX_CURSOR}.5@{SERVER}", f"{MAX_CURSOR + 1}.5@{SERVER}", f"{'9' * 20}.5@{SERVER}",
    f"0.5@{SERVER}", f"5.0@{SERVER}", f"5.2001@{SERVER}", f"5.1000000@{SERVER}",
    f"5.5@{SERVER.upper()}", f"5.5@{SERVER[:7]}", f"5.5@{SERVER}0", f"5..5@{SERVER}",
    f"٣.5@{SERVER}", f"5.٣@{SERVER}", f"-5.5@{SERVER}", f"5.5@@{SERVER}", "5.5", "5",
    f"5.5@{SERVER}~YQ", f"5.1.2.{'a' * 16}@{SERVER}",
])
def test_the_one_step_reading_agrees_with_the_general_way(raw):
    try:
        expected = _parse_general(raw, 2000)
    except BadRequest:
        with pytest.raises(BadRequest):
            parse_position(raw, 2000)
    else:
        assert parse_position(raw, 2000) == expected


def test_the_usual_token_reads_as_a_cursor_its_pace_and_server():
    assert parse_position(f"123.456@{SERVER}", 2000) == Position(123, pace=456, server=SERVER)
    with pytest.raises(BadRequest):
        parse_position(f"123.456@{SERVER}", 400)  # a pace over the most a step may ask
