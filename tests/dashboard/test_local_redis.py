"""The private redis-server's port: chosen where no outgoing connection can be handed it
between the choice and the server's bind, and changed if another process binds it first."""

import socket

import pytest
import redis

from dashboard.local_redis import LocalRedis, PortTaken, ephemeral_ports, free_port


def holder(port: int) -> socket.socket:
    """A socket bound to `port`, as an outgoing connection's is."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    return sock


def test_ports_are_outside_the_ephemeral_range_and_never_handed_out_twice():
    ephemeral = ephemeral_ports()
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert not any(port in ephemeral for port in ports)
    with_bus = [free_port(with_offset=10000) for _ in range(50)]
    assert not any(port in ephemeral or port + 10000 in ephemeral for port in with_bus)
    assert not set(with_bus) & set(ports)
    for port in with_bus:  # both free
        holder(port).close()
        holder(port + 10000).close()


def test_a_chosen_port_bound_by_another_process_is_changed(tmp_path):
    server = LocalRedis(tmp_path / "taken")
    taken = server.port
    with holder(taken):
        server.start()
        try:
            assert server.port != taken
            assert redis.Redis(port=server.port).ping()
            assert "Address already in use" in (tmp_path / "taken" / "redis.log").read_text()
        finally:
            server.stop()


def test_a_port_asked_for_is_not_changed(tmp_path):
    port = free_port()
    with holder(port), pytest.raises(PortTaken, match="Address already in use"):
        LocalRedis(tmp_path / "asked", port=port).start()


@pytest.mark.parametrize("others", [(), ("--requirepass", "theirs"),
                                    ("--rename-command", "INFO", "")])
def test_a_chosen_port_another_redis_holds_is_changed_not_shared(tmp_path, others):
    """Another redis-server on the port (with a password, or without INFO, too) answers
    before ours exits: the start waits for its own process to say it serves, so it moves to
    another port instead of using the other's."""
    other = LocalRedis(tmp_path / "other", extra_args=others).start()
    try:
        ours = LocalRedis(tmp_path / "ours")
        ours.port = other.port  # as if free_port had handed out the port the other took
        ours.start()
        try:
            assert ours.port != other.port and ours.process.poll() is None
            assert redis.Redis(port=ours.port).info("server")["process_id"] == ours.process.pid
        finally:
            ours.stop()
    finally:
        other.stop()


def test_a_restart_keeps_its_port_or_says_it_lost_it(tmp_path):
    server = LocalRedis(tmp_path / "restart").start()
    port = server.port
    server.stop()
    server.start()  # a restart: the same port (clients point at it)
    assert server.port == port
    server.stop()
    with holder(port), pytest.raises(PortTaken):
        server.start()


def test_a_machine_whose_ephemeral_range_covers_every_port_still_gets_one(monkeypatch):
    from dashboard import local_redis

    monkeypatch.setattr(local_redis, "ephemeral_ports", lambda: range(1024, 65536))
    port = free_port()
    bus = free_port(with_offset=10000)
    assert port != bus and bus + 10000 <= 65535
    holder(port).close()
    holder(bus + 10000).close()
