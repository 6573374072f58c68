"""Whole-keyspace passes in a cluster: namespace counts, the analysis, export and import, and
recommendations each cover every primary once (never a replica), keys read or written on the
primary owning their slot, hostile names spread over every primary."""

import json

import pytest

from keyspace.models import AnalysisRun
from keyspace.redis.cluster_nodes import primaries
from keyspace.redis.connection import get_client
from keyspace.services.analysis.runs import run_analysis, start_analysis
from keyspace.services.analysis.scan_pass import analyse
from keyspace.services.analysis.tally import Tally
from keyspace.services.bulk.selection import Selection
from keyspace.services.namespaces import count_step, load_count
from keyspace.services.transfer import formats
from keyspace.services.transfer.export import export_lines
from keyspace.services.transfer.load import load, parse
from tests.cluster.test_bulk import HOSTILE, hostile_names, owners, total
from tests.cluster.test_crawl import read_body
from tests.seeding import fill_strings, numbered
from tests.support.htmx import HTMX

pytestmark = [pytest.mark.cluster, pytest.mark.django_db]


def count_all(client, prefix=b"", budget_ms=1000.0):
    state = load_count("", prefix, b":", owner="cluster-test")
    while not state.complete:
        state = count_step(client, state, budget_ms)
    return state


def test_namespace_counts_cover_every_primary_once(cluster_dashboard, r):
    fill_strings(r, numbered("user:", 500) + numbered("session:", 200) + [b"loose"])
    state = count_all(get_client(0))
    assert state.folders == {b"user": 500, b"session": 200} and state.leaves == 1
    assert state.total_keys == 701 and state.fraction == 1.0


def test_a_count_resumes_across_primaries_in_small_steps(cluster_dashboard, r):
    fill_strings(r, numbered("a:", 6000) + numbered("b:", 3000))
    client = get_client(0)
    state = count_step(client, load_count("", b"", b":", owner="cluster-test"), budget_ms=0)
    fractions, nodes_seen = [state.fraction], {state.node}
    while not state.complete:
        resumed = load_count(state.token, b"", b":", owner="cluster-test")
        assert (resumed.node, resumed.cursor) == (state.node, state.cursor)
        state = count_step(client, resumed, budget_ms=0)
        fractions.append(state.fraction)
        nodes_seen.add(state.node)
    assert nodes_seen == {0, 1, 2}
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert state.folders == {b"a": 6000, b"b": 3000}


def test_hostile_prefixes_count_exactly_over_every_slot(cluster_dashboard, r):
    names = hostile_names(b"h*[x]:")
    assert len(owners(r, names)) == 3
    fill_strings(r, names + hostile_names(b"hx:"))
    state = count_all(get_client(0), prefix=b"h*[x]:")
    assert state.matched == len(names)


def test_the_namespaces_page_in_a_cluster(cluster_dashboard, r, client):
    fill_strings(r, numbered("user:", 50) + [b"<b>tag</b>:1"])
    response = client.get("/c/default/db/0/namespaces/count/", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "user" in body and "50" in body
    assert "&lt;b&gt;tag&lt;/b&gt;" in body and "<b>tag</b>" not in body


def seed_types(r):
    for i in range(300):
        r.set(f"user:{i}:name".encode(), b"x" * 10)
    for i in range(40):
        r.hset(f"cart:{i}".encode(), mapping={f"f{j}": j for j in range(i + 1)})
    r.rpush(b"queue:jobs", *range(500))
    r.set(b"soon", b"v", px=60_000)


def test_the_analysis_covers_every_primary(cluster_dashboard, r):
    seed_types(r)
    tally = Tally(b":", 1000, 100)
    outcome = analyse(get_client(0), tally, memory_samples=5)
    assert outcome.complete and outcome.memory_measured
    assert tally.keys == outcome.scanned == outcome.population == 342 == total(r)
    assert {name: row[0] for name, row in tally.types.items()} == {
        "string": 301, "hash": 40, "list": 1}
    assert tally.nodes[b"user:"][0] == 300


def test_an_analysis_sample_takes_each_primarys_share(cluster_dashboard, r):
    # Each name starts with its primary's place in slot order (its hash tag keeps the slot).
    order = [p.name for p in primaries(get_client(0))]
    names = [f"n{order.index(r.get_node_from_key(f'x{i}').name)}:{{x{i}}}".encode()
             for i in range(3000)]
    fill_strings(r, names)
    sizes = [sum(name.startswith(b"n%d:" % n) for name in names) for n in range(3)]
    tally = Tally(b":", 1000, 100)
    outcome = analyse(get_client(0), tally, memory_samples=5, sample_size=300)
    assert outcome.scanned == 300 and outcome.population == 3000
    taken = [tally.nodes[b"n%d:" % n][0] for n in range(3)]
    assert sum(taken) == 300
    assert all(abs(got - size / 10) <= 1 for got, size in zip(taken, sizes, strict=True)), (
        taken, sizes)


@pytest.mark.django_db(transaction=True)
def test_an_analysis_run_in_a_cluster(cluster_dashboard, r, client):
    seed_types(r)
    run = start_analysis(db=0)
    run_analysis(run.pk)
    run.refresh_from_db()
    assert run.state == AnalysisRun.DONE, run.error
    assert run.keys_done == run.keys_total == 342
    info = run.result["info_memory"]
    assert info["used_memory"] > 0 and "mem_fragmentation_ratio" not in info
    assert client.get(f"/c/default/db/0/analysis/{run.pk}/").status_code == 200


def snapshot(r) -> dict:
    out = {}
    for key in r.scan_iter(count=1000):
        kind = r.type(key)
        content = r.get(key) if kind == b"string" else r.hgetall(key)
        expiry = r.execute_command("PEXPIRETIME", key)
        out[key] = (kind, content, round(expiry / 1000) if expiry > 0 else expiry)
    return out


EVERY_KEY = Selection("pattern", b"*")


def exported(client, encoding, selection=EVERY_KEY) -> bytes:
    header = formats.header(encoding, server="test", db=0, created="now")
    return header + b"".join(export_lines(client, selection, encoding))


@pytest.mark.parametrize("encoding", formats.ENCODINGS)
def test_export_and_import_round_trip_over_every_primary(cluster_dashboard, r, encoding):
    names = hostile_names(b"x:", 6)
    for n, name in enumerate(names):
        if n % 2:
            r.hset(name, mapping={b"\xff": bytes(range(256)), b"f": name})
        else:
            r.set(name, bytes(range(256)) + name, ex=3600 if n % 3 else None)
    before = snapshot(r)
    assert len(before) == len(names)
    payload = exported(get_client(0), encoding)
    assert payload.count(b'"new":true') == len(names)
    cluster_dashboard.flush()
    outcome = load(get_client(0), parse(payload), "skip")
    assert outcome.written == len(names)
    assert snapshot(r) == before


def test_export_of_one_exact_name_reads_its_primary(cluster_dashboard, r):
    r.set(b"a*b{7}", b"one")
    r.set(b"a*b{8}", b"two")
    lines = exported(get_client(0), formats.VALUES, Selection("exact", b"a*b{7}"))
    rows = [json.loads(row) for row in lines.splitlines()[1:]]
    assert [formats.unb64(row["k"]) for row in rows] == [b"a*b{7}"]


def test_import_under_other_names_in_a_cluster(cluster_dashboard, r):
    names = [b"dup:%d" % n for n in range(30)]
    for name in names:
        r.set(name, b"old")
    payload = exported(get_client(0), formats.VALUES)
    for name in names:
        r.set(name, b"current")
    r.set(names[0] + b":imported", b"taken")  # the first other name is taken: the next one
    outcome = load(get_client(0), parse(payload), "rename")
    assert outcome.renamed == outcome.written == 30
    assert all(r.get(name) == b"current" for name in names)
    assert r.get(names[0] + b":imported") == b"taken"
    assert r.get(names[0] + b":imported:2") == b"old"
    assert all(r.get(name + b":imported") == b"old" for name in names[1:])
    outcome = load(get_client(0), parse(payload), "replace")
    assert outcome.written == 30 and all(r.get(name) == b"old" for name in names)


def test_the_export_download_in_a_cluster(cluster_dashboard, r, client):
    fill_strings(r, hostile_names(b"e:", 3))
    status, body = read_body(client, "/c/default/db/0/export/", {
        "mode": "prefix", "text": "e:", "type_name": "", "encoding": formats.VALUES})
    assert status == 200
    assert body.count(b'"new":true') == len(HOSTILE) * 3


def test_recommendations_read_every_primary(cluster_dashboard, r, client):
    for node in primaries(get_client(0)):
        node.client.config_set("maxmemory", 0)
    r.set(b"user:{1}", json.dumps({"id": 1, "name": "a", "n": 5}, indent=4))
    response = client.get("/c/default/db/0/recommendations/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="rec-maxmemory-unset"' in body
    names = [node.name for node in primaries(get_client(0))]
    assert "on every primary: " + ", ".join(names) in body
    assert body.count('id="rec-maxmemory-unset"') == 1  # one finding, not one per node


@pytest.fixture
def doomed_cluster(cluster_dashboard, cluster_holder):
    yield cluster_dashboard
    cluster_holder.discard()


@pytest.mark.django_db(transaction=True)
def test_a_primary_killed_mid_analysis_fails_the_run_clearly(doomed_cluster, r, client,
                                                             monkeypatch):
    from keyspace.redis.per_primary import NodeStopped
    from keyspace.services.analysis import runs

    fill_strings(r, numbered("a:", 6000))
    order = [p.name for p in primaries(get_client(0))]
    victim = next(node for node in doomed_cluster.nodes if node.address == order[-1])
    monkeypatch.setattr("keyspace.services.analysis.scan_pass.PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr("keyspace.services.analysis.scan_pass.BATCH_KEYS", 100)
    analyse_for_real = runs.analyse

    def killing(client, tally, *, on_progress, **options):
        def report(done, total):
            if victim.running:
                victim.kill()  # before the pass reaches the last primary
            return on_progress(done, total)

        return analyse_for_real(client, tally, on_progress=report, **options)

    monkeypatch.setattr(runs, "analyse", killing)
    run = start_analysis(db=0)
    with pytest.raises(NodeStopped):
        run_analysis(run.pk)
    run.refresh_from_db()
    assert run.state == AnalysisRun.FAILED
    assert victim.address in run.error and "stopped answering" in run.error, run.error
    page = client.get(f"/c/default/db/0/analysis/{run.pk}/")
    assert page.status_code == 200 and "The analysis failed" in page.content.decode()
    assert victim.address in page.content.decode()
