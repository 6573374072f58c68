"""Reading stored results: scaling a sample, its margins, the namespace tree by levels."""

from __future__ import annotations

import pytest

from keyspace.models import AnalysisRun
from keyspace.services.analysis.results import AnalysisReport, parent_prefix, report_for
from keyspace.services.analysis.tally import KeyFacts, Tally


def _report(keys: int, *, population: int | None = None) -> AnalysisReport:
    tally = Tally(b":", 1000, 100)
    for i in range(keys):
        tally.add(KeyFacts(f"a:{i % 4}:{i}".encode() if i % 2 else f"b:{i}".encode(),
                           "string", 100 + i % 7, 10, -1, "embstr"))
    extra = {"sampled": population is not None,
             "scale": (population or keys) / keys, "population": population or keys}
    return AnalysisReport(AnalysisRun(state="done", result=tally.report() | extra))


def test_a_full_pass_is_exact():
    report = _report(1000)
    assert report.keys == 1000 and not report.estimated
    assert report.margin(500) == 0 and report.memory_margin == 0
    top = report.namespace()
    assert [child.prefix for child in top.children] == [b"a:", b"b:"]
    assert [c.prefix for c in report.namespace(b"a:").children] == [b"a:1:", b"a:3:"]
    assert report.namespace(b"nothing:") is None


def test_a_sample_is_scaled_with_margins():
    report = _report(1000, population=100_000)
    assert report.estimated and report.sample_keys == 1000
    assert report.keys == 100_000
    a = report.namespace(b"a:")
    assert a.keys == 50_000
    # 95% margin of a share of one half from 1,000 keys: about 3.1 points of 100,000.
    assert report.margin(a.keys) == pytest.approx(3090, rel=0.02)
    assert 0 < report.memory_margin < report.memory * 0.01


@pytest.mark.parametrize("prefix, parent", [(b"a:b:", b"a:"), (b"a:", b""), (b"::", b":")])
def test_parent_prefix(prefix, parent):
    assert parent_prefix(prefix, b":") == parent


def test_only_a_finished_run_has_a_report():
    assert report_for(AnalysisRun(state="running", result={"keys": 1})) is None
    assert report_for(AnalysisRun(state="done", result={"keys": 1})) is not None
