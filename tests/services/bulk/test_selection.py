"""Both layers of exact matching, each on its own: the escaped SCAN pattern and the check of
every key SCAN returns."""

from keyspace.services.bulk.selection import Selection


def test_literals_are_escaped_in_the_scan_pattern():
    assert Selection("prefix", b"foo[1]:*?").pattern == rb"foo\[1\]:\*\?*"
    assert Selection("exact", b"foo:").pattern == b"foo:"
    assert Selection("pattern", b"foo:*").pattern == b"foo:*"


def test_each_key_is_checked_again():
    prefix, exact = Selection("prefix", b"foo:"), Selection("exact", b"foo:")
    assert prefix.matches(b"foo:1") and not prefix.matches(b"fo:1")
    assert exact.matches(b"foo:") and not exact.matches(b"foo:1")


def test_a_selection_says_what_it_is():
    assert Selection("prefix", b"a:", "hash").describe() == "keys starting with 'a:' of type hash"
