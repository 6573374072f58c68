"""Set edits and tools through the views, against a real Redis, checked with a separate client."""

from __future__ import annotations

import html
import re

import pytest

from keyspace.redis.keynames import encode_key
from keyspace.services.editing.guard import KeyGone
from keyspace.units import registry
from keyspace.units.set import SetUnit
from keyspace.units.set.edits import AddMembers
from tests.services.editing.forms import form_fields, open_form, submit
from tests.support.htmx import HTMX
from tests.support.rows import menu_links, opener
from tests.support.urls import edit_url, key_url, tool_url
from tests.units.helpers import RedisWork, rows, seed

# A few round trips run on every server of the matrix (tests/support/servers.py): `servers`.

WHOLE_SET_COMMANDS = (
    "smembers",
    "sunion",
    "sinter",
    "sdiff",
    "sunionstore",
    "sinterstore",
    "sdiffstore",
    "sintercard",
    "sort",
    "sort_ro",
    "dump",
)


def run_tool(client, key: bytes, tool: str, *, status: int = 200, **params) -> str:
    response = client.get(tool_url(key, tool, run="1", **params), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == status, body[-2000:]
    return body


def members_shown(body: str) -> list[str]:
    return [row.elements[0] for row in rows(body)]


def problem(body: str) -> str:
    found = re.search(r'<div class="problem" role="alert">(.*?)</div>', body, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


def errors(body: str) -> str:
    return html.unescape(
        " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S))
    )


@pytest.fixture
def tags(r):
    r.sadd("tags", "red", "green", "blue", b"bin\xff\x00")
    return b"tags"


def test_the_unit_lists_its_operations_and_tools():
    unit = registry.unit_for(b"set")
    assert isinstance(unit, SetUnit)
    assert set(unit.operations) == {"set-add", "set-remove", "set-store"}
    assert set(unit.tools) == {"set-random", "set-contains", "set-compare"}
    assert [op.name for op in unit.row_operations] == ["set-remove"]


def test_key_page_rows_carry_tokens_and_remove_links(client, r, tags):
    page = client.get(key_url(tags)).content.decode()
    assert menu_links(page) == [edit_url(tags, "set-remove") + "?row="]
    for member in (b"red", b"bin\xff\x00"):
        assert opener(encode_key(member)) in page
    for name in ("set-add", "set-store", "set-random", "set-contains", "set-compare"):
        assert f"/{name}/" in page


# --- add ------------------------------------------------------------------------------------


@pytest.mark.servers
def test_add_one_member_redraws_the_value(client, r, tags):
    response = submit(client, tags, "set-add", members="a member\nwith a newline", mode="one")
    assert response.status_code == 200, response.content[-1000:]
    body = response.content.decode()
    assert response["HX-Retarget"] == "#value"
    assert "added 1 new member" in body
    assert r.sismember(tags, "a member\nwith a newline") and r.scard(tags) == 5


def test_add_one_per_line_reports_how_many_were_new(client, r, tags):
    response = submit(client, tags, "set-add", members="red\nyellow\n\npurple\nyellow\n")
    assert response.status_code == 200
    assert "added 2 new members; 1 of those given were members already" in response.content.decode()
    assert r.smembers(tags) == {b"red", b"green", b"blue", b"bin\xff\x00", b"yellow", b"purple"}


@pytest.mark.parametrize("encoding", ["text", "hex"])
def test_the_empty_member_is_added_as_the_whole_text_left_empty(client, r, tags, encoding):
    response = submit(client, tags, "set-add", members="", mode="one", members_encoding=encoding)
    assert response.status_code == 200
    assert "added 1 new member" in response.content.decode()
    assert r.sismember(tags, b"")


def test_one_per_line_never_adds_the_empty_member_and_says_how_to(client, r, tags):
    before = r.smembers(tags)
    response = submit(client, tags, "set-add", members="\n\n", mode="lines")
    assert response.status_code == 422
    assert "leave the text empty" in errors(response.content.decode())
    assert r.smembers(tags) == before


@pytest.mark.servers
def test_binary_members_are_added_as_hex(client, r, tags):
    response = submit(client, tags, "set-add", members="00 ff fe\nc3 28", members_encoding="hex")
    assert response.status_code == 200
    assert r.sismember(tags, b"\x00\xff\xfe") and r.sismember(tags, b"\xc3\x28")


def test_without_htmx_an_add_redirects_to_the_key_page(client, r, tags):
    response = submit(client, tags, "set-add", members="pink", htmx=False)
    assert response.status_code == 302 and response["Location"] == key_url(tags)
    assert r.sismember(tags, "pink")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"members": "zz", "members_encoding": "hex"}, "line 1: not valid hex"),
        ({"members": "ab\nxyz", "members_encoding": "hex"}, "line 2: not valid hex"),
        ({"members": "  \n\n"}, "give at least one member"),
        ({"members": ""}, "give at least one member"),
        ({"members": "x" * 2000, "mode": "one"}, "over the 1,000-byte limit"),
        ({"members": "\n".join(str(i) for i in range(10_001))}, "more than 10,000 at a time"),
        ({"mode": "sideways", "members": "a"}, "Select a valid choice"),
    ],
)
def test_bad_input_to_add_is_a_422_and_writes_nothing(client, r, tags, settings, changes, message):
    settings.DASHBOARD_MAX_VALUE_BYTES = 1000
    before = r.smembers(tags)
    response = submit(client, tags, "set-add", **changes)
    assert response.status_code == 422
    assert message in errors(response.content.decode())
    assert r.smembers(tags) == before


def test_adding_to_a_deleted_set_does_not_create_it(client, r, tags):
    fields = open_form(client, tags, "set-add")
    r.delete(tags)
    response = client.post(edit_url(tags, "set-add"), fields | {"members": "x"}, headers=HTMX)
    assert response.status_code == 404
    assert not r.exists(tags)


def test_add_checks_the_type_before_writing(r):
    """Between the view's look at the key and the write, the key may go: SADD would quietly
    make a new set, so the operation checks first and reports it."""
    with pytest.raises(KeyGone):
        AddMembers().apply(r, b"never-there", {"expected_type": "set", "members": [b"x"]})
    assert not r.exists("never-there")


@pytest.mark.servers
def test_add_to_a_key_that_became_a_string_writes_nothing(client, r, tags):
    fields = open_form(client, tags, "set-add")
    r.delete(tags)
    r.set(tags, "a string now")
    response = client.post(edit_url(tags, "set-add"), fields | {"members": "x"}, headers=HTMX)
    assert response.status_code in (404, 409)
    assert r.get(tags) == b"a string now"


def test_add_keeps_what_another_client_did_meanwhile(client, r, tags):
    fields = open_form(client, tags, "set-add")
    r.srem(tags, "red")
    r.sadd(tags, "theirs")
    mine = client.post(edit_url(tags, "set-add"), fields | {"members": "mine"}, headers=HTMX)
    assert mine.status_code == 200
    assert r.smembers(tags) == {b"green", b"blue", b"bin\xff\x00", b"theirs", b"mine"}


# --- remove ----------------------------------------------------------------------------------


def test_remove_form_replaces_the_row_and_names_the_member(client, r, tags):
    token = encode_key(b"red")
    response = client.get(edit_url(tags, "set-remove"), {"row": token}, headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="row-{token}" class="editing">')
    assert "Remove this member" in body and 'value="red"' in body


def test_remove_a_member_redraws_only_its_row(client, r, tags):
    response = submit(client, tags, "set-remove", row=b"red")
    assert response.status_code == 200, response.content[-1000:]
    assert response["HX-Retarget"] == f"#row-{encode_key(b'red')}"
    body = response.content.decode()
    assert "<tr" not in body.split('<dl id="key-meta"')[0]  # the row is gone: nothing replaces it
    assert "removed member “red”" in body and "3 members" in body
    assert r.smembers(tags) == {b"green", b"blue", b"bin\xff\x00"}


def test_remove_a_binary_member(client, r, tags):
    assert submit(client, tags, "set-remove", row=b"bin\xff\x00").status_code == 200
    assert r.smembers(tags) == {b"red", b"green", b"blue"}


def test_removing_the_last_member_is_refused(client, r):
    r.sadd("one", "only")
    response = submit(client, b"one", "set-remove", row=b"only")
    assert response.status_code == 422
    assert "last member" in problem(response.content.decode())
    assert r.smembers("one") == {b"only"}


def test_a_member_removed_meanwhile_is_reported(client, r, tags):
    fields = open_form(client, tags, "set-remove", row=b"red")
    r.srem(tags, "red")
    r.sadd(tags, "theirs")
    response = client.post(edit_url(tags, "set-remove"), fields, headers=HTMX)
    assert response.status_code == 409
    assert "removed meanwhile" in problem(response.content.decode())
    assert r.smembers(tags) == {b"green", b"blue", b"bin\xff\x00", b"theirs"}


def test_removing_from_a_deleted_set_is_a_404_and_does_not_recreate_it(client, r, tags):
    fields = open_form(client, tags, "set-remove", row=b"red")
    r.delete(tags)
    assert client.post(edit_url(tags, "set-remove"), fields, headers=HTMX).status_code == 404
    assert not r.exists(tags)


def test_a_bad_row_token_is_refused(client, r, tags):
    assert client.get(edit_url(tags, "set-remove"), {"row": "***"}).status_code == 400
    response = client.post(
        edit_url(tags, "set-remove"), {"expected_type": "set", "row": "!"}, headers=HTMX
    )
    assert response.status_code == 422 and "not a valid token" in errors(response.content.decode())
    assert r.scard(tags) == 4


def _remove_work(client, r, key: bytes, member: bytes) -> RedisWork:
    fields = open_form(client, key, "set-remove", row=member)
    with RedisWork(r) as work:
        response = client.post(edit_url(key, "set-remove"), fields, headers=HTMX)
    assert response.status_code == 200
    return work


def test_removing_from_a_million_members_costs_what_it_does_for_ten(client, r):
    r.sadd("small", *[f"m{i}" for i in range(10)])
    seed(r, "SADD", "huge", [f"m{i}" for i in range(1_000_000)], chunk=10_000)
    assert r.scard("huge") == 1_000_000
    small = _remove_work(client, r, b"small", b"m5")
    huge = _remove_work(client, r, b"huge", b"m5")
    # The small set is also measured exactly (MEMORY USAGE SAMPLES 0) and copied for undo
    # (TIME, then DUMP and PTTL before the write and after it, in its transaction); the huge
    # one is over the copy limit by its length alone: otherwise the very same commands.
    # (Redis 6.2 counts subcommands under their container: "memory", not "memory|usage".)
    memory = "memory|usage" if "memory|usage" in small.calls else "memory"
    undo_copy = {"time": 1, "dump": 2, "pttl": 2, memory: 1}
    assert huge.calls == {
        command: count - undo_copy.get(command, 0)
        for command, count in small.calls.items()
        if count - undo_copy.get(command, 0)
    }
    assert huge.count("srem") == 1 and huge.count("sscan") == 0
    for command in WHOLE_SET_COMMANDS:
        assert huge.count(command) == 0
    # The redrawn page shows the key's metadata, not the value: the reply stays small.
    assert huge.output_bytes < small.output_bytes + 1000
    assert not r.sismember("huge", "m5") and r.scard("huge") == 999_999


# --- store -----------------------------------------------------------------------------------


@pytest.fixture
def three(r):
    r.sadd("a", "1", "2", "3", "4", b"\xff")
    r.sadd("b", "3", "4", "5")
    r.sadd(b"c\xfe", "4", "6", b"\xff")
    return {
        "a": {b"1", b"2", b"3", b"4", b"\xff"},
        "b": {b"3", b"4", b"5"},
        "c": {b"4", b"6", b"\xff"},
    }


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("union", lambda s: s["a"] | s["b"] | s["c"]),
        ("inter", lambda s: s["a"] & s["b"] & s["c"]),
        ("diff", lambda s: s["a"] - s["b"] - s["c"]),
    ],
)
def test_store_a_comparison_in_a_new_key(client, r, three, operation, expected):
    response = submit(
        client,
        b"a",
        "set-store",
        operation=operation,
        others="b\nc\\xfe",
        others_format="escaped",
        destination="out",
    )
    assert response.status_code == 204, response.content[-1000:]
    assert response["HX-Redirect"] == key_url(b"out")
    assert r.smembers("out") == expected(three)
    assert r.smembers("a") == three["a"]


def test_store_without_htmx_goes_to_the_new_key(client, r, three):
    response = submit(
        client, b"a", "set-store", operation="diff", others="b", destination="d", htmx=False
    )
    assert response.status_code == 302 and response["Location"] == key_url(b"d")
    assert r.smembers("d") == three["a"] - three["b"]


def test_store_refuses_an_existing_destination_unless_told(client, r, three):
    r.set("taken", "precious")
    response = submit(client, b"a", "set-store", operation="union", others="b", destination="taken")
    assert response.status_code == 409
    assert "already exists" in problem(response.content.decode())
    assert r.get("taken") == b"precious"
    response = submit(
        client,
        b"a",
        "set-store",
        operation="union",
        others="b",
        destination="taken",
        overwrite="on",
        confirmed=True,
    )
    assert response.status_code == 204
    assert r.smembers("taken") == three["a"] | three["b"]


def test_a_destination_created_meanwhile_is_not_overwritten(client, r, three):
    fields = open_form(client, b"a", "set-store")
    fields |= {"operation": "union", "others": "b", "destination": "out"}
    r.set("out", "theirs")
    response = client.post(edit_url(b"a", "set-store"), fields, headers=HTMX)
    assert response.status_code == 409
    assert r.get("out") == b"theirs"


def test_an_empty_result_is_reported_and_stores_nothing(client, r, three):
    r.sadd("far", "x")
    response = submit(client, b"a", "set-store", operation="inter", others="far", destination="out")
    assert response.status_code == 200
    assert "the intersection is empty: nothing was stored" in response.content.decode()
    assert not r.exists("out")


def test_an_empty_result_over_an_existing_key_says_redis_deleted_it(client, r, three):
    r.sadd("far", "x")
    r.set("out", "old")
    response = submit(
        client,
        b"a",
        "set-store",
        operation="inter",
        others="far",
        destination="out",
        overwrite="on",
        confirmed=True,
    )
    assert response.status_code == 200
    assert "so Redis deleted “out”" in response.content.decode()
    assert not r.exists("out")


def test_missing_other_keys_count_as_empty(client, r, three):
    response = submit(
        client, b"a", "set-store", operation="union", others="nope\nb", destination="out"
    )
    assert response.status_code == 204
    assert r.smembers("out") == three["a"] | three["b"]


@pytest.mark.parametrize(
    ("changes", "field_error", "refusal"),
    [
        ({"destination": ""}, "This field is required", None),
        ({"destination": "\\x", "destination_format": "hex"}, "not valid hex", None),
        ({"destination": "x" * 70}, "over the 64-byte limit", None),
        ({"destination": "a"}, None, "cannot be stored into this key itself"),
        ({"others": "\n \n"}, "give at least one other key", None),
        ({"others": "b\n" + "x" * 70}, "line 2: a key name of 70 bytes", None),
        ({"others": "\n".join(f"k{i}" for i in range(33))}, "at most 32 other keys", None),
        ({"others": "b\nstr"}, None, "“str” is a string, not a set"),
        ({"operation": "xor"}, "Select a valid choice", None),
    ],
)
def test_bad_store_input_is_a_422_and_writes_nothing(
    client, r, three, settings, changes, field_error, refusal
):
    settings.DASHBOARD_MAX_KEY_BYTES = 64
    r.set("str", "v")
    before = sorted(r.keys())
    fields = {"operation": "union", "others": "b", "destination": "out"} | changes
    response = submit(client, b"a", "set-store", **fields)
    assert response.status_code == 422
    body = response.content.decode()
    if field_error:
        assert field_error in errors(body)
    if refusal:
        assert refusal in problem(body)
    assert sorted(r.keys()) == before and r.smembers("a") == three["a"]


def test_store_refuses_sets_too_big_to_combine_in_one_command(client, r, three, settings):
    settings.DASHBOARD_SET_STORE_MAX_MEMBERS = 6
    response = submit(client, b"a", "set-store", operation="union", others="b", destination="out")
    assert response.status_code == 422
    assert "8 members together" in problem(response.content.decode())
    assert not r.exists("out")


# --- random members ----------------------------------------------------------------------------


def test_random_members_come_from_the_set(client, r, tags):
    shown = members_shown(run_tool(client, tags, "set-random", count="2"))
    assert len(shown) == 2 and set(shown) <= {"red", "green", "blue", r"bin\xff\0"}


def test_random_members_without_repeats_stop_at_the_set_size(client, r, tags):
    body = run_tool(client, tags, "set-random", count="50")
    assert sorted(members_shown(body)) == sorted(["red", "green", "blue", r"bin\xff\0"])
    assert "fewer than 50" in body


def test_random_members_with_repeats(client, r, tags):
    assert len(members_shown(run_tool(client, tags, "set-random", count="9", repeats="on"))) == 9


@pytest.mark.parametrize(("count", "expected"), [("0", 1), ("-5", 1), ("5000", 1000), ("", 10)])
def test_random_count_is_clamped(client, r, count, expected):
    seed(r, "SADD", "big", [str(i) for i in range(3000)])
    assert len(members_shown(run_tool(client, b"big", "set-random", count=count))) == expected


@pytest.mark.parametrize("count", ["lots", "--5", "1.5", "٣", "9" * 20])
def test_random_count_must_be_a_number(client, r, tags, count):
    body = run_tool(client, tags, "set-random", count=count)
    assert "is not a whole number" in errors(body) and not rows(body)


def test_the_tool_form_alone(client, r, tags):
    body = client.get(tool_url(tags, "set-random"), headers=HTMX).content.decode()
    assert 'name="count"' in body and not rows(body)
    page = client.get(tool_url(tags, "set-compare")).content.decode()
    assert page.lstrip().lower().startswith("<!doctype html>") and 'name="others"' in page


# --- membership --------------------------------------------------------------------------------


def test_membership_of_many_members(client, r, tags):
    body = run_tool(client, tags, "set-contains", members="red\npink\nblue\n")
    answers = {row.elements[0]: row.cells[1] for row in rows(body)}
    assert answers == {"red": "yes", "pink": "no", "blue": "yes"}
    assert "2 of 3 are members" in body


def test_membership_of_a_binary_member_in_hex(client, r, tags):
    body = run_tool(
        client, tags, "set-contains", members="62 69 6e ff 00", mode="one", members_encoding="hex"
    )
    assert [(row.elements[0], row.cells[1]) for row in rows(body)] == [(r"bin\xff\0", "yes")]


def test_membership_bad_input_writes_a_message(client, r, tags):
    body = run_tool(client, tags, "set-contains", members="q", members_encoding="hex")
    assert "not valid hex" in errors(body) and not rows(body)
    body = run_tool(client, tags, "set-contains", members="\n".join(map(str, range(1001))))
    assert "more than 1,000 at a time" in errors(body)


# --- paged comparison --------------------------------------------------------------------------

NEXT = re.compile(r'data-compare-next href="([^"]*)"')


def compare_all(client, key: bytes, **params) -> tuple[list[bytes], list[str]]:
    """Every page of a comparison, following "Next page" as htmx does; (members, bodies)."""
    body = run_tool(client, key, "set-compare", **params)
    bodies = [body]
    while link := NEXT.search(body):
        assert len(bodies) < 2000, "paging does not end"
        response = client.get(html.unescape(link.group(1)), headers=HTMX)
        assert response.status_code == 200
        body = response.content.decode()
        bodies.append(body)
    collected = [m for b in bodies for m in members_shown(b)]
    return collected, bodies


@pytest.fixture
def big_sets(r):
    a = {f"m{i}".encode() for i in range(0, 3000)} | {b"\xffbin"}
    b = {f"m{i}".encode() for i in range(0, 3000, 2)} | {f"x{i}".encode() for i in range(800)}
    c = {f"m{i}".encode() for i in range(0, 3000, 3)} | {f"x{i}".encode() for i in range(400, 1500)}
    c |= {b"\xffbin"}
    for name, members in (("A", a), ("B", b), (b"C\x00", c)):
        seed(r, "SADD", name, sorted(members), chunk=1000)
    d = {str(i).encode() for i in range(0, 100, 7)}  # a small intset
    r.sadd("D", *d)
    return {"A": a, "B": b, "C": c, "D": d}


def _as_shown(members: set[bytes]) -> list[str]:
    from keyspace.display import bytes_to_text

    return sorted(bytes_to_text(m) for m in members)


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("union", lambda s: s["A"] | s["B"] | s["C"] | s["D"]),
        ("inter", lambda s: s["A"] & s["B"] & s["C"]),
        ("diff", lambda s: s["A"] - s["B"] - s["C"] - s["D"]),
    ],
)
def test_paged_comparison_matches_set_algebra(client, r, big_sets, operation, expected):
    others = "B\nC\\x00\nD" if operation != "inter" else "B\nC\\x00"
    with RedisWork(r) as work:
        collected, bodies = compare_all(
            client, b"A", operation=operation, others=others, others_format="escaped", count="97"
        )
    assert len(collected) == len(set(collected)), "a member was shown twice"
    assert sorted(collected) == _as_shown(expected(big_sets))
    assert len(bodies) >= 4
    for body in bodies:
        assert len(members_shown(body)) <= 97 * 4  # a page is bounded by the page size
    for command in WHOLE_SET_COMMANDS:
        assert work.count(command) == 0, (command, work.calls)
    assert work.count("sscan") >= len(bodies) and work.count("smismember") > 0
    assert "that is the end of the" in bodies[-1]


def test_one_page_of_a_sparse_comparison_does_bounded_work(client, r):
    """An intersection that finds almost nothing must not walk the whole set in one request."""
    from keyspace.units.set.compare import MAX_STEPS

    seed(r, "SADD", "huge", [f"member:{i}" for i in range(200_000)])
    r.sadd("few", "member:7", "elsewhere")
    with RedisWork(r) as work:
        body = run_tool(
            client, b"huge", "set-compare", operation="inter", others="few", count="100"
        )
    assert 1 <= work.count("sscan") <= MAX_STEPS
    assert work.count("smismember") <= work.count("sscan")
    assert work.output_bytes < 1024 * 1024
    for command in WHOLE_SET_COMMANDS:
        assert work.count(command) == 0
    assert NEXT.search(body), "the comparison should go on in a later request"


def test_union_with_itself_and_a_repeated_key(client, r, big_sets):
    collected, _ = compare_all(client, b"D", operation="union", others="D\nB\nB", count="500")
    assert sorted(collected) == _as_shown(big_sets["D"] | big_sets["B"])


def test_difference_with_itself_is_empty(client, r, big_sets):
    collected, bodies = compare_all(client, b"A", operation="diff", others="A", count="500")
    assert collected == [] and "that is the end of the difference" in bodies[-1]


def test_missing_keys_are_empty_sets(client, r, big_sets):
    collected, bodies = compare_all(client, b"D", operation="union", others="nothing")
    assert sorted(collected) == _as_shown(big_sets["D"])
    assert "“nothing” does not exist: counted as an empty set" in html.unescape(bodies[0])
    body = run_tool(client, b"A", "set-compare", operation="inter", others="B\nnothing")
    assert not members_shown(body) and not NEXT.search(body)
    assert "so the intersection is empty" in body


def test_comparing_with_a_non_set_says_so(client, r, big_sets):
    r.hset("h", "f", "v")
    body = run_tool(client, b"A", "set-compare", operation="union", others="B\nh")
    assert "“h” is a hash, not a set" in problem(body)
    assert not members_shown(body)


def test_a_bad_compare_cursor_is_a_form_error(client, r, big_sets):
    body = run_tool(client, b"A", "set-compare", operation="union", others="B", cursor="7;DROP")
    assert "not a page cursor" in errors(body) and not members_shown(body)
    body = run_tool(client, b"A", "set-compare", operation="diff", others="B", cursor="5.0")
    assert "does not fit these keys" in problem(body)


def test_a_resubmitted_compare_form_starts_over(client, r, big_sets):
    body = run_tool(client, b"A", "set-compare", operation="union", others="B", count="10")
    link = html.unescape(NEXT.search(body).group(1))
    second = client.get(link, headers=HTMX).content.decode()
    fields = form_fields(second.split("</form>")[0])
    assert "cursor" not in fields and fields["others"] == "B" and fields["count"] == "10"


# --- modes and protections ---------------------------------------------------------------------


def test_readonly_mode_keeps_the_tools_and_refuses_the_edits(client, r, tags, settings):
    settings.DASHBOARD_READONLY = True
    page = client.get(key_url(tags)).content.decode()
    assert "/edit/" not in page and "/tool/set-contains/" in page
    body = run_tool(client, tags, "set-contains", members="red")
    assert [row.cells[1] for row in rows(body)] == ["yes"]
    r.sadd("other", "red")
    assert members_shown(
        run_tool(client, tags, "set-compare", operation="inter", others="other")
    ) == ["red"]
    for action, data in (
        ("set-add", {"expected_type": "set", "members": "x"}),
        ("set-remove", {"expected_type": "set", "row": encode_key(b"red")}),
        (
            "set-store",
            {"expected_type": "set", "operation": "union", "others": "other", "destination": "out"},
        ),
    ):
        assert client.get(edit_url(tags, action)).status_code == 403
        assert client.post(edit_url(tags, action), data, headers=HTMX).status_code == 403
    assert r.scard(tags) == 4 and not r.exists("out")


def test_edits_need_the_csrf_token(csrf_client, r, tags):
    browser = csrf_client
    fields = open_form(browser, tags, "set-remove", row=b"red")
    token = fields.pop("csrfmiddlewaretoken")
    assert browser.post(edit_url(tags, "set-remove"), fields).status_code == 403
    assert r.sismember(tags, "red")
    fields = open_form(browser, tags, "set-add")
    fields.pop("csrfmiddlewaretoken")
    assert browser.post(edit_url(tags, "set-add"), fields | {"members": "x"}).status_code == 403
    assert not r.sismember(tags, "x")
    accepted = browser.post(
        edit_url(tags, "set-remove"),
        open_form(browser, tags, "set-remove", row=b"red"),
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 302 and not r.sismember(tags, "red")


def test_tools_and_edits_on_a_missing_key_are_404(client, r):
    assert client.get(tool_url(b"gone", "set-random", run="1")).status_code == 404
    assert client.post(edit_url(b"gone", "set-add"), {"members": "x"}).status_code == 404
    assert not r.exists("gone")
