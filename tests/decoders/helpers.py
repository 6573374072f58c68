"""Reading decoded trees back in tests, and small limits for testing the bounds."""

from __future__ import annotations

from keyspace.decoders import Decoded, Limits, Node


def small_limits(**overrides) -> Limits:
    values = {"input_bytes": 262144, "inflate_bytes": 1048576, **overrides}
    return Limits(**values)


def walk(node: Node | None, path: str = "") -> dict[str, Node]:
    """Every node by its path of labels ("value/a/0")."""
    if node is None:
        return {}
    here = f"{path}/{node.label}" if path else node.label
    found = {here: node}
    for child in node.children:
        found.update(walk(child, here))
    return found


def values(decoded: Decoded) -> dict[str, str]:
    """Scalar values by path, for compact assertions."""
    return {path: n.value for path, n in walk(decoded.tree).items() if not n.children}


def count_nodes(node: Node | None) -> int:
    return 0 if node is None else 1 + sum(count_nodes(c) for c in node.children)


def depth(node: Node | None) -> int:
    return 0 if node is None else 1 + max((depth(c) for c in node.children), default=0)


def facts(decoded: Decoded) -> dict[str, str]:
    return {f.label: f.value for f in decoded.facts}


def innermost(decoded: Decoded) -> Decoded:
    while decoded.inner is not None:
        decoded = decoded.inner
    return decoded


def text_size(decoded: Decoded | None) -> int:
    """Characters a decoded value puts on the page (text, tree values and labels, facts)."""
    if decoded is None:
        return 0
    tree = sum(len(n.value) + len(n.label) for n in walk(decoded.tree).values())
    fact_text = sum(len(f.value) for f in decoded.facts)
    return len(decoded.text or "") + tree + fact_text + text_size(decoded.inner)
