"""What the report page shows, prepared from a stored report: rows, charts, comparisons.
Views call `report_context`; templates only loop over what it returns."""

from __future__ import annotations

from keyspace.display import human_bytes
from keyspace.redis.keynames import encode_key, escape_glob, to_escaped
from keyspace.services.namespaces import breadcrumbs

from .charts import bar_chart, diverging_chart
from .compare import compare_namespaces, compare_totals, compare_types
from .results import AnalysisReport, NamespaceNode


def report_context(report: AnalysisReport, prefix: bytes,
                   earlier: AnalysisReport | None) -> dict:
    node = report.namespace(prefix) or report.namespace(b"")
    prefix = node.prefix
    context = {
        "report": report,
        "node": node,
        "prefix": prefix,
        "prefix_token": encode_key(prefix),
        "crumbs": [(segment, encode_key(upto))
                   for segment, upto in breadcrumbs(prefix, report.delimiter)],
        "namespace_rows": namespace_rows(node, report),
        "accounted": _accounted(report),
        "namespace_chart": bar_chart(
            "Memory by namespace",
            [(child.prefix[len(prefix):], child.memory, human_bytes(child.memory))
             for child in node.children]),
        "ttl_chart": bar_chart(
            "Keys by time to live",
            [(share.name, share.keys, f"{share.keys:,}") for share in report.ttl_buckets]),
        "type_chart": bar_chart(
            "Memory by type",
            [(share.name, share.memory, human_bytes(share.memory)) for share in report.types]),
    }
    if earlier is not None:
        context |= compare_context(report, earlier, prefix)
    return context


def namespace_rows(node: NamespaceNode, report: AnalysisReport) -> list[dict]:
    """One row per child namespace (largest memory first), with its share and TTL mix."""
    rows = []
    for child in node.children:
        rows.append({
            "name": child.prefix[len(node.prefix):],
            "token": encode_key(child.prefix),
            "match": to_escaped(escape_glob(child.prefix) + b"*"),
            "keys": child.keys,
            "margin": report.margin(child.keys),
            "memory": child.memory,
            "share": child.memory / node.memory if node.memory else 0.0,
            "ttl": child.ttl,
            "has_children": bool(report.namespace(child.prefix).children),
        })
    return rows


def compare_context(report: AnalysisReport, earlier: AnalysisReport, prefix: bytes) -> dict:
    changes = compare_namespaces(report, earlier, prefix)
    return {
        "earlier": earlier,
        "total_change": compare_totals(report, earlier),
        "namespace_changes": changes,
        "type_changes": compare_types(report, earlier),
        "change_chart": diverging_chart(
            "Memory change by namespace",
            [(c.name[len(prefix):], c.memory_change, _signed_bytes(c.memory_change))
             for c in changes if c.memory_change]),
    }


def _accounted(report: AnalysisReport) -> dict | None:
    """What the pass summed set beside what INFO says the data set takes."""
    info = report.info_memory
    used = info.get("used_memory")
    if not used:
        return None
    dataset = info.get("used_memory_dataset")
    return {"used": used, "dataset": dataset,
            "share_of_used": report.memory / used,
            "share_of_dataset": report.memory / dataset if dataset else None}


def _signed_bytes(change: int) -> str:
    return ("+" if change > 0 else "−") + human_bytes(abs(change))
